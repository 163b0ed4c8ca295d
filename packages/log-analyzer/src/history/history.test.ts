// The history with the clock in the test's hands: sample(now) is what the timer calls.
import { describe, expect, it } from 'vitest';
import { HISTORY_DEFAULTS } from '../config/analyzer-config.js';
import { aggregatedText, seriesAnswer, trendAnswer } from '../export/history-queries.js';
import { type HistogramSeries, Store, type ValueSeries } from '../store/store.js';
import { bucketQuantile, History } from './history.js';

const S = 10_000; // the default step

function setup(options = {}) {
  const store = new Store();
  const history = new History(store, { ...HISTORY_DEFAULTS, ...options });
  const counters = store.family({ name: 'hits_total', help: 'h', kind: 'counter', labelNames: ['path'] });
  const gauges = store.family({ name: 'depth', help: 'd', kind: 'gauge', labelNames: ['q'] });
  const counter = (path: string) => {
    const s: ValueSeries = { labels: [path], value: 0 };
    counters.add(path, s);
    return s;
  };
  const gauge = (q: string) => {
    const s: ValueSeries = { labels: [q], value: 0 };
    gauges.add(q, s);
    return s;
  };
  return { store, history, counter, gauge };
}

const points = (history: History, name: string, now: number, labels: Record<string, string> = {}) =>
  seriesAnswer(history, { name, limit: 100 }, now)
    .series.filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .flatMap((s) => s.points.map((p) => [Date.parse(p.timestamp), p.value]));

describe('History', () => {
  it('keeps a counter as its rate per second, a gauge as its value, one point per step', () => {
    const { history, counter, gauge } = setup();
    const c = counter('/a');
    const g = gauge('q1');
    history.sample(0);
    c.value = 100;
    g.value = 7;
    history.sample(S);
    c.value = 100 + 250;
    g.value = 3;
    history.sample(2 * S);
    // The first reading of a counter has no rate yet.
    expect(points(history, 'hits_total', 2 * S)).toEqual([
      [S, 10],
      [2 * S, 25],
    ]);
    expect(points(history, 'depth', 2 * S)).toEqual([
      [0, 0],
      [S, 7],
      [2 * S, 3],
    ]);
  });

  it('a counter that went down (a reset) counts from zero again', () => {
    const { history, counter } = setup();
    const c = counter('/a');
    c.value = 500;
    history.sample(0);
    c.value = 40;
    history.sample(S);
    expect(points(history, 'hits_total', S)).toEqual([[S, 4]]);
  });

  it('the ring keeps the window, and a step without a sample has no point', () => {
    const { history, gauge } = setup({ windowMs: 3 * S });
    const g = gauge('q1');
    for (const [i, at] of [0, 1, 2, 4, 5].entries()) {
      g.value = i + 1;
      history.sample(at * S);
    }
    // Window 3 steps up to step 5: steps 3, 4, 5; step 3 was never sampled.
    expect(points(history, 'depth', 5 * S)).toEqual([
      [4 * S, 4],
      [5 * S, 5],
    ]);
  });

  it('rolls points up per period: count, sum, min, max, last', () => {
    const { history, gauge } = setup({ rollupMs: 3 * S });
    const g = gauge('q1');
    for (const [i, v] of [5, 1, 9, 4, 6].entries()) {
      g.value = v;
      history.sample(i * S);
    }
    const [track] = [...history.all()];
    expect(track?.rollupsUpTo(1, 10)).toEqual([
      { index: 0, count: 3, sum: 15, min: 1, max: 9, last: 9 },
      { index: 1, count: 2, sum: 10, min: 4, max: 6, last: 6 },
    ]);
  });

  it('past --history-max-series, the least recently changed series goes (counted) and comes back when it changes', () => {
    const { history, gauge } = setup({ maxSeries: 2 });
    const [a, b] = [gauge('a'), gauge('b')];
    a.value = 1;
    b.value = 1;
    history.sample(0);
    a.value = 2; // a changed at step 1; b did not
    history.sample(S);
    const c = gauge('c');
    c.value = 5;
    history.sample(2 * S);
    expect(history.size).toBe(2);
    expect(history.dropped).toBe(1);
    expect(
      seriesAnswer(history, { name: 'depth', limit: 10 }, 2 * S)
        .series.map((s) => s.labels.q)
        .sort(),
    ).toEqual(['a', 'c']);
    b.value = 8;
    history.sample(3 * S);
    expect(points(history, 'depth', 3 * S, { q: 'b' })).toEqual([[3 * S, 8]]);
    expect(history.dropped).toBe(2);
  });

  it('keeps a histogram as p50/p95/p99 of the step and its observations per second', () => {
    const { store, history } = setup();
    const family = store.family({
      name: 'latency_seconds',
      help: 'l',
      kind: 'histogram',
      labelNames: [],
      bounds: [0.1, 1],
    });
    const s: HistogramSeries = { labels: [], buckets: [0, 0, 0], sum: 0, count: 0 };
    family.add('', s);
    history.sample(0);
    s.buckets = [80, 20, 0];
    s.count = 100;
    history.sample(S);
    const answer = seriesAnswer(history, { name: 'latency_seconds', limit: 10 }, S).series;
    const at = (q: string) => answer.find((t) => t.labels.quantile === q)?.points.at(-1)?.value;
    expect(at('0.5')).toBeCloseTo(bucketQuantile(0.5, [0.1, 1], [80, 20, 0]), 6);
    expect(at('0.5')).toBeCloseTo(0.0625, 6);
    expect(at('0.99')).toBeCloseTo(0.1 + (0.9 * 19) / 20, 5);
    expect(points(history, 'latency_seconds_count', S)).toEqual([[S, 10]]);
  });
});

describe('queries', () => {
  it('a steadily rising series is "increasing" over its rollups, with its change from the fitted line', () => {
    const { history, gauge } = setup();
    const g = gauge('q1');
    const H = 3_600_000;
    for (let t = 0; t <= 6 * H; t += S) {
      g.value = 100 + t / 60_000; // +60 an hour
      history.sample(t);
    }
    const t = trendAnswer(history, 'depth', 6, {}, 6 * H);
    expect(t.trend).toBe('increasing');
    expect(t.resolution_seconds).toBe(300);
    expect(t.data_points.length).toBe(72);
    expect(t.change_percent).toBeGreaterThan(200);
    expect(trendAnswer(history, 'depth', 6, { q: 'other' }, 6 * H).data_points).toEqual([]);
  });

  it('/metrics?aggregated=true: the last minute averaged, as gauges named <name>_avg', () => {
    const { history, gauge } = setup();
    const g = gauge('q1');
    for (let i = 0; i <= 6; i++) {
      g.value = i;
      history.sample(i * S);
    }
    // The last minute: steps 1…6 → (1+…+6)/6 = 3.5.
    expect(aggregatedText(history, 6 * S)).toContain('# TYPE depth_avg gauge\ndepth_avg{q="q1"} 3.5\n');
  });
});
