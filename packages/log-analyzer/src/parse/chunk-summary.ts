// The message a parse worker sends back for one chunk: small, pre-aggregated counts.
// It crosses the thread boundary by structured clone, so it holds plain numbers and arrays only.

/** Upper bounds of the latency histogram, in seconds (Prometheus' defaults, which suit web requests). */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

export interface RequestCount {
  method: number; // index into METHODS
  status: number;
  count: number;
  bytes: number;
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
}

export function emptySummary(): ChunkSummary {
  return { lines: 0, parseFailures: 0, tooLong: 0, requests: [], durations: [] };
}
