// Each supported function and operator against values computed by hand (the arithmetic is in
// each case's comment), over an in-memory source.
import { describe, expect, it } from 'vitest';
import { compileExpr } from './compile.js';
import type { EvalResult } from './evaluate.js';
import { type MemorySeries, MemorySource } from './series-source.js';

const s = (n: number) => n * 1000;
const series = (labels: Record<string, string>, points: [number, number][]): MemorySeries => ({
  labels,
  points: points.map(([t, v]) => [s(t), v] as const),
});

const source = new MemorySource([
  // A counter every 15 s: 15 at 15 s … 60 at 60 s.
  series({ __name__: 'c', job: 'a' }, [
    [0, 0],
    [15, 15],
    [30, 30],
    [45, 45],
    [60, 60],
  ]),
  // A counter that resets between 30 s and 45 s.
  series({ __name__: 'c', job: 'reset' }, [
    [15, 10],
    [30, 20],
    [45, 5],
    [60, 15],
  ]),
  // A counter whose points sit far from the edges of a 2m window ending at 120 s.
  series({ __name__: 'far', job: 'a' }, [
    [45, 100],
    [60, 110],
    [75, 120],
  ]),
  series({ __name__: 'g', job: 'a' }, [
    [15, 5],
    [30, 3],
    [45, 8],
    [60, 2],
  ]),
  series({ __name__: 'one', job: 'a' }, [[60, 7]]),
  series({ __name__: 'old', job: 'a' }, [[-301, 1]]),
  series({ __name__: 'recent', job: 'a' }, [[-239, 1]]),
  ...[
    ['0.1', 10],
    ['0.5', 30],
    ['1', 40],
    ['+Inf', 50],
  ].map(([le, v]) => series({ __name__: 'h_bucket', job: 'a', le: String(le) }, [[60, Number(v)]])),
  ...[
    ['0.1', 10],
    ['0.5', 8],
    ['1', 40],
    ['+Inf', 50],
  ].map(([le, v]) => series({ __name__: 'h_bucket', job: 'bumpy', le: String(le) }, [[60, Number(v)]])),
  ...[
    ['0.1', 1],
    ['1', 2],
  ].map(([le, v]) => series({ __name__: 'h_bucket', job: 'noinf', le: String(le) }, [[60, Number(v)]])),
  ...[
    ['0.1', 0],
    ['+Inf', 0],
  ].map(([le, v]) => series({ __name__: 'h_bucket', job: 'empty', le: String(le) }, [[60, Number(v)]])),
  ...(
    [
      ['200', 'get', 'x', 10],
      ['200', 'post', 'x', 4],
      ['500', 'get', 'x', 1],
      ['500', 'post', 'y', 3],
      ['404', 'get', 'y', Number.NaN],
    ] as const
  ).map(([status, method, instance, v]) => series({ __name__: 'req', status, method, instance }, [[60, v]])),
  series({ __name__: 'limit', status: '200' }, [[60, 12]]),
  series({ __name__: 'limit', status: '500' }, [[60, 2]]),
  series({ __name__: 'dup', status: '500', a: '1' }, [[60, 1]]),
  series({ __name__: 'dup', status: '500', a: '2' }, [[60, 2]]),
]);

type Want = { labels: Record<string, string>; value: number }[] | number | string;

