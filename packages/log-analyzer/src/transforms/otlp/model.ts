// What an OTLP ExportMetricsServiceRequest holds, as the two decoders (protobuf, JSON) leave it and
// the translator (batch.ts) reads it: only the fields the translation uses. Times are nanoseconds
// since the epoch as numbers (exact to under a microsecond), 0 when not given.

/** Metric kinds by the `data` oneof; `none` when it held none (refused by the translator). */
export type OtlpKind = 'gauge' | 'sum' | 'histogram' | 'exponential' | 'summary' | 'none';

/** AggregationTemporality: 0 unspecified, 1 delta, 2 cumulative. */
export const DELTA = 1;
export const CUMULATIVE = 2;

/** DataPointFlags.NO_RECORDED_VALUE: the point marks a stream as gone; it carries no value. */
export const NO_RECORDED_VALUE = 1;

export interface OtlpPoint {
  /** Attribute keys and values (as text), in order: key, value, key, value, … */
  attrs: string[];
  start: number;
  time: number;
  flags: number;
  /** A number point's value (as_double or as_int). */
  value: number;
  /** Histogram and summary points. */
  count: number;
  sum: number;
  /** Whether `sum` was sent (a histogram's is optional: none when negative values were recorded). */
  hasSum: boolean;
  /** Explicit-bucket histograms: bucket_counts and explicit_bounds. */
  buckets: number[];
  bounds: number[];
  /** Summaries: quantile_values as quantiles[i] → values[i]. */
  quantiles: number[];
  values: number[];
  /** Exponential histograms. */
  scale: number;
  zeroCount: number;
  zeroThreshold: number;
  positive: { offset: number; counts: number[] };
  negative: { offset: number; counts: number[] };
}

export interface OtlpMetric {
  name: string;
  unit: string;
  description: string;
  kind: OtlpKind;
  temporality: number;
  monotonic: boolean;
  points: OtlpPoint[];
}

export interface OtlpResource {
  attrs: string[];
  metrics: OtlpMetric[];
}

const NO_BUCKETS = { offset: 0, counts: [] as number[] };

/** A point with every field at its protobuf default. */
export function emptyPoint(): OtlpPoint {
  return {
    attrs: [],
    start: 0,
    time: 0,
    flags: 0,
    value: 0,
    count: 0,
    sum: 0,
    hasSum: false,
    buckets: [],
    bounds: [],
    quantiles: [],
    values: [],
    scale: 0,
    zeroCount: 0,
    zeroThreshold: 0,
    positive: NO_BUCKETS,
    negative: NO_BUCKETS,
  };
}

export function emptyMetric(): OtlpMetric {
  return { name: '', unit: '', description: '', kind: 'none', temporality: 0, monotonic: false, points: [] };
}
