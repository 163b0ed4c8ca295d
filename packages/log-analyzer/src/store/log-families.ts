// The log families (what the lines say) in the store, and how one worker's ChunkSummary folds
// into them: one add per label set, never per line.

import { type ErrorReason, LOG_FAMILIES } from '../metrics/catalog.js';
import { METHODS } from '../metrics/methods.js';
import type { AppFamilies } from './app-families.js';
import type { ChunkSummary } from './chunk-summary.js';
import type { Family, Store } from './store.js';

export interface LogFamilies {
  lines: Family;
  errors: Family;
  requests: Family;
  responseBytes: Family;
  /** Present only when the format logs a duration (%D or %T). */
  duration: Family | null;
  /** Present once a format logs an upstream time (nginx $upstream_response_time). */
  upstream?: Family | null;
  /** Application logs by level and the user rules' families, when either is configured. */
  app?: AppFamilies | null;
}

export function logFamilies(store: Store, withDuration: boolean): LogFamilies {
  return {
    lines: store.family(LOG_FAMILIES.lines),
    errors: store.family(LOG_FAMILIES.errors),
    requests: store.family(LOG_FAMILIES.requests),
    responseBytes: store.family(LOG_FAMILIES.responseBytes),
    duration: withDuration ? store.family(LOG_FAMILIES.duration) : null,
  };
}

export function mergeSummary(families: LogFamilies, file: string, summary: ChunkSummary): void {
  if (summary.lines > 0) families.lines.inc([file], summary.lines);
  const errors: [ErrorReason, number][] = [
    ['parse_failure', summary.parseFailures],
    ['line_too_long', summary.tooLong],
    ['worker_failure', summary.workerFailures ?? 0],
  ];
  for (const [reason, n] of errors) if (n > 0) families.errors.inc([file, reason], n);
  for (const r of summary.requests) {
    const labels = [file, METHODS[r.method] ?? 'OTHER', String(r.status)];
    families.requests.inc(labels, r.count);
    families.responseBytes.inc(labels, r.bytes);
  }
  if (families.duration) {
    for (const d of summary.durations) {
      families.duration.observe([file, METHODS[d.method] ?? 'OTHER'], d.buckets, d.sum, d.count);
    }
  }
  if (families.upstream) {
    for (const d of summary.upstream ?? []) {
      families.upstream.observe([file, METHODS[d.method] ?? 'OTHER'], d.buckets, d.sum, d.count);
    }
  }
  families.app?.merge(file, summary);
}

/** Zero series for a new file, so rate() over a quiet file says 0 instead of nothing. */
export function initFileSeries(families: LogFamilies, file: string): void {
  families.lines.inc([file], 0);
  for (const reason of ['parse_failure', 'line_too_long'] as const) families.errors.inc([file, reason], 0);
  families.app?.initFile(file);
}
