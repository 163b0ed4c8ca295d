// Folds one worker's ChunkSummary into the log metrics: one inc() per label set, never per line.

import type { ChunkSummary } from '../parse/chunk-summary.js';
import { METHODS } from '../parse/methods.js';
import { ERROR_REASONS, type ErrorReason, type LogMetrics } from './metrics.js';

export function mergeSummary(metrics: LogMetrics, file: string, summary: ChunkSummary): void {
  if (summary.lines > 0) metrics.lines.inc({ file }, summary.lines);
  const errors: [ErrorReason, number][] = [
    ['parse_failure', summary.parseFailures],
    ['line_too_long', summary.tooLong],
  ];
  for (const [reason, n] of errors) if (n > 0) metrics.errors.inc({ file, reason }, n);
  for (const r of summary.requests) {
    const labels = { file, method: METHODS[r.method] ?? 'OTHER', status: String(r.status) };
    metrics.requests.inc(labels, r.count);
    metrics.responseBytes.inc(labels, r.bytes);
  }
  if (metrics.duration) {
    for (const d of summary.durations) {
      metrics.duration.add({ file, method: METHODS[d.method] ?? 'OTHER' }, d.buckets, d.sum, d.count);
    }
  }
}

/** Zero series for a new file, so rate() over a quiet file says 0 instead of nothing. */
export function initFileSeries(metrics: LogMetrics, file: string): void {
  metrics.lines.inc({ file }, 0);
  for (const reason of ERROR_REASONS) metrics.errors.inc({ file, reason }, 0);
}
