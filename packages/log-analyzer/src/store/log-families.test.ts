import { describe, expect, it } from 'vitest';
import { render, storeFamilies } from '../export/exposition.js';
import { LOG_FAMILIES } from '../metrics/catalog.js';
import { METHODS } from '../metrics/methods.js';
import { checkpointBody, parseCheckpoint, serializeCheckpoint } from './checkpoint.js';
import { emptySummary } from './chunk-summary.js';
import { LabelLimits } from './label-limits.js';
import { fileLabelsProblem, initFileSeries, logFamilies, mergeSummary, NO_FILE_LABELS } from './log-families.js';
import { Store } from './store.js';

const GET = METHODS.indexOf('GET');

describe('fileLabelsProblem', () => {
  it.each([
    { name: 'names and values Prometheus takes', given: { service: 'web', env_2: 'prod é' }, want: null },
    { name: 'a name starting with a digit', given: { '2x': 'a' }, want: 'labels.2x: not a Prometheus label name' },
    { name: 'a dash', given: { 'my-label': 'a' }, want: 'labels.my-label: not a Prometheus label name' },
    { name: 'a reserved __ name', given: { __x: 'a' }, want: 'labels.__x: not a Prometheus label name' },
    { name: 'file', given: { file: 'a' }, want: 'labels.file: taken by the log families' },
    { name: 'method', given: { method: 'a' }, want: 'labels.method: taken' },
    { name: 'le', given: { le: 'a' }, want: 'labels.le: taken' },
    { name: 'route (the request families may carry it)', given: { route: 'a' }, want: 'labels.route: taken' },
    { name: 'an empty value', given: { a: '' }, want: 'labels.a: expected a value' },
    { name: '256 bytes', given: { a: 'x'.repeat(256) }, want: null },
    { name: '257 bytes', given: { a: 'x'.repeat(257) }, want: 'labels.a: longer than 256 bytes' },
    { name: 'multi-byte past 256 bytes', given: { a: 'é'.repeat(129) }, want: 'labels.a: longer than 256 bytes' },
    { name: 'a NUL', given: { a: 'x\u0000y' }, want: 'labels.a: holds a NUL' },
    { name: 'a number', given: { a: 1 }, want: 'labels.a: expected a string' },
    {
      name: 'too many',
      given: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`l${i}`, 'v'])),
      want: 'labels: at most 16 labels',
    },
  ])('$name', ({ given, want }) => {
    const got = fileLabelsProblem(given);
    if (want === null) expect(got).toBeNull();
    else expect(got).toContain(want);
  });
});

/** Families with the labels env and service: web.log has both, other.log none. */
function labelledFamilies(store: Store) {
  const values: Record<string, string[]> = { 'web.log': ['prod', 'web'] };
  return logFamilies(store, true, { names: ['env', 'service'], valuesOf: (f) => values[f] ?? ['', ''] });
}

function oneRequest(seconds: number) {
  const summary = emptySummary();
  summary.lines = 2;
  summary.parseFailures = 1;
  summary.requests = [{ method: GET, status: 200, count: 1, bytes: 10 }];
  const buckets = new Array(12).fill(0);
  buckets[0] = 1;
  summary.durations = [{ method: GET, count: 1, sum: seconds, buckets }];
  return summary;
}

