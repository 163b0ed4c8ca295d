// Scrape targets against local HTTP servers: a Prometheus target whose series come and go, one
// that is slow, one that answers garbage, one that answers 500, one that goes away; health and
// custom targets. Each failure is counted by target and reason; no target holds up another.
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { Registry } from 'prom-client';
import { afterEach, expect, it } from 'vitest';
import { parsePromText, withTarget } from '../src/sources/scrape/prom-text.js';
import { numericFields, ScrapeSource, type ScrapeTarget } from '../src/sources/scrape/scrape-source.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A local target; one that `hangs` takes the request and never answers (the scrape's timeout ends it). */
async function serve(answer: (path: string) => { status?: number; body: string; hangs?: boolean }): Promise<string> {
  const server = createServer((req, res) => {
    const a = answer(req.url ?? '/');
    if (a.hangs) return;
    res.writeHead(a.status ?? 200, { 'content-type': 'text/plain' });
    res.end(a.body);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

async function source(targets: ScrapeTarget[]) {
  const registry = new Registry();
  const s = new ScrapeSource({ intervalMs: 60_000, timeoutMs: 300, maxBodyBytes: 4096, targets }, registry, (n) =>
    n.startsWith('log_'),
  );
  const value = async (name: string, labels: Record<string, string>) => {
    const metric = registry.getSingleMetric(name);
    const { values } = (await metric?.get()) ?? { values: [] };
    return values.find((v) => Object.entries(labels).every(([k, w]) => v.labels[k] === w))?.value;
  };
  return { s, value };
}

it('re-exports a Prometheus target with a target label; a series gone from it is gone here; promtool is silent', async () => {
  let round = 0;
  const url = await serve(() => ({
    body: [
      '# HELP api_requests_total Requests.',
      '# TYPE api_requests_total counter',
      `api_requests_total{code="200"} ${100 + round}`,
      round === 0 ? 'api_requests_total{code="500"} 3' : '',
      '# TYPE api_latency_seconds histogram',
      'api_latency_seconds_bucket{le="0.1"} 5',
      'api_latency_seconds_bucket{le="+Inf"} 7',
      'api_latency_seconds_sum 1.5',
      'api_latency_seconds_count 7',
      'api_up{target="self"} 1',
    ].join('\n'),
  }));
  const { s, value } = await source([{ name: 'api', url: `${url}/metrics`, type: 'prometheus' }]);
  await s.scrapeAll();
  let text = s.exposition();
  expect(text).toContain('api_requests_total{target="api",code="200"} 100\n');
  expect(text).toContain('api_requests_total{target="api",code="500"} 3\n');
  expect(text).toContain('api_latency_seconds_bucket{target="api",le="+Inf"} 7\n');
  expect(text).toContain('api_up{target="api",exported_target="self"} 1');
  expect(await value('scrape_target_up', { target: 'api' })).toBe(1);
  const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  expect(`${lint.stdout}${lint.stderr}`.trim()).toBe('');
  round = 1;
  await s.scrapeAll();
  text = s.exposition();
  expect(text).toContain('api_requests_total{target="api",code="200"} 101\n');
  expect(text).not.toContain('code="500"');
});

it.each([
  ['slow', { body: 'x 1', hangs: true }, 'timeout'],
  ['garbage', { body: 'this is { not metrics' }, 'parse'],
  ['error', { status: 500, body: 'oops' }, 'http_status'],
  ['huge', { body: `x 1\n${'#'.repeat(10_000)}` }, 'body_too_large'],
])('a %s target is down, counted by reason; a good one beside it is not held up', async (name, answer, reason) => {
  const bad = await serve(() => answer);
  const good = await serve(() => ({ body: 'ok_metric 1\n' }));
  const { s, value } = await source([
    { name, url: bad, type: 'prometheus' },
    { name: 'good', url: good, type: 'prometheus' },
  ]);
  const started = performance.now();
  await s.scrapeAll();
  expect(performance.now() - started).toBeLessThan(1500); // the timeout (300 ms) ends a target that hangs
  expect(await value('scrape_target_up', { target: name })).toBe(0);
  expect(await value('scrape_target_failures_total', { target: name, reason })).toBe(1);
  expect(await value('scrape_target_up', { target: 'good' })).toBe(1);
  expect(s.exposition()).toContain('ok_metric{target="good"} 1');
});

it('a target that goes away: down (connection), and its series go', async () => {
  const url = await serve(() => ({ body: 'gone_metric 1\n' }));
  const { s, value } = await source([{ name: 'away', url, type: 'prometheus' }]);
  await s.scrapeAll();
  expect(s.exposition()).toContain('gone_metric{target="away"} 1');
  await new Promise((r) => servers.pop()?.close(r));
  await s.scrapeAll();
  expect(await value('scrape_target_up', { target: 'away' })).toBe(0);
  expect(await value('scrape_target_failures_total', { target: 'away', reason: 'connection' })).toBe(1);
  expect(s.exposition()).toBe('');
});

it('health targets read a JSON status; custom targets expose their JSON numbers', async () => {
  const url = await serve((path) =>
    path === '/ok'
      ? { body: '{"status":"ok"}' }
      : path === '/down'
        ? { body: '{"status":"degraded"}' }
        : path === '/plain'
          ? { body: 'fine' }
          : { body: '{"queue":{"depth":12,"workers":3},"ok":true,"name":"x"}' },
  );
  const { s, value } = await source([
    { name: 'ok', url: `${url}/ok`, type: 'health' },
    { name: 'down', url: `${url}/down`, type: 'health' },
    { name: 'plain', url: `${url}/plain`, type: 'health' },
    { name: 'stats', url: `${url}/stats`, type: 'custom' },
  ]);
  await s.scrapeAll();
  expect(await value('scrape_target_up', { target: 'ok' })).toBe(1);
  expect(await value('scrape_target_up', { target: 'down' })).toBe(0);
  expect(await value('scrape_target_up', { target: 'plain' })).toBe(1);
  expect(await value('scrape_target_value', { target: 'stats', field: 'queue_depth' })).toBe(12);
  expect(await value('scrape_target_value', { target: 'stats', field: 'ok' })).toBe(1);
  expect(await value('scrape_target_duration_seconds', { target: 'ok' })).toBeGreaterThan(0);
});

it('parses OpenMetrics too (a counter family named without _total, _created dropped, # EOF)', () => {
  const { families } = parsePromText(
    '# TYPE jobs counter\njobs_total{q="a"} 4\njobs_created{q="a"} 1.7e9\n# TYPE temp gauge\ntemp 21.5\n# EOF\n',
    100,
  );
  expect(families.map((f) => [f.name, f.type, f.samples.map((s) => s.metric)])).toEqual([
    ['jobs_total', 'counter', ['jobs_total']],
    ['temp', 'gauge', ['temp']],
  ]);
  expect(withTarget([], 'a"b')).toBe('target="a\\"b"');
  expect([...numericFields({ a: { b: 1, c: 'x' }, d: [1, 2] })]).toEqual([['a_b', 1]]);
});

it('a hostile target: every bad line is dropped and counted, the good ones kept; promtool is silent on the whole', async () => {
  const hostile = [
    '# HELP good_total Good \\\\ help\\nwith a newline.',
    '# TYPE good_total counter',
    'good_total{path="a\\"b\\\\c\\nd"} 1',
    'good_total{path="x"} 2 1700000000000',
    '# TYPE good_total gauge', // a second TYPE
    '# TYPE weird_thing info', // not a type /metrics may carry
    '# TYPE 9bad gauge', // a bad name
    '# HELP bad_help a \\x escape',
    'bad-name{a="1"} 1',
    'bad_label{1a="1"} 1',
    'bad_label{a="1",a="2"} 1',
    'bad_label{__name__="x"} 1',
    'bad_escape{a="\\q"} 1',
    'unterminated{a="1} 1',
    'bad_value 1e',
    'bad_value NaNa',
    'bad_ts 1 now',
    'trailing 1 2 3',
    'good_total{path="x"} 3', // the same series again
    '# TYPE lat histogram',
    'lat_bucket{le="oops"} 1', // le must be a number
    'lat_bucket{le="+Inf"} 2',
    'lat_sum 1',
    'lat_count 2',
    'lat 7', // a histogram has no bare sample
    '# TYPE lat_sum gauge', // kept, but its samples are lat's: no second TYPE block is written
    '# TYPE q summary',
    'q{quantile="x"} 1',
    'q{quantile="0.5"} 1',
    'q_sum 1',
    'q_count 1',
    'ok_value{target="theirs"} 5',
  ].join('\n');
  const url = await serve(() => ({ body: hostile }));
  const shadow = await serve(() => ({ body: '# TYPE lat_sum gauge\nlat_sum 4\n# TYPE q gauge\nq 1\n' }));
  const registry = new Registry();
  const s = new ScrapeSource(
    {
      intervalMs: 60_000,
      timeoutMs: 1000,
      maxBodyBytes: 1 << 20,
      targets: [
        { name: 'hostile', url, type: 'prometheus' },
        { name: 'shadow', url: shadow, type: 'prometheus' },
      ],
    },
    registry,
    () => false,
  );
  await s.scrapeAll();
  const text = s.exposition();
  const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  expect(`${lint.stdout}${lint.stderr}`.trim()).toBe('');
  expect(text).toContain('# HELP good_total Good \\\\ help\\nwith a newline.\n');
  expect(text).toContain('good_total{target="hostile",path="a\\"b\\\\c\\nd"} 1\n');
  expect(text).toContain('good_total{target="hostile",path="x"} 2\n');
  expect(text).toContain('lat_bucket{target="hostile",le="+Inf"} 2\n');
  expect(text).toContain('q{target="hostile",quantile="0.5"} 1\n');
  expect(text).toContain('ok_value{target="hostile",exported_target="theirs"} 5\n');
  for (const bad of ['bad', 'unterminated', 'trailing', 'weird', 'oops', 'lat 7', 'quantile="x"', '} 3\n']) {
    expect(text).not.toContain(bad);
  }
  // The shadow target's gauge lat_sum and gauge q would clash with the hostile one's histogram and summary.
  expect(text).not.toContain('target="shadow"');
  const failures = async (target: string, reason: string) =>
    (await registry.getSingleMetric('scrape_target_failures_total')?.get())?.values.find(
      (v) => v.labels.target === target && v.labels.reason === reason,
    )?.value;
  expect(await failures('hostile', 'parse')).toBe(18);
  expect(await failures('shadow', 'name_conflict')).toBe(2);
  const up = (await registry.getSingleMetric('scrape_target_up')?.get())?.values.find(
    (v) => v.labels.target === 'hostile',
  );
  expect(up?.value).toBe(1);
});
