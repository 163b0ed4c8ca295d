// From the serve options' values (flags, environment and file, by the settings table's option
// names) to the config objects of the analyzer's stages. Applied to the table's defaults it gives
// the only default objects there are: the wiring completes a partial config (tests) with them, and
// the stages keep no defaults of their own.

import type { FileFormat } from '../cli/parsers.js';
import type { HistoryOptions } from '../history/history.js';
import type { Logger } from '../metrics/logger.js';
import type { Tracing } from '../metrics/tracing.js';
import type { AlertsConfig } from '../rules/alerting.js';
import type { WebhookConfig } from '../rules/webhook-groups.js';
import type { SystemConfig } from '../sources/host/host-metrics.js';
import type { ApiKey } from '../sources/push/api-keys.js';
import type { PushConfig } from '../sources/push/push-source.js';
import type { QueueConfig } from '../sources/queue/queue-source.js';
import { SCRAPE_LIMITS, type ScrapeConfig, type ScrapeTarget } from '../sources/scrape/scrape-source.js';
import type { StatsdConfig } from '../sources/statsd/statsd-source.js';
import type { Rule } from '../transforms/log/rule-config.js';
import { DEFAULTS } from './settings.js';

/** The serve options' values by option name (commander's `opts()`). */
type Options = Readonly<Record<string, unknown>>;

/** A list option's value: from LOG_ANALYZER_<FLAG> it comes as one comma-separated text. */
function list(value: unknown): string[] {
  return typeof value === 'string' ? value.split(',') : ((value as string[] | undefined) ?? []);
}

/** The analyzer's own settings (files, checkpoint, HTTP). */
export function analyzerSettingsOf(opts: Options) {
  return {
    format: opts.format as string,
    files: (opts.files as FileFormat[] | undefined) ?? [],
    workers: opts.workers as number,
    maxLineBytes: opts.maxLineBytes as number,
    from: opts.from as 'end' | 'beginning',
    maxFiles: opts.maxFiles as number,
    pollIntervalMs: opts.pollInterval as number,
    rotateWaitMs: opts.rotateWait as number,
    usePolling: opts.poll as boolean,
    startFresh: opts.startFresh as boolean,
    checkpointIntervalMs: opts.checkpointInterval as number,
    historySaveIntervalMs: opts.historySaveInterval as number,
    forgetAfterMs: opts.forgetAfter as number,
    maxConnections: opts.maxConnections as number,
    maxStreams: opts.maxStreams as number,
    slowReaderMs: opts.slowReaderTimeout as number,
    allowedHosts: (opts.allowedHosts as string[] | undefined) ?? [],
    metricsPath: opts.metricsPath as string,
    pushgatewayTtlMs: (opts.pushgatewayTtl as number | undefined) ?? null,
    environment: opts.environment as string,
    continuation: (opts.continuation as string | undefined) ?? null,
    rules: (opts.logRule as Rule[] | undefined) ?? [],
    routes: (opts.route as string[] | undefined) ?? [],
    maxLabelValues: opts.maxLabelValues as number,
    routeLabel: opts.routeLabel as boolean,
  };
}

/** The push limits the options set: one reading for the start and a reload. */
export function pushLimitsOf(opts: Options) {
  return {
    ttlMs: (opts.pushTtl as number | undefined) ?? null,
    maxItems: opts.pushMaxItems as number,
    maxLabels: opts.pushMaxLabels as number,
    maxLabelValueBytes: opts.pushMaxLabelBytes as number,
    maxSeriesBytes: opts.pushMaxSeriesBytes as number,
    maxSeries: opts.pushMaxSeries as number,
    maxSeriesPerFamily: opts.pushMaxSeriesPerFamily as number,
    // By default a tenant holds at most a tenth of all: one tenant never fills what others need.
    maxSeriesPerTenant:
      (opts.pushMaxSeriesPerTenant as number | undefined) ??
      Math.max(1, Math.floor((opts.pushMaxSeries as number) / 10)),
  };
}

export function pushConfigOf(opts: Options, apiKeys: ApiKey[]): PushConfig {
  return {
    enabled: opts.push as boolean,
    namespace: opts.pushNamespace as string,
    prefix: opts.pushPrefix as string,
    cumulativeSources: new Set(
      list(opts.pushCumulative)
        .map((c) => c.trim())
        .filter(Boolean),
    ),
    ...pushLimitsOf(opts),
    ack: opts.pushAck as PushConfig['ack'],
    maxBodyBytes: opts.pushMaxBody as number,
    otlpPort: (opts.otlpPort as number | undefined) ?? null,
    apiKeys,
    metricsAuth: opts.metricsAuth as boolean,
  };
}