describe('[[files]] labels on the log families', () => {
  it('every series of a file carries its entry labels; a file without them holds empty values', () => {
    const store = new Store();
    const families = labelledFamilies(store);
    initFileSeries(families, 'web.log');
    mergeSummary(families, 'web.log', oneRequest(0.001));
    mergeSummary(families, 'other.log', oneRequest(0.001));
    const text = render(storeFamilies(store.snapshot()), false);
    for (const want of [
      'log_lines_total{file="web.log",env="prod",service="web"} 2',
      'log_lines_total{file="other.log",env="",service=""} 2',
      'log_errors_total{file="web.log",reason="parse_failure",env="prod",service="web"} 1',
      'log_errors_total{file="web.log",reason="line_too_long",env="prod",service="web"} 0',
      'http_requests_total{file="web.log",method="GET",status="200",env="prod",service="web"} 1',
      'http_response_bytes_total{file="web.log",method="GET",status="200",env="prod",service="web"} 10',
      'http_request_duration_seconds_count{file="web.log",method="GET",env="prod",service="web"} 1',
      'http_requests_total{file="other.log",method="GET",status="200",env="",service=""} 1',
    ])
      expect(text).toContain(want);
    expect(store.sum('http_requests_total', { service: 'web' })).toBe(1);
    // forget-after drops a file's series by its file label, labelled or not
    expect(store.dropSeries('file', 'web.log')).toBe(6);
    expect(store.sum('log_lines_total', { service: 'web' })).toBe(0);
  });

  it('no labels: the families keep their own label names only', () => {
    const store = new Store();
    const families = logFamilies(store, false);
    mergeSummary(families, 'a.log', oneRequest(0.001));
    expect(families.requests.spec.labelNames).toEqual(['file', 'method', 'status']);
    expect(render(storeFamilies(store.snapshot()), false)).toContain(
      'http_requests_total{file="a.log",method="GET",status="200"} 1',
    );
  });

  it('a checkpoint saved without labels loads into labelled families (empty values), and counting carries on', () => {
    const old = new Store();
    mergeSummary(logFamilies(old, true), 'web.log', oneRequest(0.001));
    const saved = parseCheckpoint(serializeCheckpoint(checkpointBody(old.snapshot(), { file: { paths: [] } }), 1));
    const store = new Store();
    const families = labelledFamilies(store);
    store.restore(saved.store);
    expect(families.requests.spec.labelNames).toEqual(['file', 'method', 'status', 'env', 'service']);
    expect([...families.requests.series.values()].map((s) => s.labels)).toEqual([['web.log', 'GET', '200', '', '']]);
    mergeSummary(families, 'web.log', oneRequest(0.001));
    expect(store.sum('http_requests_total', { file: 'web.log' })).toBe(2);
    expect(store.sum('http_requests_total', { service: 'web' })).toBe(1);
    expect(store.sum('http_request_duration_seconds', { file: 'web.log' })).toBe(2);
  });

  it('a labelled checkpoint restores exactly; a label gone from the config merges the series it told apart', () => {
    const before = new Store();
    const labelled = labelledFamilies(before);
    mergeSummary(labelled, 'web.log', oneRequest(0.001));
    mergeSummary(labelled, 'other.log', oneRequest(0.001));
    const saved = parseCheckpoint(serializeCheckpoint(checkpointBody(before.snapshot(), { file: { paths: [] } }), 1));
    const same = new Store();
    labelledFamilies(same);
    same.restore(saved.store);
    expect(same.snapshot()).toEqual(before.snapshot());

    const envOnly = new Store();
    const families = logFamilies(envOnly, true, { names: ['env'], valuesOf: () => ['prod'] });
    envOnly.restore(saved.store);
    expect([...families.requests.series.values()].map((s) => [s.labels, 'value' in s ? s.value : -1])).toEqual([
      [['web.log', 'GET', '200', 'prod'], 1],
      [['other.log', 'GET', '200', ''], 1],
    ]);
  });
});

describe('the route label (--route-label)', () => {
  function routedFamilies(store: Store) {
    const folded = () => store.family(LOG_FAMILIES.labelValuesFolded);
    const limits = new LabelLimits(2, (metric, label, n) => folded().inc([metric, label], n));
    return logFamilies(store, false, NO_FILE_LABELS, limits);
  }
  const byRoute = (...routes: [string, number][]) => {
    const summary = emptySummary();
    summary.requests = routes.map(([route, count]) => ({ method: GET, status: 200, count, bytes: count, route }));
    return summary;
  };

  it('keeps the first N routes and folds the rest into other, counting the folds; bytes follow', () => {
    const store = new Store();
    const families = routedFamilies(store);
    mergeSummary(families, 'a.log', byRoute(['/a', 1], ['/b', 2], ['/c', 3]));
    mergeSummary(families, 'a.log', byRoute(['/d', 4], ['/a', 5]));
    expect(families.requests.spec.labelNames).toEqual(['file', 'method', 'status', 'route']);
    expect(store.sumBy('http_requests_total', 'route')).toEqual(
      new Map([
        ['/a', 6],
        ['/b', 2],
        ['other', 7],
      ]),
    );
    expect(store.sumBy('http_response_bytes_total', 'route')).toEqual(store.sumBy('http_requests_total', 'route'));
    expect(store.sum('log_analyzer_label_values_folded_total', { metric: 'http_requests_total', label: 'route' })).toBe(
      7,
    );
  });

  it('after a restart from the checkpoint the same routes are kept and the same ones fold', () => {
    const before = new Store();
    mergeSummary(routedFamilies(before), 'a.log', byRoute(['/a', 1], ['/b', 1], ['/c', 1]));
    const saved = parseCheckpoint(serializeCheckpoint(checkpointBody(before.snapshot(), { file: { paths: [] } }), 1));
    const after = new Store();
    const families = routedFamilies(after);
    after.restore(saved.store);
    mergeSummary(families, 'a.log', byRoute(['/c', 1], ['/b', 1], ['/z', 1]));
    expect(after.sumBy('http_requests_total', 'route')).toEqual(
      new Map([
        ['/a', 1],
        ['/b', 2],
        ['other', 3],
      ]),
    );
  });

  it('with [[files]] labels the route comes before them', () => {
    const store = new Store();
    const limits = new LabelLimits(10, () => {});
    const families = logFamilies(store, false, { names: ['env'], valuesOf: () => ['prod'] }, limits);
    mergeSummary(families, 'a.log', byRoute(['/a', 1]));
    expect(render(storeFamilies(store.snapshot()), false)).toContain(
      'http_requests_total{file="a.log",method="GET",status="200",route="/a",env="prod"} 1',
    );
  });
});
