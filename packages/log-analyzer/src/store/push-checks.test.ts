import { describe, expect, it } from 'vitest';
import type { FamilyKind } from '../metrics/catalog.js';
import {
  futureVerdict,
  holdsOrder,
  MAX_FUTURE_SKEW_MS,
  nameConflictVerdict,
  namesTaken,
  overflowVerdict,
} from './push-checks.js';

const NOW = Date.parse('2026-12-03T09:00:00Z');

describe('futureVerdict', () => {
  const table: { name: string; given: number; want: string | null }[] = [
    { name: 'no timestamp', given: Number.NaN, want: null },
    { name: 'now', given: NOW, want: null },
    { name: 'a year ago (a queue backlog may be old)', given: NOW - 365 * 86_400_000, want: null },
    { name: 'exactly the skew ahead', given: NOW + MAX_FUTURE_SKEW_MS, want: null },
    { name: 'past the skew', given: NOW + MAX_FUTURE_SKEW_MS + 1, want: 'too_far_in_future' },
    { name: 'the largest date (8.64e15 ms)', given: 8.64e15, want: 'too_far_in_future' },
  ];
  for (const { name, given, want } of table) {
    it(name, () => expect(futureVerdict(given, NOW)?.[0] ?? null).toBe(want));
  }
});

describe('holdsOrder', () => {
  const table: { name: string; given: number | undefined; want: boolean }[] = [
    { name: 'no time stored', given: undefined, want: false },
    { name: 'a time in the past', given: NOW - 1000, want: true },
    { name: 'a time from before the check, years ahead', given: 8.64e15, want: false },
  ];
  for (const { name, given, want } of table) {
    it(name, () => expect(holdsOrder(given, NOW)).toBe(want));
  }
});

describe('overflowVerdict', () => {
  const table: { name: string; given: [number, number]; want: string | null }[] = [
    { name: 'small', given: [1, 2], want: null },
    { name: '1e308 once', given: [0, 1e308], want: null },
    { name: '1e308 twice', given: [1e308, 1e308], want: 'overflow' },
    { name: '1.7e308 twice (a histogram _sum)', given: [1.7e308, 1.7e308], want: 'overflow' },
    { name: 'negative observations', given: [-1.7e308, -1.7e308], want: 'overflow' },
    { name: 'the largest double plus a little (rounds back)', given: [Number.MAX_VALUE, 1], want: null },
  ];
  for (const { name, given, want } of table) {
    it(name, () => expect(overflowVerdict(...given)?.[0] ?? null).toBe(want));
  }
});

describe('nameConflictVerdict', () => {
  const table: {
    name: string;
    given: { name: string; kind: FamilyKind; store: [string, FamilyKind][] };
    want: string | null;
  }[] = [
    { name: 'an empty store', given: { name: 'h', kind: 'histogram', store: [] }, want: null },
    {
      name: 'gauge h_sum beside histogram h',
      given: { name: 'h_sum', kind: 'gauge', store: [['h', 'histogram']] },
      want: 'name_conflict',
    },
    {
      name: 'gauge h_bucket beside histogram h',
      given: { name: 'h_bucket', kind: 'gauge', store: [['h', 'histogram']] },
      want: 'name_conflict',
    },
    {
      name: 'gauge h_count beside summary h',
      given: { name: 'h_count', kind: 'gauge', store: [['h', 'summary']] },
      want: 'name_conflict',
    },
    {
      name: 'gauge h_bucket beside summary h (a summary has none)',
      given: { name: 'h_bucket', kind: 'gauge', store: [['h', 'summary']] },
      want: null,
    },
    {
      name: 'histogram h after gauge h_sum',
      given: { name: 'h', kind: 'histogram', store: [['h_sum', 'gauge']] },
      want: 'name_conflict',
    },
    {
      name: 'summary h after gauge h_count',
      given: { name: 'h', kind: 'summary', store: [['h_count', 'gauge']] },
      want: 'name_conflict',
    },
    {
      name: 'summary h after gauge h_bucket',
      given: { name: 'h', kind: 'summary', store: [['h_bucket', 'gauge']] },
      want: null,
    },
    {
      name: 'gauge x beside counter x_total (OpenMetrics family x)',
      given: { name: 'x', kind: 'gauge', store: [['x_total', 'counter']] },
      want: 'name_conflict',
    },
    {
      name: 'counter x_total after gauge x',
      given: { name: 'x_total', kind: 'counter', store: [['x', 'gauge']] },
      want: 'name_conflict',
    },
    {
      name: 'counter h_sum_total beside histogram h',
      given: { name: 'h_sum_total', kind: 'counter', store: [['h', 'histogram']] },
      want: 'name_conflict',
    },
    {
      name: 'histogram h_sum beside histogram h',
      given: { name: 'h_sum', kind: 'histogram', store: [['h', 'histogram']] },
      want: 'name_conflict',
    },
    {
      name: 'unrelated names',
      given: {
        name: 'a_sum',
        kind: 'gauge',
        store: [
          ['b', 'histogram'],
          ['a_total', 'counter'],
        ],
      },
      want: null,
    },
    {
      name: 'gauge a_sum beside counter a_sum_total (OpenMetrics family a_sum)',
      given: { name: 'a_sum', kind: 'gauge', store: [['a_sum_total', 'counter']] },
      want: 'name_conflict',
    },
    { name: 'a gauge h_sum alone', given: { name: 'h_sum', kind: 'gauge', store: [['h', 'gauge']] }, want: null },
  ];
  for (const { name, given, want } of table) {
    it(name, () => {
      const store = new Map(given.store);
      expect(nameConflictVerdict(given.name, given.kind, (n) => store.get(n))?.[0] ?? null).toBe(want);
    });
  }

  it('names what each kind takes in the exposition', () => {
    expect(namesTaken('h', 'histogram')).toEqual(['h', 'h_bucket', 'h_sum', 'h_count']);
    expect(namesTaken('s', 'summary')).toEqual(['s', 's_sum', 's_count']);
    expect(namesTaken('c_total', 'counter')).toEqual(['c_total', 'c']);
    expect(namesTaken('g', 'gauge')).toEqual(['g']);
  });
});