/** The queue's settings but its URL (and a database the URL names). */
function queueSettingsOf(opts: Options) {
  return {
    key: opts.redisKey as string,
    workers: opts.redisWorkers as number,
    db: opts.redisDb as number,
    batch: opts.redisBatch as number,
    deadMax: opts.redisDeadMax as number,
    consumer: (opts.redisConsumer as string | undefined) ?? null,
    leaseMs: opts.redisLease as number,
    allowTenantId: opts.redisAllowTenantId as boolean,
    maxMessageBytes: opts.redisMaxMessageBytes as number,
  };
}

/** The Redis queue to drain, or null (no --redis-url). */
export function queueConfigOf(opts: Options) {
  if (!opts.redisUrl) return null;
  const url = opts.redisUrl as string;
  const settings = queueSettingsOf(opts);
  // The URL's database wins over --redis-db.
  const named = /^\/\d+$/.test(new URL(url).pathname) ? Number(new URL(url).pathname.slice(1)) : null;
  return { ...settings, url, db: named ?? settings.db };
}

/** The StatsD listener (off without --statsd-port). */
export function statsdOf(opts: Options): StatsdConfig {
  return {
    port: (opts.statsdPort as number | undefined) ?? null,
    mappingFile: (opts.statsdMappingConfig as string | undefined) ?? null,
  };
}

export function historyOf(opts: Options): HistoryOptions {
  const stepMs = opts.historyStep as number;
  const retentionHours = opts.retentionHours as number | undefined;
  return {
    maxSeries: opts.historyMaxSeries as number,
    stepMs,
    // --history-max-points (ACCESS_MAX_POINTS_PER_SERIES) caps the points a series keeps.
    windowMs: Math.min(opts.historyWindow as number, (opts.historyMaxPoints as number) * stepMs),
    rollupMs: opts.historyRollup as number,
    // [aggregation] retention_hours is the metrics-service API's name for the rollups' window.
    rollupWindowMs: retentionHours === undefined ? (opts.historyRollupWindow as number) : retentionHours * 3_600_000,
  };
}

/** /metrics?aggregated=true's and /metrics/trends' defaults ([aggregation]). */
export interface AggregationConfig {
  types: readonly string[];
  windowSeconds: number;
  trendHours: number;
}

export function aggregationOf(opts: Options): AggregationConfig {
  return {
    types: opts.aggregationTypes as readonly string[],
    windowSeconds: opts.aggregationWindow as number,
    trendHours: opts.trendHours as number,
  };
}

/** Metrics declared in [metrics] (custom_gauges, …): they exist from the start. */
export interface CustomMetrics {
  gauges: readonly string[];
  counters: readonly string[];
  histograms: readonly string[];
}

export function customMetricsOf(opts: Options): CustomMetrics {
  return {
    gauges: (opts.customGauge as string[] | undefined) ?? [],
    counters: (opts.customCounter as string[] | undefined) ?? [],
    histograms: (opts.customHistogram as string[] | undefined) ?? [],
  };
}

export function scrapeOf(opts: Options): ScrapeConfig {
  return {
    ...SCRAPE_LIMITS,
    intervalMs: (opts.scrapeInterval as number) * 1000,
    targets: (opts.scrapeTarget as ScrapeTarget[] | undefined) ?? [],
  };
}

export function systemOf(opts: Options): SystemConfig {
  return {
    enabled: opts.systemStats as boolean,
    cpu: opts.systemCpu as boolean,
    ram: opts.systemRam as boolean,
    disk: opts.systemDisk as boolean,
    network: opts.systemNetwork as boolean,
  };
}

/** Alerting rules and where alerts go (off without rules and receivers). */
export function alertsOf(opts: Options): AlertsConfig {
  return {
    rules: list(opts.rules)
      .map((r) => r.trim())
      .filter(Boolean),
    evaluationIntervalMs: opts.evaluationInterval as number,
    alertmanagerUrls: (opts.alertmanagerUrl as string[] | undefined) ?? [],
    webhooks: (opts.alertWebhook as WebhookConfig[] | undefined) ?? [],
    externalUrl: (opts.externalUrl as string | undefined) ?? null,
  };
}

