import { describe, expect, it } from 'vitest';
import { Store } from '../../store/store.js';
import type { Matcher } from './ast.js';
import { compileExpr } from './compile.js';
import { StoreSource } from './store-source.js';

function storeWithTraffic() {
  const store = new Store();
  const requests = store.family({ name: 'http_requests_total', help: 'h', kind: 'counter', labelNames: ['status'] });
  const duration = store.family({
    name: 'http_request_duration_seconds',
    help: 'h',
    kind: 'histogram',
    labelNames: ['method'],
    bounds: [0.1, 1],
  });
  store.family({ name: 'pushed_total', help: 'h', kind: 'counter', labelNames: [], tenant: 'other' }).add('x', {
    labels: ['1'],
    names: ['a'],
    value: 5,
  });
  return { store, requests, duration };
}

/** The matchers of `http_requests_total` (what `rate(http_requests_total[1m])` reads). */
const REQUESTS: Matcher[] = [{ name: '__name__', op: '=', value: 'http_requests_total' }];

function query(source: StoreSource, expr: string, at: number) {
  const compiled = compileExpr(expr);
  if (!compiled.ok) throw new Error(compiled.message);
  return compiled.expr.evaluate(source, at);
}

describe('StoreSource', () => {
  it('reads current values: counters, histogram buckets cumulative with le, _sum and _count', () => {
    const { store, requests, duration } = storeWithTraffic();
    requests.inc(['200'], 7);
    duration.observe(['get'], [2, 3, 1], 4.5, 6);
    const source = new StoreSource(store, { stepMs: 10_000, windowMs: 3600_000 });
    const want = {
      kind: 'vector',
      samples: [
        { labels: { __name__: 'http_request_duration_seconds_bucket', method: 'get', le: '0.1' }, value: 2 },
        { labels: { __name__: 'http_request_duration_seconds_bucket', method: 'get', le: '1' }, value: 5 },
        { labels: { __name__: 'http_request_duration_seconds_bucket', method: 'get', le: '+Inf' }, value: 6 },
      ],
    };
    expect(query(source, 'http_request_duration_seconds_bucket', 0)).toEqual(want);
    expect(query(source, 'http_request_duration_seconds_count + http_request_duration_seconds_sum', 0)).toEqual({
      kind: 'vector',
      samples: [{ labels: { method: 'get' }, value: 10.5 }],
    });
    expect(query(source, 'http_requests_total', 0)).toEqual({
      kind: 'vector',
      samples: [{ labels: { __name__: 'http_requests_total', status: '200' }, value: 7 }],
    });
  });

  it("leaves out a tenant's own clashing family, as unscoped /metrics does", () => {
    const { store } = storeWithTraffic();
    const source = new StoreSource(store, { stepMs: 10_000, windowMs: 3600_000 });
    expect(query(source, 'pushed_total', 0)).toEqual({ kind: 'vector', samples: [] });
  });

  it('records the points range selectors ask for, every step, and answers rate() from them', async () => {
    const { store, requests } = storeWithTraffic();
    const source = new StoreSource(store, { stepMs: 10_000, windowMs: 3600_000 });
    // The first read asks for the series: nothing recorded yet.
    expect(query(source, 'rate(http_requests_total[1m])', 0)).toEqual({ kind: 'vector', samples: [] });
    for (let t = 10; t <= 60; t += 10) {
      requests.inc(['500'], 20);
      await source.sample(t * 1000);
    }
    expect(source.recorded).toBe(1);
    // 20…120 at 10…60 s, evaluated at 60 s over (0, 60]: 100 over 50 s, 10 s to the start (to zero: 10 s) → 120 / 60.
    expect(query(source, 'rate(http_requests_total[1m])', 60_000)).toEqual({
      kind: 'vector',
      samples: [{ labels: { status: '500' }, value: 2 }],
    });
    // An instant selector in the past reads the recorded points.
    expect(query(source, 'http_requests_total offset 30s', 60_000)).toEqual({
      kind: 'vector',
      samples: [{ labels: { __name__: 'http_requests_total', status: '500' }, value: 60 }],
    });
  });

  it('an instant read a moment before the last sample reads current values, not the (empty) recording', async () => {
    const { store, requests } = storeWithTraffic();
    const source = new StoreSource(store, { stepMs: 10_000, windowMs: 3600_000 });
    requests.inc(['200'], 3);
    await source.sample(100_000);
    expect(query(source, 'absent(http_requests_total)', 95_000)).toEqual({ kind: 'vector', samples: [] });
    // More than a step before: the recording, which this selector never asked for.
    expect(query(source, 'absent(http_requests_total)', 85_000)).toEqual({
      kind: 'vector',
      samples: [{ labels: {}, value: 1 }],
    });
  });

  it('keeps each series as long as the longest range reading it, not the longest range of all', async () => {
    const { store, requests, duration } = storeWithTraffic();
    const source = new StoreSource(store, { stepMs: 10_000, windowMs: 3600_000 });
    requests.inc(['200'], 1);
    duration.observe(['get'], [1, 0, 0], 0.05, 1);
    query(source, 'rate(http_requests_total[1m])', 0);
    query(source, 'max_over_time(http_request_duration_seconds_count[10m])', 0);
    await source.sample(10_000);
    // 1m / 10 s + 2 for the one, 10m / 10 s + 2 for the other.
    expect(source.keptPoints).toBe(8 + 62);
    query(source, 'rate(http_requests_total[20m])', 10_000);
    await source.sample(20_000);
    expect(source.keptPoints).toBe(122 + 62);
    expect(query(source, 'sum_over_time(http_requests_total[20m])', 20_000)).toEqual({
      kind: 'vector',
      samples: [{ labels: { status: '200' }, value: 2 }],
    });
  });

  it('one recording per cadence: a sample younger than freshMs serves, one under way is waited for', async () => {
    const { store, requests } = storeWithTraffic();
    let renders = 0;
    const source = new StoreSource(store, { stepMs: 10_000, windowMs: 3600_000 }, async () => {
      renders++;
      return [];
    });
    requests.inc(['200'], 1);
    query(source, 'rate(http_requests_total[1m])', 0);
    // The step's timer and a rule turn at once: one render of the self metrics, one point.
    await Promise.all([source.sample(10_000, 5000), source.sample(10_001, 250)]);
    expect({ renders, samples: source.samples, kept: source.range(REQUESTS, 0, 20_000)[0]?.times.length }).toEqual({
      renders: 1,
      samples: { recorded: 1, fresh: 1 },
      kept: 1,
    });
    // A turn 200 ms later wanting a point at most 250 ms old: the step's serves.
    await source.sample(10_200, 250);
    expect(source.samples).toEqual({ recorded: 1, fresh: 2 });
    await source.sample(10_300, 250);
    expect(source.samples).toEqual({ recorded: 2, fresh: 2 });
    expect(source.recorded).toBe(1);
  });

  it("each reader's sample records what that reader reads; a series both read is one ring", async () => {
    const { store, requests, duration } = storeWithTraffic();
    let renders = 0;
    const source = new StoreSource(store, { stepMs: 10_000, windowMs: 3600_000 }, async () => {
      renders++;
      return [];
    });
    const rules = source.reader('rules');
    const query = source.reader('query');
    requests.inc(['200'], 1);
    duration.observe(['get'], [1, 0, 0], 0.05, 1);
    // A reader that has read nothing: its sample records and renders nothing.
    await source.sample(0, 5000, 'query');
    expect({ renders, samples: source.samples }).toEqual({ renders: 0, samples: { recorded: 0, fresh: 0 } });
    query.range(REQUESTS, -60_000, 0);
    const ofRules = compileExpr('rate(http_request_duration_seconds_count[1m])');
    if (!ofRules.ok) throw new Error(ofRules.message);
    ofRules.expr.evaluate(rules, 0);
    rules.range(REQUESTS, -60_000, 0);
    const points = (matchers: Matcher[]) => source.range(matchers, -1, 100_000)[0]?.times ?? [];
    const COUNT: Matcher[] = [{ name: '__name__', op: '=', value: 'http_request_duration_seconds_count' }];
    // Turns every 15 s, steps every 10 s (phase 3 s), each skipping what is younger than half its cadence.
    for (const [t, reader, freshMs] of [
      [0, 'rules', 7500],
      [3000, 'query', 5000],
      [13_000, 'query', 5000],
      [15_000, 'rules', 7500],
      [23_000, 'query', 5000],
      [30_000, 'rules', 7500],
    ] as const)
      await source.sample(t, freshMs, reader);
    // Only the rules read the count: their turns alone. Both read the requests: one ring, both
    // cadences, a point younger than half the sampler's cadence kept (3 s after a turn, a step
    // keeps the turn's; 2 s and 7 s after a step, a turn keeps the step's).
    expect({ count: points(COUNT), requests: points(REQUESTS), recorded: source.recorded }).toEqual({
      count: [0, 15_000, 30_000],
      requests: [0, 13_000, 23_000],
      recorded: 2,
    });
  });

  it("a rule's range has its points by the third turn after a start, the query route's steps just before each turn", async () => {
    const { store, requests } = storeWithTraffic();
    const source = new StoreSource(store, { stepMs: 10_000, windowMs: 3600_000 });
    const rate = compileExpr('rate(http_requests_total[1m])');
    if (!rate.ok) throw new Error(rate.message);
    source.reader('query').range(REQUESTS, -60_000, 0);
    const turns: number[] = [];
    // Turns every 10 s (fresh: 5 s), steps 1 s before each (fresh: 5 s): the turns keep the steps' points.
    for (const t of [0, 10_000, 20_000]) {
      requests.inc(['200'], 10);
      if (t > 0) await source.sample(t - 1000, 5000, 'query');
      await source.sample(t, 5000, 'rules');
      const result = rate.expr.evaluate(source.reader('rules'), t);
      turns.push(result.kind === 'vector' ? result.samples.length : -1);
    }
    // Empty at the first two turns (as a Prometheus that just started), there at the third: the
    // warm-up (rule-engine.ts WARM_UP_EVALUATIONS) keeps a restored alert that long.
    expect(turns).toEqual([0, 0, 1]);
  });

  it('keeps every point within a range when samples come closer than a step (turns between steps)', async () => {
    const { store, requests } = storeWithTraffic();
    const source = new StoreSource(store, { stepMs: 10_000, windowMs: 3600_000 });
    query(source, 'rate(http_requests_total[1m])', 0);
    // 2.5 s apart: four times the points a 1m ring sized by the 10 s step holds at first.
    for (let t = 2500; t <= 60_000; t += 2500) {
      requests.inc(['200'], 5);
      await source.sample(t, 1250);
    }
    const [series] = source.range(REQUESTS, 0, 60_000);
    expect(series?.times).toHaveLength(24);
    expect(series?.times[0]).toBe(2500);
    // 5 … 120 at 2.5 … 60 s: 115 over 57.5 s, extrapolated to the range's start (to zero) → 120 / 60.
    expect(query(source, 'rate(http_requests_total[1m])', 60_000)).toEqual({
      kind: 'vector',
      samples: [{ labels: { status: '200' }, value: 2 }],
    });
  });

  it('forgets what nobody asked for over a window, and series gone as long', async () => {
    const { store, requests } = storeWithTraffic();
    const source = new StoreSource(store, { stepMs: 10_000, windowMs: 60_000 });
    requests.inc(['200'], 1);
    query(source, 'rate(http_requests_total[1m])', 0);
    await source.sample(10_000);
    expect(source.recorded).toBe(1);
    await source.sample(80_000);
    await source.sample(150_000);
    expect(source.recorded).toBe(0);
  });

  it('reads self, scraped and Pushgateway samples as of the last sample', async () => {
    const { store } = storeWithTraffic();
    const source = new StoreSource(store, { stepMs: 10_000, windowMs: 3600_000 }, async () => [
      { name: 'log_analyzer_errors_total', labels: [['stage', 'tail']], value: 3 },
    ]);
    let renders = 0;
    const counted = new StoreSource(store, { stepMs: 10_000, windowMs: 3600_000 }, async () => {
      renders++;
      return [];
    });
    // Nobody reads it: the self metrics are not rendered every step for nothing.
    await counted.sample(1000);
    expect(renders).toBe(0);
    query(counted, 'up', 1000);
    await counted.sample(2000);
    expect(renders).toBe(1);
    expect(query(source, 'log_analyzer_errors_total', 0)).toEqual({ kind: 'vector', samples: [] });
    await source.sample(1000);
    expect(query(source, 'log_analyzer_errors_total > 2', 1000)).toEqual({
      kind: 'vector',
      samples: [{ labels: { __name__: 'log_analyzer_errors_total', stage: 'tail' }, value: 3 }],
    });
  });
});
