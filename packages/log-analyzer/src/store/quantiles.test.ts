import { describe, expect, it } from 'vitest';
import type { Target } from '../metrics/catalog.js';
import { atLeastMinEpsilon, DEFAULT_TARGETS, MIN_EPSILON, SlidingQuantiles, TargetedQuantiles } from './quantiles.js';

/** A seeded uniform [0, 1) (mulberry32), so failures reproduce. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const N = 50_000;
const DISTRIBUTIONS: { name: string; values: (r: () => number) => number[] }[] = [
  { name: 'uniform', values: (r) => Array.from({ length: N }, () => r()) },
  {
    name: 'normal',
    values: (r) => Array.from({ length: N }, () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())),
  },
  { name: 'exponential', values: (r) => Array.from({ length: N }, () => -Math.log(1 - r())) },
  { name: 'ascending', values: () => Array.from({ length: N }, (_, i) => i) },
  { name: 'descending', values: () => Array.from({ length: N }, (_, i) => N - i) },
  { name: 'few distinct values', values: (r) => Array.from({ length: N }, () => Math.floor(r() * 7)) },
  { name: 'tiny', values: (r) => Array.from({ length: 7 }, () => r()) },
];

/** Whether v's true rank range in sorted touches [(q-e)n, (q+e)n]. */
function withinRank(sorted: number[], v: number, { quantile: q, epsilon: e }: Target): boolean {
  let below = 0;
  while (below < sorted.length && (sorted[below] as number) < v) below++;
  let upTo = below;
  while (upTo < sorted.length && (sorted[upTo] as number) <= v) upTo++;
  const n = sorted.length;
  return upTo >= Math.floor((q - e) * n) && below <= Math.ceil((q + e) * n);
}

describe('TargetedQuantiles', () => {
  const targetSets: Target[][] = [
    [...DEFAULT_TARGETS],
    [
      { quantile: 0.25, epsilon: 0.01 },
      { quantile: 0.75, epsilon: 0.01 },
      { quantile: 0.999, epsilon: 0.0001 },
    ],
  ];
  for (const targets of targetSets) {
    for (const { name, values } of DISTRIBUTIONS) {
      it(`keeps every rank within epsilon: ${name}, ${targets.map((t) => t.quantile).join('/')}`, () => {
        for (const seed of [1, 2, 3]) {
          const input = values(random(seed));
          const stream = new TargetedQuantiles(targets);
          for (const v of input) stream.insert(v);
          const sorted = [...input].sort((a, b) => a - b);
          for (const target of targets) {
            const got = stream.query(target.quantile);
            expect(withinRank(sorted, got, target), `q${target.quantile} = ${got}`).toBe(true);
          }
          expect(stream.count).toBe(input.length);
          // Bounded: far fewer tuples than observations.
          if (input.length === N) expect(stream.size).toBeLessThan(N / 10);
        }
      });
    }
  }

  it('merges cost O(1) per observation, whatever the epsilon (ε 1e-12 cost O(n) each 64 observations)', () => {
    const n = 100_000;
    for (const epsilon of [0.05, 0.001, 1e-12]) {
      const stream = new TargetedQuantiles([{ quantile: 0.5, epsilon }]);
      const r = random(7);
      for (let i = 0; i < n; i++) stream.insert(r());
      stream.query(0.5);
      expect(stream.copied, `epsilon ${epsilon}`).toBeLessThan(3 * n);
    }
  });

  it('is NaN when empty and exact for one value', () => {
    const stream = new TargetedQuantiles(DEFAULT_TARGETS);
    expect(stream.query(0.5)).toBeNaN();
    stream.insert(3);
    expect(stream.query(0.99)).toBe(3);
  });
});

describe('SlidingQuantiles', () => {
  it('forgets observations older than the window, bucket by bucket', () => {
    const window = new SlidingQuantiles(DEFAULT_TARGETS, 0, 600_000, 5);
    for (let i = 0; i < 2000; i++) window.observe(100, 0);
    expect(window.query(60_000)).toEqual([100, 100, 100]);
    // Later observations of 1: the 100s are still in the window until it has turned.
    for (let i = 0; i < 1000; i++) window.observe(1, 300_000);
    expect(window.query(300_000)[0]).toBe(100);
    // 10 minutes after the 100s, the head stream holds only the 1s.
    expect(window.query(610_000)).toEqual([1, 1, 1]);
    // Long after everything: empty.
    expect(window.query(10_000_000).every(Number.isNaN)).toBe(true);
  });
});

describe('atLeastMinEpsilon', () => {
  const table: { name: string; given: Target[]; want: Target[] }[] = [
    { name: 'the defaults are kept', given: [...DEFAULT_TARGETS], want: [...DEFAULT_TARGETS] },
    {
      name: 'a summary restored with 1e-12 (before the minimum) is computed at the minimum',
      given: [
        { quantile: 0.5, epsilon: 1e-12 },
        { quantile: 0.9, epsilon: 0.01 },
      ],
      want: [
        { quantile: 0.5, epsilon: MIN_EPSILON },
        { quantile: 0.9, epsilon: 0.01 },
      ],
    },
  ];
  for (const { name, given, want } of table) {
    it(name, () => expect(atLeastMinEpsilon(given)).toEqual(want));
  }
});
