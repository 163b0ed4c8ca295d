// The analyzer's own metrics (how it is doing): a prom-client registry, live, added for `serve`.
// Names, help texts and reason label values come from catalog.ts; values are read at scrape time.

import { Counter, collectDefaultMetrics, Gauge, Histogram, type Registry } from 'prom-client';

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

export function createSelfMetrics(registry: Registry, version: string, source: SelfMetricsSource): SelfMetrics {
  const registers = [registry];
  // The event-loop delay histogram samples every 100 ms, not prom-client's 10: its timer woke an
  // idle process 100 times a second (0.4 % of a core, most of what 1,000 idle files cost).
  collectDefaultMetrics({ register: registry, prefix: 'log_analyzer_', eventLoopMonitoringPrecision: 100 });
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
