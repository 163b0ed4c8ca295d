// Every metric the analyzer exposes: names, help texts and labels live here and nowhere else.
// Log families (what the lines say) live in the store, are checkpointed and carry on across
// restarts; `scan` prints exactly them. Self metrics (how the analyzer is doing) are built in
// self-metrics.ts from the names and reasons here.

/** Upper bounds of the latency histogram, in seconds (Prometheus' defaults, which suit web requests). */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/** A summary's objective: a quantile and its allowed rank error. */
export interface Target {
  quantile: number;
  epsilon: number;
}

export type FamilyKind = 'counter' | 'gauge' | 'histogram' | 'summary';

export interface FamilySpec {
  name: string;
  help: string;
  kind: FamilyKind;
  /** Label names of every series; empty for pushed families, whose series carry their own `names`. */
  labelNames: readonly string[];
  /** Histogram upper bounds (without +Inf). */
  bounds?: readonly number[];
  /** Summary quantiles and their rank errors. */
  targets?: readonly Target[];
  /** Made by pushes (store/pushed-families.ts), not by a source of the analyzer's own. */
  pushed?: boolean;
  /**
   * Pushed: the tenants whose definition of the name this is (each with the help it gave; '' for
   * series without tenant_id). A tenant's type, help and layout bind only that tenant.
   */
  tenants?: Record<string, string>;
  /**
   * Pushed: the one tenant of a family whose definition clashes with the one served under its
   * name. Kept apart (its own key in the store), served only on reads scoped to that tenant.
   */
  tenant?: string;
}

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
  'native_histogram',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/**
 * Why a StatsD line or sample was refused (log_analyzer_statsd_samples_total{result="rejected"}):
 * these, read off the line, and the push reasons the naming and the store give (negative_counter,
 * name_too_long, too_many_labels, label_too_long, series_too_large, type_conflict, series_limit, …).
 */
export const STATSD_REASONS = [
  'statsd_malformed_line',
  'statsd_mixed_tagging_styles',
  'statsd_malformed_component',
  'statsd_malformed_value',
  'statsd_invalid_type',
  'statsd_invalid_sample_rate',
  'statsd_line_too_long',
] as const;
export type StatsdReason = (typeof STATSD_REASONS)[number] | RejectReason;

/** The StatsD source's own metrics (sources/statsd/statsd-metrics.ts registers them when --statsd-port is set). */
export const STATSD_METRICS = {
  lines: {
    name: 'log_analyzer_statsd_lines_total',
    help: 'StatsD lines received, by transport (udp, tcp); empty lines are not counted.',
  },
  samples: {
    name: 'log_analyzer_statsd_samples_total',
    help: 'StatsD samples accepted, dropped by a mapping (reason="mapping"), or rejected by reason (a refused line counts once).',
  },
  tagErrors: {
    name: 'log_analyzer_statsd_tag_errors_total',
    help: 'StatsD tags skipped (no value, empty name, a reserved label name); their samples are kept without them.',
  },
  udpDrops: {
    name: 'log_analyzer_statsd_udp_drops_total',
    help: 'UDP datagrams the kernel dropped on the StatsD socket (its receive buffer was full): the drops column of /proc/net/udp for this socket (Linux only; 0 elsewhere).',
  },
  udpBuffer: {
    name: 'log_analyzer_statsd_udp_receive_buffer_bytes',
    help: "The StatsD UDP socket's receive buffer, as the kernel granted it (net.core.rmem_max caps what was asked).",
  },
  tcpConnections: {
    name: 'log_analyzer_statsd_tcp_connections',
    help: 'StatsD TCP connections open.',
  },
  tcpRefused: {
    name: 'log_analyzer_statsd_tcp_connections_refused_total',
    help: 'StatsD TCP connections closed at once because the cap of open ones was reached.',
  },
} as const;

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
  return (
    isReservedName(name) ||
    name === ALERT_METRICS.alerts.name ||
    name === ALERT_METRICS.forState.name ||
    PUSH_RESERVED_PREFIXES.some((prefix) => name.startsWith(prefix))
  );
}

/** The alerting rules' metrics (rules/alerting.ts registers them when rules are loaded or notifiers set). */
export const ALERT_METRICS = {
  alerts: {
    name: 'ALERTS',
    help: "Alerts pending or firing (alertname, alertstate and the alert's labels), as Prometheus exposes its own.",
  },
  forState: {
    name: 'ALERTS_FOR_STATE',
    help: 'When each pending or firing alert became active, in seconds since the epoch, as Prometheus exposes it.',
  },
  notifications: {
    name: 'log_analyzer_alert_notifications_total',
    help: 'Alert notifications by receiver and result: sent, retried (a try failed; another follows), failed (given up), dropped (the queue was full). A webhook counts notifications, alertmanager counts alerts.',
  },
  queue: {
    name: 'log_analyzer_alert_notification_queue_length',
    help: 'Alert notifications waiting to be delivered, by receiver.',
  },
  evaluations: {
    name: 'log_analyzer_rule_evaluations_total',
    help: 'Alerting rule evaluations, by result (failure: the rule could not be evaluated; its alerts stay as they were).',
  },
} as const;

/** Results of log_analyzer_alert_notifications_total. */
export const NOTIFICATION_RESULTS = ['sent', 'retried', 'failed', 'dropped'] as const;

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
  upstream: {
    name: 'http_upstream_duration_seconds',
    help: 'Time the upstream servers took to respond (nginx $upstream_response_time, the listed times summed), in seconds.',
    kind: 'histogram',
    labelNames: ['file', 'method'],
    bounds: DURATION_BUCKETS,
  },
  messages: {
    name: 'log_messages_total',
    help: 'Application log messages (--format app), by level; a multi-line message (a stack trace) counts once.',
    kind: 'counter',
    labelNames: ['file', 'level'],
  },
  labelValuesFolded: {
    name: 'log_analyzer_label_values_folded_total',
    help: 'Matches whose label value taken from a log line was counted as "other": the label already had --max-label-values distinct values.',
    kind: 'counter',
    labelNames: ['metric', 'label'],
  },
} as const satisfies Record<string, FamilySpec>;

/** The stages that report errors in log_analyzer_errors_total. */
export type Stage =
  | 'watch'
  | 'read'
  | 'parse'
  | 'checkpoint'
  | 'http'
  | 'push'
  | 'queue'
  | 'statsd'
  | 'rules'
  | 'alerts';

/** A bounded label value for an error: its errno code, or its kind. */
export function errorLabel(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (typeof code === 'string' && /^E[A-Z0-9]{1,15}$/.test(code)) return code;
  return 'other';
}
