// OTLP histogram and summary points → the classic series Prometheus' OTLP receiver writes:
// `<name>_bucket{le}` (cumulative over the bounds, `+Inf` = count), `_sum`, `_count`, and
// `<name>{quantile}`. Pure: a point is taken whole or refused whole, with a reason.

import type { RejectReason } from '../../metrics/catalog.js';
import type { OtlpPoint } from './model.js';

type Verdict = [RejectReason, string];

/** One series a point makes: a name suffix, an extra label (`le`/`quantile`) or none, its value. */
export interface Part {
  suffix: '' | '_bucket' | '_sum' | '_count';
  label: [string, string] | null;
  value: number;
  /** Counters (buckets, sum, count) are kept as counters; a summary's quantiles as gauges. */
  counter: boolean;
}

/**
 * At most this many buckets per point: each is one series per label set, so a point of thousands
 * of bounds would make thousands of series at once (the SDK's default has 16; its exponential
 * histograms at most 160 per sign, the same order).
 */
export const MAX_BUCKETS = 160;

/** Counts above this cannot be held exactly in a double: refused rather than rounded. */
const MAX_COUNT = Number.MAX_SAFE_INTEGER;

/** A bound as Prometheus writes `le`/`quantile`: shortest round-trip form, `+Inf`. */
export function boundText(v: number): string {
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

/** Sum and count as every distribution has them; a negative sum is what OTLP says not to send. */
function sumCountVerdict(p: OtlpPoint, what: string): Verdict | null {
  if (!Number.isFinite(p.sum)) return ['invalid_value', `${what} sum ${p.sum} is not a finite number`];
  if (p.sum < 0) {
    return ['invalid_value', `${what} sum ${p.sum} is negative (OTLP: no sum when negative values are recorded)`];
  }
  if (p.count > MAX_COUNT) return ['invalid_value', `${what} count ${p.count} is beyond 2^53 (not exact)`];
  return null;
}

/** Pure: an explicit-bucket histogram point → its `_bucket`, `_sum`, `_count` parts, or why not. */
export function histogramParts(p: OtlpPoint): Part[] | Verdict {
  const bad = sumCountVerdict(p, 'histogram');
  if (bad) return bad;
  const { buckets, bounds } = p;
  if (buckets.length === 0 && bounds.length > 0) {
    return ['invalid_value', `histogram has ${bounds.length} bounds and no bucket counts`];
  }
  if (buckets.length > 0 && buckets.length !== bounds.length + 1) {
    return [
      'invalid_value',
      `histogram has ${buckets.length} bucket counts for ${bounds.length} bounds (want bounds + 1)`,
    ];
  }
  if (bounds.length > MAX_BUCKETS)
    return ['invalid_value', `histogram has ${bounds.length} bounds, more than ${MAX_BUCKETS}`];
  const parts: Part[] = [];
  let below = 0;
  for (let i = 0; i < bounds.length; i++) {
    const bound = bounds[i] as number;
    if (!Number.isFinite(bound)) return ['invalid_value', `histogram bound ${bound} is not a finite number`];
    if (i > 0 && bound <= (bounds[i - 1] as number)) {
      return ['invalid_value', `histogram bounds are not increasing (${bounds[i - 1]} then ${bound})`];
    }
    below += buckets[i] as number;
    if (below > MAX_COUNT) return ['invalid_value', 'histogram bucket counts add up beyond 2^53 (not exact)'];
    parts.push({ suffix: '_bucket', label: ['le', boundText(bound)], value: below, counter: true });
  }
  if (buckets.length > 0 && below + (buckets.at(-1) as number) !== p.count) {
    return [
      'invalid_value',
      `histogram bucket counts add up to ${below + (buckets.at(-1) as number)}, not its count ${p.count}`,
    ];
  }
  parts.push({ suffix: '_bucket', label: ['le', '+Inf'], value: p.count, counter: true });
  // No `_sum` series when none was sent (as Prometheus' receiver); a summary's is always there.
  if (p.hasSum) parts.push({ suffix: '_sum', label: null, value: p.sum, counter: true });
  parts.push({ suffix: '_count', label: null, value: p.count, counter: true });
  return parts;
}

/** Pure: a summary point → its `{quantile}` gauges and `_sum`, `_count` counters, or why not. */
export function summaryParts(p: OtlpPoint): Part[] | Verdict {
  const bad = sumCountVerdict(p, 'summary');
  if (bad) return bad;
  if (p.quantiles.length > MAX_BUCKETS) {
    return ['invalid_value', `summary has ${p.quantiles.length} quantiles, more than ${MAX_BUCKETS}`];
  }
  const parts: Part[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < p.quantiles.length; i++) {
    const q = p.quantiles[i] as number;
    const v = p.values[i] as number;
    if (!(q >= 0 && q <= 1)) return ['invalid_value', `summary quantile ${q} is not within [0, 1]`];
    if (seen.has(q)) return ['invalid_value', `summary quantile ${q} is given twice`];
    seen.add(q);
    if (!Number.isFinite(v)) return ['invalid_value', `summary value ${v} at quantile ${q} is not a finite number`];
    parts.push({ suffix: '', label: ['quantile', boundText(q)], value: v, counter: false });
  }
  parts.push({ suffix: '_sum', label: null, value: p.sum, counter: true });
  parts.push({ suffix: '_count', label: null, value: p.count, counter: true });
  return parts;
}
