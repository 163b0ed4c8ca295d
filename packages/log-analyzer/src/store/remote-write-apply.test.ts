// Remote-write batches in the store: absolute values, the newest per series kept, counters across resets.
import { describe, expect, it } from 'vitest';
import { PUSH_DEFAULTS } from '../config/analyzer-config.js';
import { decodeRemoteWrite } from '../transforms/remote-write/batch.js';
import { encodeWriteRequest, snappyCompress } from '../transforms/remote-write/encode.js';
import type { DecodedBatch } from './push-batch.js';
import { absoluteOrderVerdict } from './push-checks.js';
import { PushedFamilies } from './pushed-families.js';
import { Store, type ValueSeries } from './store.js';

const LIMITS = { maxItems: 100, maxLabels: 8, maxLabelValueBytes: 1024, maxSeriesBytes: 2048 };
const NOW = 1_800_000_000_000;

function batch(name: string, samples: [number, number][]): DecodedBatch {
  const body = encodeWriteRequest([
    {
      labels: [
        ['__name__', name],
        ['job', 'j'],
      ],
      samples: samples.map(([value, timestamp]) => ({ value, timestamp })),
    },
  ]);
  const decoded = decodeRemoteWrite(snappyCompress(body), { limits: LIMITS, namespace: '', prefix: '', tenant: null });
  if ('error' in decoded) throw new Error(decoded.error.message);
  return decoded;
}

function exposedValue(store: Store, name: string): number | undefined {
  return (store.get(name)?.series.values().next().value as ValueSeries | undefined)?.value;
}

describe('absoluteOrderVerdict', () => {
  const table: {
    name: string;
    given: [number | undefined, number | undefined, number, number];
    want: string | null;
  }[] = [
    { name: 'the first sample', given: [undefined, undefined, 5, NOW], want: null },
    { name: 'a newer one', given: [NOW, 5, 3, NOW + 1], want: null },
    { name: 'the same one again (a resend)', given: [NOW, 5, 5, NOW], want: null },
    { name: 'another value for the same time', given: [NOW, 5, 6, NOW], want: 'out_of_order' },
    { name: 'an older one', given: [NOW, 5, 5, NOW - 1], want: 'out_of_order' },
    { name: 'a kept time far in the future orders nothing', given: [NOW + 3_600_000, 5, 1, NOW], want: null },
  ];
  for (const { name, given, want } of table) {
    it(name, () => {
      expect(absoluteOrderVerdict(given[0], given[1], given[2], given[3], NOW)?.[0] ?? null).toBe(want);
    });
  }
});

describe('remote-write samples in the store', () => {
  it('a counter starts at its absolute value, adds what it grew by, and a decrease is a reset', () => {
    const store = new Store();
    const pushed = new PushedFamilies(store, PUSH_DEFAULTS);
    expect(pushed.take(batch('r_total', [[10, NOW]]), NOW).rejected).toEqual([]);
    expect(exposedValue(store, 'r_total')).toBe(10);
    pushed.take(batch('r_total', [[15, NOW + 15_000]]), NOW);
    expect(exposedValue(store, 'r_total')).toBe(15);
    // The sender restarted: 4 counted since, so 15 + 4, never lower.
    pushed.take(batch('r_total', [[4, NOW + 30_000]]), NOW);
    expect(exposedValue(store, 'r_total')).toBe(19);
    expect(pushed.stats.resets).toBe(1);
  });

  it('an older sample is refused out_of_order, and changes nothing', () => {
    const store = new Store();
    const pushed = new PushedFamilies(store, PUSH_DEFAULTS);
    pushed.take(batch('r_total', [[10, NOW]]), NOW);
    const taken = pushed.take(batch('r_total', [[3, NOW - 15_000]]), NOW);
    expect(taken.rejected.map((r) => r.reason)).toEqual(['out_of_order']);
    expect(exposedValue(store, 'r_total')).toBe(10);
    expect(pushed.stats.resets).toBe(0);
    const gauge = pushed.take(
      batch('g', [
        [1, NOW],
        [2, NOW - 1],
      ]),
      NOW,
    );
    expect(gauge.rejected.map((r) => [r.index, r.reason])).toEqual([[1, 'out_of_order']]);
    expect(exposedValue(store, 'g')).toBe(1);
  });

  it('a resend (same time, same value) is taken and changes nothing; a second value for one time is refused', () => {
    const store = new Store();
    const pushed = new PushedFamilies(store, PUSH_DEFAULTS);
    pushed.take(batch('r_total', [[10, NOW]]), NOW);
    expect(pushed.take(batch('r_total', [[10, NOW]]), NOW)).toEqual({ accepted: 1, rejected: [] });
    expect(exposedValue(store, 'r_total')).toBe(10);
    expect(pushed.take(batch('r_total', [[11, NOW]]), NOW).rejected.map((r) => r.reason)).toEqual(['out_of_order']);
  });

  it('several samples of a series in one request: applied in order, the newest kept', () => {
    const store = new Store();
    const pushed = new PushedFamilies(store, PUSH_DEFAULTS);
    pushed.take(
      batch('g', [
        [1, NOW],
        [2, NOW + 1],
        [3, NOW + 2],
      ]),
      NOW,
    );
    expect(exposedValue(store, 'g')).toBe(3);
    pushed.take(
      batch('c_total', [
        [1, NOW],
        [5, NOW + 1],
        [2, NOW + 2],
      ]),
      NOW,
    );
    expect(exposedValue(store, 'c_total')).toBe(7);
  });

  it('a JSON counter push is unchanged: increments, no order by time', () => {
    const store = new Store();
    const pushed = new PushedFamilies(store, PUSH_DEFAULTS);
    const json = batch('j_total', [[2, NOW]]);
    pushed.take({ ...json, shape: 'batch' }, NOW);
    pushed.take({ ...json, shape: 'batch', stamps: Float64Array.of(NOW - 1) }, NOW);
    expect(exposedValue(store, 'j_total')).toBe(4);
  });
});
