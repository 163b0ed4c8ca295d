// The message a parse worker sends back for one chunk: small, pre-aggregated counts.
// It crosses the thread boundary by structured clone, so it holds plain numbers and arrays only.

export interface RequestCount {
  method: number; // index into METHODS
  status: number;
  count: number;
  bytes: number;
  /** --route-label: the request's route (transforms/log/request-route.ts), bounded by the store. */
  route?: string;
}

export interface DurationCount {
  method: number;
  count: number;
  sum: number; // seconds
  /** Per bucket of DURATION_BUCKETS plus +Inf, not cumulative. */
  buckets: number[];
}

export interface ChunkSummary {
  lines: number;
  parseFailures: number;
  tooLong: number;
  /** Lines of a chunk no worker could parse (set by the pool, never by a worker). */
  workerFailures?: number;
  requests: RequestCount[];
  durations: DurationCount[];
  /** nginx upstream time ($upstream_response_time, or a JSON field mapped to it), when the format has one. */
  upstream?: DurationCount[];
  /** A few lines that did not parse (at most 5 per chunk, each cut at 4 KiB): what the not-parsing warning's suggestion reads. */
  failedSample?: Uint8Array[];
  /** `app` format: messages per level, indexed as LEVELS (transforms/log/app-levels.ts). */
  levels?: number[];
  /** User rules (log rules): what each matched in the chunk, label values as taken from the lines. */
  rules?: RuleCount[];
}

/** One label set of one user rule: a counter's increment, or a histogram's observations. */
export interface RuleCount {
  /** Index of the rule in the list the chunk was parsed with (ParseStage keeps that list per file). */
  rule: number;
  labels: string[];
  count: number;
  /** Histogram rules: the sum of the values, and per bucket counts (not cumulative, then +Inf). */
  sum?: number;
  buckets?: number[];
}

export function emptySummary(): ChunkSummary {
  return { lines: 0, parseFailures: 0, tooLong: 0, requests: [], durations: [] };
}
