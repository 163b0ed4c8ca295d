// The range functions and histogram_quantile, over plain numbers, as Prometheus computes them
// (promql/functions.go and quantile.go, re-written from their documented behaviour). Pure.

import type { RangeFunction } from './ast.js';

/**
 * rate / increase / delta over raw points in a window (rangeStart, rangeEnd]: the change between
 * the first and last point (counter resets added back for rate and increase), extrapolated to the
 * window's edges when the points come close to them (within 1.1 × the average spacing; else half
 * a spacing), never below zero for a counter; per second for rate. Null under two points.
 */
export function extrapolatedRate(
  times: readonly number[],
  values: readonly number[],
  rangeStartMs: number,
  rangeEndMs: number,
  isCounter: boolean,
  isRate: boolean,
): number | null {
  const n = values.length;
  if (n < 2) return null;
  const first = values[0] as number;
  const last = values[n - 1] as number;
  let result = last - first;
  if (isCounter) {
    let previous = 0;
    for (const v of values) {
      if (v < previous) result += previous;
      previous = v;
    }
  }
  const firstT = times[0] as number;
  const lastT = times[n - 1] as number;
  let durationToStart = (firstT - rangeStartMs) / 1000;
  const durationToEnd = (rangeEndMs - lastT) / 1000;
  const sampledInterval = (lastT - firstT) / 1000;
  const averageSpacing = sampledInterval / (n - 1);
  // A counter starts at zero: do not extrapolate to before the time it would have been zero.
  if (isCounter && result > 0 && first >= 0) {
    const durationToZero = sampledInterval * (first / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  const threshold = averageSpacing * 1.1;
  let interval = sampledInterval;
  interval += durationToStart < threshold ? durationToStart : averageSpacing / 2;
  interval += durationToEnd < threshold ? durationToEnd : averageSpacing / 2;
  result *= interval / sampledInterval;
  if (isRate) result /= (rangeEndMs - rangeStartMs) / 1000;
  return result;
}

/** irate: the per-second change between the last two points (a drop is a counter reset). */
export function instantRate(times: readonly number[], values: readonly number[]): number | null {
  const n = values.length;
  if (n < 2) return null;
  const last = values[n - 1] as number;
  const previous = values[n - 2] as number;
  const change = last < previous ? last : last - previous;
  const seconds = ((times[n - 1] as number) - (times[n - 2] as number)) / 1000;
  return seconds === 0 ? null : change / seconds;
}

/** A range function's value over a series' points in (start, end]; null: no output for it. */
export function rangeFunction(
  fn: RangeFunction,
  times: readonly number[],
  values: readonly number[],
  startMs: number,
  endMs: number,
): number | null {
  switch (fn) {
    case 'rate':
      return extrapolatedRate(times, values, startMs, endMs, true, true);
    case 'increase':
      return extrapolatedRate(times, values, startMs, endMs, true, false);
    case 'delta':
      return extrapolatedRate(times, values, startMs, endMs, false, false);
    case 'irate':
      return instantRate(times, values);
    default:
      return overTime(fn, values);
  }
}

function overTime(fn: RangeFunction, values: readonly number[]): number | null {
  if (values.length === 0) return null;
  if (fn === 'sum_over_time' || fn === 'avg_over_time') {
    let sum = 0;
    for (const v of values) sum += v;
    return fn === 'sum_over_time' ? sum : sum / values.length;
  }
  // max/min: NaN only when every value is NaN (Prometheus replaces a NaN by any number).
  const max = fn === 'max_over_time';
  let best = values[0] as number;
  for (const v of values) {
    if (Number.isNaN(best) || (max ? v > best : v < best)) best = v;
  }
  return best;
}

/**
 * The q-quantile of one classic histogram: its buckets' upper bounds (`le`) and cumulative
 * counts, in any order. As Prometheus: sorted by bound, equal bounds merged, counts made
 * monotonic; NaN without a +Inf bucket, under two buckets or without observations; in the +Inf
 * bucket the answer is the highest finite bound; in the first the lower end is 0 (unless its
 * bound is ≤ 0, then that bound); q < 0 → -Inf, q > 1 → +Inf.
 */
export function histogramQuantile(q: number, buckets: readonly { le: number; count: number }[]): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const merged: { le: number; count: number }[] = [];
  for (const b of sorted) {
    const last = merged.at(-1);
    if (last && last.le === b.le) last.count += b.count;
    else merged.push({ ...b });
  }
  if (merged.length === 0 || merged.at(-1)?.le !== Number.POSITIVE_INFINITY) return Number.NaN;
  let max = Number.NEGATIVE_INFINITY;
  for (const b of merged) {
    if (b.count < max) b.count = max;
    else max = b.count;
  }
  if (merged.length < 2) return Number.NaN;
  const observations = (merged.at(-1) as { count: number }).count;
  if (!(observations > 0)) return Number.NaN;
  let rank = q * observations;
  let i = merged.findIndex((b) => b.count >= rank);
  if (i < 0) i = merged.length - 1;
  if (i === merged.length - 1) return (merged[merged.length - 2] as { le: number }).le;
  const bucket = merged[i] as { le: number; count: number };
  if (i === 0 && bucket.le <= 0) return bucket.le;
  let start = 0;
  let count = bucket.count;
  if (i > 0) {
    const below = merged[i - 1] as { le: number; count: number };
    start = below.le;
    count -= below.count;
    rank -= below.count;
  }
  return start + (bucket.le - start) * (rank / count);
}