// The defaults, read off the settings table once.
export const ANALYZER_DEFAULTS = analyzerSettingsOf(DEFAULTS);
export const PUSH_DEFAULTS: PushConfig = pushConfigOf(DEFAULTS, []);
export const QUEUE_DEFAULTS = queueSettingsOf(DEFAULTS);
export const HISTORY_DEFAULTS: HistoryOptions = historyOf(DEFAULTS);
export const SCRAPE_DEFAULTS: ScrapeConfig = scrapeOf(DEFAULTS);
export const SYSTEM_DEFAULTS: SystemConfig = systemOf(DEFAULTS);
export const AGGREGATION_DEFAULTS: AggregationConfig = aggregationOf(DEFAULTS);
export const ALERTS_DEFAULTS: AlertsConfig = alertsOf(DEFAULTS);

/** What createAnalyzer (app.ts) takes: each stage's part; what is left out takes the table's default. */
export interface AnalyzerConfig {
  watch: readonly string[];
  format: string;
  /** Files read with a format of their own ([[files]]); their patterns are watched too. */
  files?: readonly FileFormat[];
  workers: number;
  maxLineBytes: number;
  from: 'end' | 'beginning';
  maxFiles: number;
  pollIntervalMs: number;
  rotateWaitMs: number;
  usePolling: boolean;
  /** The checkpoint (counts and positions) for restarts; null: never saved, every start is a first start. */
  positionsFile: string | null;
  /** When no checkpoint generation is usable: move them aside and start from zero (else the start is refused). */
  startFresh?: boolean;
  /** How often a checkpoint is taken, and so how fresh /metrics is (default 1000 ms). */
  checkpointIntervalMs?: number;
  /** How often the history file beside the checkpoint is written (default 1 minute). */
  historySaveIntervalMs?: number;
  /** Files gone for this long are forgotten with their series (default 10 minutes). */
  forgetAfterMs?: number;
  /** HTTP connections open at once (default 256). */
  maxConnections?: number;
  /** Live-page streams open at once (default 16, at most half of maxConnections). */
  maxStreams?: number;
  /** A client that takes no byte of its answer for this long is closed (default 10 s). */
  slowReaderMs?: number;
  /** Host headers answered besides IP addresses and localhost (export/host-check.ts). */
  allowedHosts?: readonly string[];
  readBytes?: number;
  /** The `app` format's continuation pattern (RE2 syntax), besides the built-in continuation lines. */
  continuation?: string | null;
  /** User rules (log rules), checked at load. */
  rules?: readonly Rule[];
  /** Route templates a rule label named route takes. */
  routes?: readonly string[];
  /** Distinct values kept per label taken from log lines (default 100). */
  maxLabelValues?: number;
  /** --route-label: the request families carry a bounded `route` label. */
  routeLabel?: boolean;
  /** A parse worker other than the real one (tests). */
  workerFile?: string;
  /** Warnings (corrupt checkpoint, refused files, errors said once); the log's warn by default. */
  warn?: (message: string) => void;
  /** The service log (default: text lines on stderr at info). */
  log?: Logger;
  /** Spans, when tracing is on (default null: off). */
  tracing?: Tracing | null;
  /** Push ingestion (on by default, with these limits). */
  push?: Partial<PushConfig>;
  /** Other services to scrape (none by default). */
  scrape?: Partial<ScrapeConfig>;
  /** Host stats in node_exporter's names (off by default). */
  system?: Partial<SystemConfig>;
  /** The path the Prometheus exposition is served at (default /metrics). */
  metricsPath?: string;
  /** Pushgateway groups not pushed to for this long are dropped (default null: never). */
  pushgatewayTtlMs?: number | null;
  /** --web-config-file: makes every port's server (HTTPS, basic auth, headers; export/web-security.ts). */
  web?: {
    createServer(
      options: import('node:http').ServerOptions,
      listener: (q: import('node:http').IncomingMessage, s: import('node:http').ServerResponse) => void,
    ): import('node:http').Server;
  } | null;
  /** Short-term history of every series (on by default, with these sizes). */
  history?: Partial<HistoryOptions>;
  /** /metrics?aggregated=true's and /metrics/trends' defaults. */
  aggregation?: Partial<AggregationConfig>;
  /** Metrics declared in the config, there from the start (none by default). */
  customMetrics?: Partial<CustomMetrics>;
  /** The deployment environment (ACCESS_ENV), reported in /health and /api/status (default local). */
  environment?: string;
  /** StatsD on a UDP and TCP port (off by default). */
  statsd?: StatsdConfig;
  /** Alerting rules and receivers (none by default). */
  alerts?: Partial<AlertsConfig>;
  /** A Redis queue to drain (off by default). The consumer id, when not given, is the checkpoint's, or a new one. */
  queue?:
    | (Partial<Omit<QueueConfig, 'consumer'>> & { url: string; consumer?: string | null; allowTenantId?: boolean })
    | null;
}
