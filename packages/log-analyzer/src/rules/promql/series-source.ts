// Where an expression reads its data: the contract (instant values and raw points over a range,
// by label matchers) and an in-memory implementation for tests and benchmarks. The analyzer's
// own implementation, over the store, is store-source.ts.

import type { Matcher } from './ast.js';

export type Labels = Record<string, string>;

export interface InstantSample {
  /** With `__name__`. */
  labels: Labels;
  value: number;
}

export interface RangeSeries {
  labels: Labels;
  /** Times (ms) and values, oldest first, fromMs < t ≤ toMs. */
  times: number[];
  values: number[];
}

export interface SeriesSource {
  /** Each matching series' newest value at or before `atMs` within the lookback (absent otherwise). */
  instant(matchers: readonly Matcher[], atMs: number): InstantSample[];
  /** Each matching series' raw points in (fromMs, toMs]; series without a point there left out. */
  range(matchers: readonly Matcher[], fromMs: number, toMs: number): RangeSeries[];
}

/** How far back an instant selector looks for a series' newest point, as Prometheus' default. */
export const LOOKBACK_MS = 5 * 60_000;

export function matches(matcher: Matcher, labels: Labels): boolean {
  const value = labels[matcher.name] ?? '';
  switch (matcher.op) {
    case '=':
      return value === matcher.value;
    case '!=':
      return value !== matcher.value;
    case '=~':
      return (matcher.re as RegExp).test(value);
    case '!~':
      return !(matcher.re as RegExp).test(value);
  }
}

export function matchesAll(matchers: readonly Matcher[], labels: Labels): boolean {
  for (const m of matchers) if (!matches(m, labels)) return false;
  return true;
}

/** The metric name an `__name__="x"` matcher asks for (an index key), if any. */
export function nameOf(matchers: readonly Matcher[]): string | undefined {
  return matchers.find((m) => m.name === '__name__' && m.op === '=')?.value;
}

/** A series with its raw points (ms, value), oldest first. */
export interface MemorySeries {
  labels: Labels;
  points: readonly (readonly [number, number])[];
}

/** Series held in memory, indexed by metric name: tests' and the benchmark's source. */
export class MemorySource implements SeriesSource {
  private readonly byName = new Map<string, MemorySeries[]>();
  private readonly everything: MemorySeries[] = [];

  constructor(series: readonly MemorySeries[]) {
    for (const s of series) {
      const name = s.labels.__name__ ?? '';
      let list = this.byName.get(name);
      if (!list) {
        list = [];
        this.byName.set(name, list);
      }
      list.push(s);
      this.everything.push(s);
    }
  }

  private candidates(matchers: readonly Matcher[]): readonly MemorySeries[] {
    const name = nameOf(matchers);
    return name === undefined ? this.everything : (this.byName.get(name) ?? []);
  }

  instant(matchers: readonly Matcher[], atMs: number): InstantSample[] {
    const out: InstantSample[] = [];
    for (const s of this.candidates(matchers)) {
      if (!matchesAll(matchers, s.labels)) continue;
      for (let i = s.points.length - 1; i >= 0; i--) {
        const [t, v] = s.points[i] as readonly [number, number];
        if (t > atMs) continue;
        if (t > atMs - LOOKBACK_MS) out.push({ labels: s.labels, value: v });
        break;
      }
    }
    return out;
  }

  range(matchers: readonly Matcher[], fromMs: number, toMs: number): RangeSeries[] {
    const out: RangeSeries[] = [];
    for (const s of this.candidates(matchers)) {
      if (!matchesAll(matchers, s.labels)) continue;
      const times: number[] = [];
      const values: number[] = [];
      for (const [t, v] of s.points) {
        if (t > fromMs && t <= toMs) {
          times.push(t);
          values.push(v);
        }
      }
      if (times.length > 0) out.push({ labels: s.labels, times, values });
    }
    return out;
  }
}
