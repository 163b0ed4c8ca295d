// Every metric the analyzer exposes: names, help texts and labels live here and nowhere else.
// Log families (what the lines say) live in the store, are checkpointed and carry on across
// restarts; `scan` prints exactly them. Self metrics (how the analyzer is doing) are a prom-client
// registry, live, added for `serve`.

import { Counter, collectDefaultMetrics, Gauge, Histogram, type Registry } from 'prom-client';
import { DURATION_BUCKETS } from '../parse/chunk-summary.js';
import type { FamilySpec } from '../store/store.js';

/** Why a line is counted in log_errors_total. */
export const ERROR_REASONS = ['parse_failure', 'line_too_long', 'worker_failure'] as const;
export type ErrorReason = (typeof ERROR_REASONS)[number];

/** Why a pushed sample (or a whole push) was refused: label values of log_analyzer_push_samples_total. */
export const REJECT_REASONS = [
  'invalid_json',
  'invalid_body',
  'unsupported_media_type',
  'body_too_large',
  'too_many_items',
  'invalid_name',
  'name_too_long',
  'reserved_name',
  'name_conflict',
  'invalid_type',
  'invalid_value',
  'overflow',
  'negative_counter',
  'help_too_long',
  'invalid_label',
  'label_name_too_long',
  'label_too_long',
  'too_many_labels',
  'series_too_large',
  'invalid_layout',
  'epsilon_too_small',
  'type_conflict',
  'help_conflict',
  'bucket_mismatch',
  'quantile_mismatch',
  'out_of_order',
  'too_far_in_future',
  'series_limit',
  'tenant_not_allowed',
  'decode_failed',
  'too_large',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/**
 * Names of the analyzer's own families (a pushed or scraped family would shadow them, or expose a
 * second TYPE block): a log family's name, its sample names (`_bucket`, …) and a counter's name
 * without `_total` (its OpenMetrics family name); the self metrics.
 */
export function isReservedName(name: string): boolean {
  return (
    name.startsWith('log_analyzer_') ||
    name === 'log_lines_per_second' ||
    Object.values(LOG_FAMILIES).some(
      (f) =>
        name === f.name ||
        name.startsWith(`${f.name}_`) ||
        (f.kind === 'counter' && name === f.name.replace(/_total$/, '')),
    )
  );
}

/**
 * Prefixes of the other families the analyzer serves, whether enabled now or not (a reload may
 * turn them on): the scrape source's scrape_target_*, the host stats' node_* and container_*, and
 * prom-client's default process_* and nodejs_* (served as log_analyzer_*, but the names are theirs).
 * Pushed names only: a scraped node_exporter keeps its node_* names.
 */
const PUSH_RESERVED_PREFIXES = ['scrape_target_', 'node_', 'container_', 'process_', 'nodejs_'];

/** Names pushed metrics may not take: every family the analyzer serves. */
export function isReservedPushName(name: string): boolean {
  return isReservedName(name) || PUSH_RESERVED_PREFIXES.some((prefix) => name.startsWith(prefix));
}

export const LOG_FAMILIES = {
  lines: {
    name: 'log_lines_total',
    help: 'Lines read from the log file, good or bad.',
    kind: 'counter',
    labelNames: ['file'],
  },
  errors: {
    name: 'log_errors_total',
    help: 'Lines that could not be counted as requests, by reason.',
    kind: 'counter',
    labelNames: ['file', 'reason'],
  },
  requests: {
    name: 'http_requests_total',
    help: 'Requests logged, by method and status code.',
    kind: 'counter',
    labelNames: ['file', 'method', 'status'],
  },
  responseBytes: {
    name: 'http_response_bytes_total',
    help: 'Response bytes logged (%b/%B/%O), by method and status code.',
    kind: 'counter',
    labelNames: ['file', 'method', 'status'],
  },
  duration: {
    name: 'http_request_duration_seconds',
    help: 'Time taken to serve the request (%D or %T), in seconds.',
    kind: 'histogram',
    labelNames: ['file', 'method'],
    bounds: DURATION_BUCKETS,
  },
} as const satisfies Record<string, FamilySpec>;

/** Live state the self metrics read at scrape time, so nothing is updated on the hot path. */
export interface SelfMetricsSource {
  checkpointAgeSeconds(): number;
  httpConnections(): number;
  filesWatched(): number;
  /** Bytes in each file not yet counted (size − committed offset). */
  lagBytes(): Map<string, number>;
  lineRates(): Map<string, number>;
  pool(): { queued: number; inFlight: number };
  pushedSeries(): number;
  pushedTenantFamilies(): number;
}

export interface SelfMetrics {
  readBytes: Counter<'file'>;
  taskDuration: Histogram;
  rotations: Counter<'file'>;
  truncations: Counter<'file'>;
  filesRefused: Counter;
  errors: Counter<'stage' | 'error'>;
  checkpointWrites: Counter;
  checkpointDuration: Histogram;
  httpEvicted: Counter;
  pushSamples: Counter<'result' | 'reason'>;
  pushRequests: Counter<'code'>;
  pushExpired: Counter;
}

/** The stages that report errors in log_analyzer_errors_total. */
export type Stage = 'watch' | 'read' | 'parse' | 'checkpoint' | 'http' | 'push' | 'queue';

/** A bounded label value for an error: its errno code, or its kind. */
export function errorLabel(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (typeof code === 'string' && /^E[A-Z0-9]{1,15}$/.test(code)) return code;
  return 'other';
}

export function createSelfMetrics(registry: Registry, version: string, source: SelfMetricsSource): SelfMetrics {
  const registers = [registry];
  collectDefaultMetrics({ register: registry, prefix: 'log_analyzer_' });
  // prom-client names these gauges `_total`, which promtool (rightly) rejects; they add little.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(`log_analyzer_${name}`);
  }
  new Gauge({
    name: 'log_analyzer_build_info',
    help: 'Always 1; the labels say which build is running.',
    labelNames: ['version', 'nodejs_version'],
    registers,
  }).set({ version, nodejs_version: process.version }, 1);
  new Gauge({
    name: 'log_lines_per_second',
    help: 'Lines read per second over the last 10 seconds.',
    labelNames: ['file'],
    registers,
    collect() {
      this.reset();
      for (const [file, rate] of source.lineRates()) this.set({ file }, rate);
    },
  });
  new Gauge({
    name: 'log_analyzer_checkpoint_age_seconds',
    help: 'Age of the values /metrics serves: they are those of the last durable checkpoint.',
    registers,
    collect() {
      this.set(source.checkpointAgeSeconds());
    },
  });
  new Gauge({
    name: 'log_analyzer_http_connections',
    help: 'HTTP connections open.',
    registers,
    collect() {
      this.set(source.httpConnections());
    },
  });
  new Gauge({
    name: 'log_analyzer_files_watched',
    help: 'Files currently followed.',
    registers,
    collect() {
      this.set(source.filesWatched());
    },
  });
  new Gauge({
    name: 'log_analyzer_lag_bytes',
    help: 'Bytes written to the file but not yet counted; grows when the analyzer falls behind.',
    labelNames: ['file'],
    registers,
    collect() {
      this.reset();
      for (const [file, lag] of source.lagBytes()) this.set({ file }, lag);
    },
  });
  new Gauge({
    name: 'log_analyzer_push_series',
    help: 'Pushed series held (bounded by --push-max-series).',
    registers,
    collect() {
      this.set(source.pushedSeries());
    },
  });
  new Gauge({
    name: 'log_analyzer_push_tenant_families',
    help: "Pushed families kept apart because a tenant's definition clashes with the one served under its name (served only on reads scoped to that tenant).",
    registers,
    collect() {
      this.set(source.pushedTenantFamilies());
    },
  });
  new Gauge({
    name: 'log_analyzer_pool_queue_depth',
    help: 'Chunks waiting for a parse worker.',
    registers,
    collect() {
      this.set(source.pool().queued);
    },
  });
  new Gauge({
    name: 'log_analyzer_pool_chunks_in_flight',
    help: 'Chunks read but not yet merged (capped; reading pauses at the cap).',
    registers,
    collect() {
      this.set(source.pool().inFlight);
    },
  });
  return {
    readBytes: new Counter({
      name: 'log_analyzer_read_bytes_total',
      help: 'Bytes read from log files.',
      labelNames: ['file'],
      registers,
    }),
    rotations: new Counter({
      name: 'log_analyzer_file_rotations_total',
      help: 'Times a new file took the place of the one at this path (rename rotation, delete and re-create).',
      labelNames: ['file'],
      registers,
    }),
    truncations: new Counter({
      name: 'log_analyzer_file_truncations_total',
      help: 'Times the file shrank or its first bytes changed under us (copytruncate); reading restarted at 0.',
      labelNames: ['file'],
      registers,
    }),
    filesRefused: new Counter({
      name: 'log_analyzer_files_refused_total',
      help: 'Files that matched --watch but were not followed because --max-files were followed already.',
      registers,
    }),
    errors: new Counter({
      name: 'log_analyzer_errors_total',
      help: 'Errors by stage (watch, read, parse, checkpoint, http) and error (errno code, worker_failure, other).',
      labelNames: ['stage', 'error'],
      registers,
    }),
    checkpointWrites: new Counter({
      name: 'log_analyzer_checkpoint_writes_total',
      help: 'Checkpoints written (counts and positions, fsynced).',
      registers,
    }),
    checkpointDuration: new Histogram({
      name: 'log_analyzer_checkpoint_duration_seconds',
      help: 'Time to serialize and durably write one checkpoint.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    httpEvicted: new Counter({
      name: 'log_analyzer_http_connections_evicted_total',
      help: 'Connections closed for another or for not reading or sending, by reason (idle, receiving, slow_body, slow_reader, stream, stream_cap; refused: the new one).',
      labelNames: ['reason'],
      registers,
    }),
    pushSamples: new Counter({
      name: 'log_analyzer_push_samples_total',
      help: 'Pushed samples accepted, or rejected by reason (a refused whole body counts once, or once per item).',
      labelNames: ['result', 'reason'],
      registers,
    }),
    pushRequests: new Counter({
      name: 'log_analyzer_push_requests_total',
      help: 'Push requests answered, by HTTP status code.',
      labelNames: ['code'],
      registers,
    }),
    pushExpired: new Counter({
      name: 'log_analyzer_push_series_expired_total',
      help: 'Pushed series dropped because they were not updated within --push-ttl.',
      registers,
    }),
    taskDuration: new Histogram({
      name: 'log_analyzer_pool_task_duration_seconds',
      help: 'Time from handing a chunk to the pool to getting its counts back.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
  };
}