function run(expr: string, atSeconds = 60): Want {
  const compiled = compileExpr(expr);
  if (!compiled.ok) return `refused: ${compiled.message}`;
  let result: EvalResult;
  try {
    result = compiled.expr.evaluate(source, s(atSeconds));
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
  if (result.kind === 'scalar') return result.value;
  const key = (l: Record<string, string>) => JSON.stringify(Object.entries(l).sort());
  return [...result.samples].sort((a, b) => key(a.labels).localeCompare(key(b.labels)));
}

const close = (want: Want, got: Want) => {
  if (typeof want !== 'object' || typeof got !== 'object') return expect(got).toEqual(want);
  expect(got.map((x) => x.labels)).toEqual(want.map((x) => x.labels));
  got.forEach((x, i) => {
    const w = (want[i] as { value: number }).value;
    if (Number.isNaN(w)) expect(x.value).toBeNaN();
    else expect(x.value).toBeCloseTo(w, 9);
  });
};

describe('range functions', () => {
  const cases: { name: string; given: string; at?: number; want: Want }[] = [
    // (0, 60]: 15…60 over 45 s, 15 s to the start (< 1.1 × 15: extrapolated; zero is 15 s before) → 45 × 60/45 = 60.
    {
      name: 'increase extrapolates to the edges',
      given: 'increase(c{job="a"}[1m])',
      want: [{ labels: { job: 'a' }, value: 60 }],
    },
    { name: 'rate is increase per second', given: 'rate(c{job="a"}[1m])', want: [{ labels: { job: 'a' }, value: 1 }] },
    // 15 − 10 + 20 (reset) = 25 over 45 s; to zero 45 × 10/25 = 18 > 15 → 25 × 60/45.
    {
      name: 'a counter reset is added back',
      given: 'increase(c{job="reset"}[1m])',
      want: [{ labels: { job: 'reset' }, value: 100 / 3 }],
    },
    {
      name: 'rate after a reset',
      given: 'rate(c{job="reset"}[1m])',
      want: [{ labels: { job: 'reset' }, value: 100 / 3 / 60 }],
    },
    // (0, 120]: 100…120 over 30 s, 45 s from each edge (> 16.5) → half a spacing each side: 20 × 45/30 = 30.
    {
      name: 'points far from the edges: half a spacing',
      given: 'increase(far[2m])',
      at: 120,
      want: [{ labels: { job: 'a' }, value: 30 }],
    },
    { name: 'rate far from the edges', given: 'rate(far[2m])', at: 120, want: [{ labels: { job: 'a' }, value: 0.25 }] },
    // Gauge 5,3,8,2: −3 over 45 s, 15 s to the start → −3 × 60/45 (no zero clamp for delta).
    { name: 'delta of a gauge', given: 'delta(g[1m])', want: [{ labels: { job: 'a' }, value: -4 }] },
    // Last two points 5 → 15 over 15 s.
    {
      name: 'irate from the last two points',
      given: 'irate(c{job="reset"}[1m])',
      want: [{ labels: { job: 'reset' }, value: 10 / 15 }],
    },
    // 45 → 5 is a reset: the change is 5 over 15 s.
    {
      name: 'irate across a reset',
      given: 'irate(c{job="reset"}[1m] offset 15s)',
      want: [{ labels: { job: 'reset' }, value: 5 / 15 }],
    },
    { name: 'avg_over_time', given: 'avg_over_time(g[1m])', want: [{ labels: { job: 'a' }, value: 4.5 }] },
    { name: 'max_over_time', given: 'max_over_time(g[1m])', want: [{ labels: { job: 'a' }, value: 8 }] },
    { name: 'min_over_time', given: 'min_over_time(g[1m])', want: [{ labels: { job: 'a' }, value: 2 }] },
    { name: 'sum_over_time', given: 'sum_over_time(g[1m])', want: [{ labels: { job: 'a' }, value: 18 }] },
    // (15, 45]: 3 and 8.
    {
      name: 'over_time with offset',
      given: 'sum_over_time(g[30s] offset 15s)',
      want: [{ labels: { job: 'a' }, value: 11 }],
    },
    { name: 'one point: no rate', given: 'rate(one[1m])', want: [] },
    {
      name: 'one point: over_time still answers',
      given: 'max_over_time(one[1m])',
      want: [{ labels: { job: 'a' }, value: 7 }],
    },
    { name: 'no point in the range: nothing', given: 'rate(c{job="a"}[10s])', at: 75, want: [] },
  ];
  it.each(cases)('$name', ({ given, at, want }) => close(want, run(given, at)));
});

describe('histogram_quantile', () => {
  const cases: { name: string; given: string; want: Want }[] = [
    // rank 25 in (0.1, 0.5] holding 20 from 10: 0.1 + 0.4 × 15/20.
    {
      name: 'interpolates inside the bucket',
      given: 'histogram_quantile(0.5, h_bucket{job="a"})',
      want: [{ labels: { job: 'a' }, value: 0.4 }],
    },
    // rank 5 in the first bucket: 0 + 0.1 × 5/10.
    {
      name: 'the first bucket starts at 0',
      given: 'histogram_quantile(0.1, h_bucket{job="a"})',
      want: [{ labels: { job: 'a' }, value: 0.05 }],
    },
    // rank 45 in +Inf: the highest finite bound.
    {
      name: 'in the +Inf bucket: the highest bound',
      given: 'histogram_quantile(0.9, h_bucket{job="a"})',
      want: [{ labels: { job: 'a' }, value: 1 }],
    },
    {
      name: 'q above 1',
      given: 'histogram_quantile(1.5, h_bucket{job="a"})',
      want: [{ labels: { job: 'a' }, value: Number.POSITIVE_INFINITY }],
    },
    {
      name: 'q below 0',
      given: 'histogram_quantile(-1, h_bucket{job="a"})',
      want: [{ labels: { job: 'a' }, value: Number.NEGATIVE_INFINITY }],
    },
    // 10, 8 → 10, 10: rank 25 in (0.5, 1] holding 30 from 10: 0.5 + 0.5 × 15/30.
    {
      name: 'counts made monotonic',
      given: 'histogram_quantile(0.5, h_bucket{job="bumpy"})',
      want: [{ labels: { job: 'bumpy' }, value: 0.75 }],
    },
    {
      name: 'no +Inf bucket: NaN',
      given: 'histogram_quantile(0.5, h_bucket{job="noinf"})',
      want: [{ labels: { job: 'noinf' }, value: Number.NaN }],
    },
    {
      name: 'no observations: NaN',
      given: 'histogram_quantile(0.5, h_bucket{job="empty"})',
      want: [{ labels: { job: 'empty' }, value: Number.NaN }],
    },
    // Summed by le over a and bumpy: 20, 38, 80, 100 → rank 50 in (0.5, 1] holding 42 from 38: 0.5 + 0.5 × 12/42.
    {
      name: 'over a sum by le',
      given: 'histogram_quantile(0.5, sum by (le) (h_bucket{job=~"a|bumpy"}))',
      want: [{ labels: {}, value: 0.5 + (0.5 * 12) / 42 }],
    },
  ];
  it.each(cases)('$name', ({ given, want }) => close(want, run(given)));
});

describe('selectors, staleness, absent', () => {
  const cases: { name: string; given: string; at?: number; want: Want }[] = [
    {
      name: 'the newest point at or before the time',
      given: 'c{job="a"}',
      at: 50,
      want: [{ labels: { __name__: 'c', job: 'a' }, value: 45 }],
    },
    { name: 'offset', given: 'c{job="a"} offset 30s', want: [{ labels: { __name__: 'c', job: 'a' }, value: 30 }] },
    { name: 'a point older than 5 minutes is stale', given: 'old', at: 0, want: [] },
    {
      name: 'within 5 minutes it is there',
      given: 'recent',
      at: 0,
      want: [{ labels: { __name__: 'recent', job: 'a' }, value: 1 }],
    },
    { name: 'regexes are anchored', given: 'req{status=~"5"}', want: [] },
    {
      name: 'regex, negative regex and inequality',
      given: 'req{status=~"5..", method!~"po.*", instance!="y"}',
      want: [{ labels: { __name__: 'req', instance: 'x', method: 'get', status: '500' }, value: 1 }],
    },
    { name: 'absent of something there', given: 'absent(req)', want: [] },
    {
      name: 'absent takes the equality labels',
      given: 'absent(nope{job="x", a=~"y"})',
      want: [{ labels: { job: 'x' }, value: 1 }],
    },
    { name: 'absent of an expression', given: 'absent(sum(nope))', want: [{ labels: {}, value: 1 }] },
  ];
  it.each(cases)('$name', ({ given, at, want }) => close(want, run(given, at)));
});

describe('aggregations', () => {
  const cases: { name: string; given: string; want: Want }[] = [
    // NaN (404) makes its group NaN for sum and avg.
    {
      name: 'sum by',
      given: 'sum by (status) (req)',
      want: [
        { labels: { status: '200' }, value: 14 },
        { labels: { status: '404' }, value: Number.NaN },
        { labels: { status: '500' }, value: 4 },
      ],
    },
    {
      name: 'sum without',
      given: 'sum without (method, instance) (req{status!="404"})',
      want: [
        { labels: { status: '200' }, value: 14 },
        { labels: { status: '500' }, value: 4 },
      ],
    },
    { name: 'sum of everything', given: 'sum(req{status!="404"})', want: [{ labels: {}, value: 18 }] },
    {
      name: 'avg',
      given: 'avg by (method) (req{status!="404"})',
      want: [
        { labels: { method: 'get' }, value: 5.5 },
        { labels: { method: 'post' }, value: 3.5 },
      ],
    },
    {
      name: 'max ignores NaN',
      given: 'max by (method) (req)',
      want: [
        { labels: { method: 'get' }, value: 10 },
        { labels: { method: 'post' }, value: 4 },
      ],
    },
    {
      name: 'min ignores NaN',
      given: 'min by (method) (req)',
      want: [
        { labels: { method: 'get' }, value: 1 },
        { labels: { method: 'post' }, value: 3 },
      ],
    },
    {
      name: 'count',
      given: 'count by (instance) (req)',
      want: [
        { labels: { instance: 'x' }, value: 3 },
        { labels: { instance: 'y' }, value: 2 },
      ],
    },
    { name: 'by a label nobody has', given: 'count by (nope) (req)', want: [{ labels: {}, value: 5 }] },
  ];
  it.each(cases)('$name', ({ given, want }) => close(want, run(given)));
});

describe('binary operators', () => {
  const cases: { name: string; given: string; want: Want }[] = [
    { name: 'scalar arithmetic and precedence', given: '2 + 3 * 4 ^ 2 % 5 - -1', want: 2 + ((3 * 16) % 5) + 1 },
    { name: 'scalar comparison with bool', given: '3 > bool 2', want: 1 },
    {
      name: 'vector × scalar drops the name',
      given: 'limit * 2',
      want: [
        { labels: { status: '200' }, value: 24 },
        { labels: { status: '500' }, value: 4 },
      ],
    },
    {
      name: 'a filter keeps the name and value',
      given: 'limit > 5',
      want: [{ labels: { __name__: 'limit', status: '200' }, value: 12 }],
    },
    {
      name: 'scalar on the left: still the vector value',
      given: '5 < limit',
      want: [{ labels: { __name__: 'limit', status: '200' }, value: 12 }],
    },
    {
      name: 'bool gives 0/1 without the name',
      given: 'limit > bool 5',
      want: [
        { labels: { status: '200' }, value: 1 },
        { labels: { status: '500' }, value: 0 },
      ],
    },
    {
      name: 'unary minus',
      given: '-limit',
      want: [
        { labels: { status: '200' }, value: -12 },
        { labels: { status: '500' }, value: -2 },
      ],
    },
    // Per status: req summed by status / limit; 404 has no limit.
    {
      name: 'vector / vector, one-to-one',
      given: 'sum by (status) (req) / limit',
      want: [
        { labels: { status: '200' }, value: 14 / 12 },
        { labels: { status: '500' }, value: 2 },
      ],
    },
    {
      name: 'comparison of vectors with on(): the left value, only the on labels',
      given: 'sum by (status, instance) (req{method="get"}) < on(status) limit',
      want: [
        { labels: { status: '200' }, value: 10 },
        { labels: { status: '500' }, value: 1 },
      ],
    },
    {
      name: 'ignoring()',
      given: 'sum by (status, method) (req{method="get"}) - ignoring(method) limit',
      want: [
        { labels: { status: '200' }, value: -2 },
        { labels: { status: '500' }, value: -1 },
      ],
    },
    {
      name: 'many on one side is an error',
      given: 'dup + on(status) limit',
      want: 'error: multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)',
    },
    {
      name: 'and',
      given: 'limit and on(status) req{method="post"}',
      want: [
        { labels: { __name__: 'limit', status: '200' }, value: 12 },
        { labels: { __name__: 'limit', status: '500' }, value: 2 },
      ],
    },
    {
      name: 'unless',
      given: 'limit unless on(status) req{instance="y"}',
      want: [{ labels: { __name__: 'limit', status: '200' }, value: 12 }],
    },
    {
      name: 'or keeps the left and adds what it lacks',
      given: 'sum by (status) (req{status="200"}) or sum by (status) (limit)',
      want: [
        { labels: { status: '200' }, value: 14 },
        { labels: { status: '500' }, value: 2 },
      ],
    },
    {
      name: 'same label set twice after dropping the name',
      given: 'rate({__name__=~"c|far", job="a"}[1m])',
      want: 'error: vector cannot contain metrics with the same labelset',
    },
  ];
  it.each(cases)('$name', ({ given, want }) => close(want, run(given)));
});
