// Every setting, declared once: its flag, config-file key, environment names, default, parser,
// whether a reload applies it, and its help text. The command line (serve-options.ts), the config
// file's schema (config-file.ts), the environment (environment.ts, config-file.ts), `config print`
// and a reload's account (apply.ts, reload.ts, changes.ts) and the default config objects the
// wiring completes partial configs with (analyzer-config.ts) are all read off this table; the
// README's flag list is checked against it. Adding a setting is adding an entry here.

import { Option } from 'commander';
import {
  aggregationTypes,
  alertmanagerUrl,
  bytes,
  collect,
  consumerId,
  customNames,
  DEFAULT_AGGREGATION_TYPES,
  duration,
  environmentName,
  evaluationInterval,
  fileFormat,
  format,
  httpUrl,
  integer,
  logLevel,
  logRule,
  metricNamePart,
  re2Pattern,
  redisUrl,
  routeTemplate,
  scrapeTarget,
  urlPath,
  webhook,
} from '../cli/parsers.js';
import { FORMAT_NAMES } from '../transforms/log/formats.js';
import { DEFAULT_FORMAT, PRESETS } from '../transforms/log/log-format.js';
import { defaultWorkers } from '../transforms/pool/parse-pool.js';

/**
 * Another environment name existing clients use for a setting. `flag`: read as LOG_ANALYZER_<FLAG>
 * is (LOG_ANALYZER_<FLAG> wins when both are set); `key`: read after APP__SECTION__KEY (which wins).
 * `read` turns the client's text into the flag's, or undefined to ignore it.
 */
export interface EnvAlias {
  name: string;
  as: 'flag' | 'key';
  read?: (text: string) => string | undefined;
}

export interface Setting {
  /** commander's flags: `-p, --port <port>`, `--poll`, `--no-push`. */
  flags: string;
  help: string;
  /** The value when nothing sets it (absent: unset; a `--no-…` switch: true). */
  default?: unknown;
  /** How --help shows the default (`1s` for 1000). */
  shown?: string;
  /** The flag's value parser (cli/parsers.ts): a file's or the environment's text goes through it too. */
  parse?: (value: string, previous: never) => unknown;
  choices?: readonly string[];
  /** Its key in the config file, `section.name`; absent: no key. */
  key?: string;
  /** The key's TOML type; absent: a string (a number is taken too). `rules`, `webhooks`: arrays of tables, each passed on as JSON. */
  toml?: 'number' | 'boolean' | 'list' | 'targets' | 'rules' | 'webhooks';
  /** Environment names besides LOG_ANALYZER_<FLAG> and APP__SECTION__KEY. */
  aliases?: readonly EnvAlias[];
  /** A reload applies it in place; else a change waits for the next start. */
  reload?: true;
  /** How it is shown (config print, a reload's account): API keys as ***, a URL's password as ***. */
  secret?: 'keys' | 'url' | 'targets' | 'webhooks';
  /** No LOG_ANALYZER_<FLAG> (the `--no-…` switches have none). */
  noEnv?: true;
  /** The `--no-…` flag that unsets it, and its help. */
  off?: { flags: string; help: string };
  /** An option of `scan` too. */
  scan?: true;
  /** The default depends on the machine (the README shows a placeholder). */
  varies?: true;
}

/** Queue senders' connection string `host:port[,option=value…]` (StackExchange.Redis's form): only the endpoint is ours. */
function connectionString(text: string): string | undefined {
  const endpoint = text.split(',')[0]?.trim();
  if (!endpoint) return undefined;
  return endpoint.includes('://') ? endpoint : `redis://${endpoint}`;
}

/** Every setting, in the order --help lists them. */
export const TABLE: readonly Setting[] = [
  {
    flags: '--watch <path...>',
    help: 'files or globs (*, **, ?, [ab]) to follow',
    default: ['./logs/*.log'],
    key: 'files.watch',
    toml: 'list',
    reload: true,
  },
  {
    flags: '-p, --port <port>',
    help: 'HTTP port',
    default: 8080,
    parse: integer(0, 65535),
    key: 'server.port',
    toml: 'number',
    aliases: [{ name: 'EXPORTER_PORT', as: 'key' }],
  },
  { flags: '--host <host>', help: 'HTTP address to bind', default: '0.0.0.0', key: 'server.host' },
  {
    flags: '--from <where>',
    help: 'where to start reading files present at start (later files: from the beginning)',
    choices: ['end', 'beginning'],
    default: 'end',
    key: 'files.from',
  },
  {
    flags: '--max-files <n>',
    help: 'most files followed at once',
    default: 1000,
    parse: integer(1),
    key: 'files.max_files',
    toml: 'number',
  },
  {
    flags: '--poll-interval <ms>',
    help: 'how often every file is re-checked',
    default: 250,
    parse: integer(10, 60_000),
    key: 'files.poll_interval',
    toml: 'number',
  },
  {
    flags: '--rotate-wait <ms>',
    help: 'how long a rotated-away file is still read after its last write',
    default: 5000,
    parse: integer(0, 3_600_000),
    key: 'files.rotate_wait',
    toml: 'number',
  },
  {
    flags: '--poll',
    help: 'poll the file system instead of using events (network and VM-shared mounts)',
    default: false,
    key: 'files.poll',
    toml: 'boolean',
  },
  {
    flags: '--positions <file>',
    help: 'the checkpoint: counts and read positions, kept across restarts',
    default: './.log-analyzer/positions.json',
    key: 'checkpoint.path',
    off: { flags: '--no-positions', help: 'no checkpoint: every start is a first start, counters start at 0' },
  },
  {
    flags: '--checkpoint-interval <duration>',
    help: 'how often counts and positions are checkpointed (and /metrics moves on)',
    default: 1000,
    shown: '1s',
    parse: duration,
    key: 'checkpoint.interval',
  },
  {
    flags: '--start-fresh',
    help: 'when neither the checkpoint nor its previous generation can be used: move them aside and start from zero (default: refuse to start)',
    default: false,
    key: 'checkpoint.start_fresh',
    toml: 'boolean',
  },
  {
    flags: '--forget-after <duration>',
    help: 'a file gone this long is forgotten, with its series',
    default: 600_000,
    shown: '10m',
    parse: duration,
    key: 'files.forget_after',
  },
  {
    flags: '--max-connections <n>',
    help: 'HTTP connections at once (the oldest idle or slow one is closed at the cap)',
    default: 256,
    parse: integer(1, 100_000),
    key: 'server.max_connections',
    toml: 'number',
  },
  {
    flags: '--max-streams <n>',
    help: 'live-page streams (/ui/events) at once, at most half of --max-connections',
    default: 16,
    parse: integer(1, 100_000),
    key: 'server.max_streams',
    toml: 'number',
  },
  {
    flags: '--slow-reader-timeout <duration>',
    help: 'a client that takes no byte of its answer, or sends no byte of its request body, for this long is closed',
    default: 10_000,
    shown: '10s',
    parse: duration,
    key: 'server.slow_reader_timeout',
  },
  {
    flags: '--allowed-hosts <host...>',
    help: 'Host headers answered besides IP addresses and localhost (default: any, or only loopback when bound to it)',
    parse: collect,
    key: 'server.allowed_hosts',
    toml: 'list',
  },
  {
    flags: '--web-config-file <file>',
    help: "TLS, client certificates, response headers and basic auth for every port, in Prometheus exporter-toolkit's YAML (reloaded on SIGHUP and on change)",
    key: 'server.web_config_file',
  },
  {
    flags: '--no-push',
    help: 'no push endpoints (POST /api/metrics, /metrics/track, /update)',
    noEnv: true,
    key: 'push.enabled',
    toml: 'boolean',
  },
  {
    flags: '--otlp-port <port>',
    help: 'also take OTLP/HTTP metrics (POST /v1/metrics) on this port, alone (usually 4318; default: off)',
    parse: integer(1, 65535),
    key: 'push.otlp_port',
    toml: 'number',
  },
  {
    flags: '--push-namespace <name>',
    help: 'put before every pushed name, with a _',
    default: '',
    parse: metricNamePart('namespace', true),
    key: 'metrics.metrics_namespace',
  },
  {
    flags: '--push-prefix <text>',
    help: 'put before every pushed name',
    default: '',
    parse: metricNamePart('prefix', false),
    key: 'metrics.metrics_prefix',
  },
  {
    flags: '--push-cumulative <source...>',
    help: 'sources whose counters push running totals, not increments',
    default: [],
    key: 'push.cumulative',
    toml: 'list',
  },
  {
    flags: '--push-ttl <duration>',
    help: 'drop pushed series not updated for this long (default: never)',
    parse: duration,
    key: 'push.ttl',
    reload: true,
  },
  {
    flags: '--pushgateway-ttl <duration>',
    help: 'drop Pushgateway groups not pushed to for this long (default: never, as pushgateway)',
    parse: duration,
    key: 'push.pushgateway_ttl',
  },
  {
    flags: '--push-ack <when>',
    help: 'answer a push once durable in the checkpoint, or once merged (faster, a crash may lose the last second)',
    choices: ['durable', 'merged'],
    default: 'durable',
    key: 'push.ack',
  },
  {
    flags: '--push-max-body <size>',
    help: 'largest push body (413 above)',
    default: 1024 * 1024,
    shown: '1MiB',
    parse: bytes,
    key: 'push.max_body',
  },
  {
    flags: '--push-max-items <n>',
    help: 'most samples in one push',
    default: 10_000,
    parse: integer(1, 1_000_000),
    key: 'push.max_items',
    toml: 'number',
    reload: true,
  },
  {
    flags: '--push-max-labels <n>',
    help: 'most labels on one pushed series',
    default: 32,
    parse: integer(0, 1000),
    key: 'push.max_labels',
    toml: 'number',
    reload: true,
  },
  {
    flags: '--push-max-label-bytes <n>',
    help: 'longest pushed label value, in UTF-8 bytes',
    default: 1024,
    parse: integer(1, 65536),
    key: 'push.max_label_bytes',
    toml: 'number',
    reload: true,
  },
  {
    flags: '--push-max-series-bytes <n>',
    help: "most UTF-8 bytes of a pushed series' label names and values together",
    default: 2048,
    parse: integer(1, 1_048_576),
    key: 'push.max_series_bytes',
    toml: 'number',
    reload: true,
  },
  {
    flags: '--push-max-series <n>',
    help: 'most pushed series in all',
    default: 100_000,
    parse: integer(1, 10_000_000),
    key: 'push.max_series',
    toml: 'number',
    reload: true,
  },
  {
    flags: '--push-max-series-per-family <n>',
    help: 'most series of one pushed name',
    default: 10_000,
    parse: integer(1, 10_000_000),
    key: 'push.max_series_per_family',
    toml: 'number',
    reload: true,
  },
  {
    flags: '--push-max-series-per-tenant <n>',
    help: 'most pushed series of one tenant (default: a tenth of --push-max-series)',
    parse: integer(1, 10_000_000),
    key: 'push.max_series_per_tenant',
    toml: 'number',
    reload: true,
  },
  {
    flags: '--api-key <key[:tenant]...>',
    help: 'writes need one of these keys (Authorization: Bearer KEY or X-API-Key); :* may set any tenant_id',
    parse: collect,
    key: 'push.api_keys',
    toml: 'list',
    reload: true,
    secret: 'keys',
  },
  {
    flags: '--api-keys-file <file>',
    help: 'more keys, one KEY[:TENANT] per line',
    key: 'push.api_keys_file',
    reload: true,
  },
  {
    flags: '--metrics-auth',
    help: 'reading (/metrics, its JSON, /ui, /api/status) needs an API key too',
    default: false,
    key: 'metrics.auth',
    toml: 'boolean',
  },
  {
    flags: '--push-open',
    help: 'a reload may remove every API key, leaving push open (refused otherwise)',
    default: false,
    key: 'push.allow_unauthenticated',
    toml: 'boolean',
    reload: true,
  },
  {
    flags: '--redis-url <url>',
    help: 'drain a Redis list of metric messages: redis://HOST:PORT[/DB] (default: off)',
    parse: redisUrl,
    key: 'redis.url',
    aliases: [{ name: 'Redis__ConnectionString', as: 'flag', read: connectionString }],
    secret: 'url',
  },
  {
    flags: '--redis-key <key>',
    help: 'the list senders LPUSH onto',
    default: 'prom-stream-gateway:metric-queue',
    key: 'redis.key',
    aliases: [{ name: 'Redis__MetricQueueKey', as: 'flag' }],
  },
  {
    flags: '--redis-workers <n>',
    help: 'batches decoding at once (one more is claimed ahead)',
    default: 2,
    parse: integer(1, 64),
    key: 'redis.workers',
    toml: 'number',
    aliases: [{ name: 'Redis__MetricQueueWorkers', as: 'flag' }],
  },
  {
    flags: '--redis-db <n>',
    help: 'the database, unless the URL names one',
    default: 0,
    parse: integer(0, 1_000_000),
    key: 'redis.db',
    toml: 'number',
    aliases: [{ name: 'Redis__MetricQueueDatabase', as: 'flag' }],
  },
  {
    flags: '--redis-batch <n>',
    help: 'most messages claimed at once',
    default: 1000,
    parse: integer(1, 100_000),
    key: 'redis.batch',
    toml: 'number',
  },
  {
    flags: '--redis-dead-max <n>',
    help: 'dead letters kept in <key>:dead',
    default: 10_000,
    parse: integer(0, 10_000_000),
    key: 'redis.dead_max',
    toml: 'number',
  },
  {
    flags: '--redis-consumer <id>',
    help: "this replica's name for its processing lists (default: the checkpoint's, else host name + random)",
    parse: consumerId,
    key: 'redis.consumer',
  },
  {
    flags: '--redis-lease <duration>',
    help: 'a replica silent this long has its processing lists taken over',
    default: 30_000,
    shown: '30s',
    parse: duration,
    key: 'redis.lease',
  },
  {
    flags: '--redis-allow-tenant-id',
    help: 'queue messages may set tenant_id (else refused: tenant_not_allowed)',
    default: false,
    key: 'redis.allow_tenant_id',
    toml: 'boolean',
  },
  {
    flags: '--redis-max-message-bytes <size>',
    help: 'a larger queue message is dead-lettered (too_large) unread',
    default: 2 ** 20,
    shown: '1MiB',
    parse: bytes,
    key: 'redis.max_message_bytes',
  },
  {
    flags: '--statsd-port <port>',
    help: 'receive StatsD/DogStatsD lines on this UDP and TCP port (statsd_exporter uses 9125; default: off)',
    parse: integer(1, 65535),
    key: 'statsd.port',
    toml: 'number',
  },
  {
    flags: '--statsd-mapping-config <file>',
    help: "statsd_exporter's YAML mapping file (globs: names and labels from StatsD names)",
    key: 'statsd.mapping_config',
  },
  {
    flags: '--history-max-series <n>',
    help: 'series whose short-term history is kept (the least recently changed go)',
    default: 10_000,
    parse: integer(1, 1_000_000),
    key: 'history.max_series',
    toml: 'number',
    reload: true,
    aliases: [{ name: 'ACCESS_MAX_METRIC_SERIES', as: 'flag' }],
  },
  {
    flags: '--history-max-points <n>',
    help: 'most points kept per series (caps --history-window at this many steps)',
    default: 1000,
    parse: integer(1, 1_000_000),
    key: 'history.max_points_per_series',
    toml: 'number',
    aliases: [{ name: 'ACCESS_MAX_POINTS_PER_SERIES', as: 'flag' }],
  },
  {
    flags: '--history-step <duration>',
    help: 'one point per series this often',
    default: 10_000,
    shown: '10s',
    parse: duration,
    key: 'history.step',
  },
  {
    flags: '--history-window <duration>',
    help: 'points kept per series',
    default: 3_600_000,
    shown: '1h',
    parse: duration,
    key: 'history.window',
  },
  {
    flags: '--history-rollup <duration>',
    help: 'rollups of this length',
    default: 300_000,
    shown: '5m',
    parse: duration,
    key: 'history.rollup',
  },
  {
    flags: '--history-rollup-window <duration>',
    help: 'rollups kept per series',
    default: 86_400_000,
    shown: '24h',
    parse: duration,
    key: 'history.rollup_window',
  },
  {
    flags: '--aggregation-window <seconds>',
    help: 'the default window_seconds of /metrics?aggregated=true',
    default: 300,
    parse: integer(1, 31 * 86_400),
    key: 'aggregation.window_seconds',
    toml: 'number',
    aliases: [{ name: 'ACCESS_AGGREGATION_WINDOW_SECONDS', as: 'flag' }],
  },
  {
    flags: '--aggregation-types <types...>',
    help: 'the default aggregation_types of /metrics?aggregated=true: avg, sum, min, max, count',
    default: DEFAULT_AGGREGATION_TYPES,
    shown: DEFAULT_AGGREGATION_TYPES.join(','),
    parse: aggregationTypes,
    key: 'aggregation.aggregation_types',
    toml: 'list',
  },
  {
    flags: '--retention-hours <hours>',
    help: 'how long rollups are kept, in hours: sets --history-rollup-window (default: its 24h)',
    parse: integer(1, 24 * 366),
    key: 'aggregation.retention_hours',
    toml: 'number',
  },
  {
    flags: '--trend-hours <hours>',
    help: 'the default hours of /metrics/trends/NAME',
    default: 24,
    parse: integer(1, 24 * 366),
    key: 'aggregation.trend_hours',
    toml: 'number',
  },
  {
    flags: '--history-save-interval <duration>',
    help: 'how often the history is written beside the checkpoint (<checkpoint>.history; also at stop)',
    default: 60_000,
    shown: '1m',
    parse: duration,
    key: 'history.save_interval',
  },
  {
    flags: '--scrape-target <type:name=url...>',
    help: 'scrape another service: prometheus:api=http://api:8000/metrics, health:…, custom:…',
    parse: scrapeTarget,
    key: 'scrape.targets',
    toml: 'targets',
    reload: true,
    secret: 'targets',
  },
  {
    flags: '--scrape-interval <seconds>',
    help: 'how often targets are scraped',
    default: 15,
    parse: integer(1, 86_400),
    key: 'scrape.interval_secs',
    toml: 'number',
    reload: true,
  },
  {
    flags: '--system-stats',
    help: "the host's CPU, memory, disks and network as node_exporter names them",
    default: false,
    key: 'system.enabled',
    toml: 'boolean',
  },
  {
    flags: '--no-system-cpu',
    help: 'with --system-stats: no CPU seconds, load or CPU limit',
    noEnv: true,
    key: 'system.collect_cpu',
    toml: 'boolean',
  },
  {
    flags: '--no-system-ram',
    help: 'with --system-stats: no memory fields or memory limit',
    noEnv: true,
    key: 'system.collect_ram',
    toml: 'boolean',
  },
  {
    flags: '--system-disk',
    help: 'with --system-stats: file systems and disk bytes too',
    default: false,
    key: 'system.collect_disk',
    toml: 'boolean',
  },
  {
    flags: '--no-system-network',
    help: 'with --system-stats: no network bytes',
    noEnv: true,
    key: 'system.collect_network',
    toml: 'boolean',
  },
  {
    flags: '--no-sort-labels',
    help: "accepted for the senders' setting; label order never makes two series here",
    aliases: [
      {
        name: 'Metrics__SortIncomingLabels',
        as: 'flag',
        read: (text) => (/^(false|0)$/.test(text.trim().toLowerCase()) ? 'true' : undefined),
      },
    ],
  },
  {
    flags: '--log-level <level>',
    help: 'the service log: trace, debug (every request), info, warn, error, fatal or silent (also ACCESS_LOG_LEVEL, LOG_LEVEL)',
    default: 'info',
    parse: logLevel,
    key: 'log.level',
    // ACCESS_LOG_LEVEL before LOG_LEVEL: the first one set is taken; LOG_ANALYZER_LOG_LEVEL wins over both.
    aliases: [
      { name: 'ACCESS_LOG_LEVEL', as: 'flag' },
      { name: 'LOG_LEVEL', as: 'flag' },
    ],
  },
  {
    flags: '--log-format <format>',
    help: 'the service log as JSON lines (time, level, msg, …) or text; auto: text on a terminal, else JSON',
    choices: ['auto', 'json', 'text'],
    default: 'auto',
    key: 'log.format',
  },
  {
    flags: '--tracing',
    help: 'export spans over OTLP/HTTP to --tracing-endpoint, else OTEL_EXPORTER_OTLP_ENDPOINT, else http://localhost:4318 (also ACCESS_ENABLE_TRACING=true)',
    default: false,
    key: 'tracing.enabled',
    toml: 'boolean',
    aliases: [
      {
        name: 'ACCESS_ENABLE_TRACING',
        as: 'flag',
        read: (text) => (/^(1|true|yes|on)$/i.test(text.trim()) ? 'true' : undefined),
      },
    ],
  },
  {
    flags: '--tracing-endpoint <url>',
    help: 'export spans (push requests, queue batches, checkpoint writes) to this OTLP/HTTP endpoint; /v1/traces is added (default: off)',
    parse: httpUrl,
    key: 'tracing.endpoint',
  },
  {
    flags: '--rules <file...>',
    help: "alerting rule files in Prometheus' format, or globs (*, ?, [ab]); read again on SIGHUP",
    key: 'alerts.rules',
    toml: 'list',
    reload: true,
  },
  {
    flags: '--evaluation-interval <duration>',
    help: 'how often rule groups without their own interval are evaluated',
    default: 15_000,
    shown: '15s',
    parse: evaluationInterval,
    key: 'alerts.evaluation_interval',
  },
  {
    flags: '--alertmanager-url <url...>',
    help: 'send alerts to this Alertmanager (POST /api/v2/alerts), as Prometheus does',
    parse: alertmanagerUrl,
    key: 'alerts.alertmanager_urls',
    toml: 'list',
  },
  {
    flags: '--alert-webhook <name=url...>',
    help: "send alerts straight to a webhook (Alertmanager's payload); [[alerts.webhooks]] in the config file sets grouping, auth and retries",
    parse: webhook,
    key: 'alerts.webhooks',
    toml: 'webhooks',
    secret: 'webhooks',
  },
  {
    flags: '--external-url <url>',
    help: "the URL this analyzer is reached at, in alerts' links (default: http://HOSTNAME:PORT)",
    key: 'alerts.external_url',
  },
  {
    flags: '--config <file>',
    help: 'a TOML config file (also METRICS_CONFIG); flags and environment win over it',
    aliases: [{ name: 'METRICS_CONFIG', as: 'flag' }],
  },
  {
    flags: '--metrics-path <path>',
    help: 'the path /metrics is served at',
    default: '/metrics',
    parse: urlPath,
    key: 'metrics.prometheus_endpoint',
  },
  {
    flags: '--custom-gauge <name...>',
    help: 'a gauge that exists from the start at 0, set by pushes and /update',
    parse: customNames,
    key: 'metrics.custom_gauges',
    toml: 'list',
  },
  {
    flags: '--custom-counter <name...>',
    help: 'a counter that exists from the start at 0 (exposed NAME_total), added to by pushes',
    parse: customNames,
    key: 'metrics.custom_counters',
    toml: 'list',
  },
  {
    flags: '--custom-histogram <name...>',
    help: 'a histogram (default buckets) that exists from the start empty, observed by pushes',
    parse: customNames,
    key: 'metrics.custom_histograms',
    toml: 'list',
  },
  {
    flags: '--environment <name>',
    help: 'the deployment environment, reported in /health and /api/status (nothing else changes)',
    default: 'local',
    parse: environmentName,
    key: 'server.environment',
    aliases: [{ name: 'ACCESS_ENV', as: 'flag' }],
  },
  {
    flags: '-f, --format <format>',
    help: `a preset (${FORMAT_NAMES.join(', ')}), app (application logs by level), an Apache LogFormat or nginx log_format string, or a JSON preset with FIELD=PATH mappings`,
    default: PRESETS[DEFAULT_FORMAT],
    shown: DEFAULT_FORMAT,
    parse: format,
    key: 'files.format',
    reload: true,
    scan: true,
  },
  {
    flags: '--files <pattern=format...>',
    help: 'files read with a format of their own, PATTERN=FORMAT (the config file: [[files]] entries); the rest take --format',
    parse: fileFormat,
    scan: true,
  },
  {
    flags: '--continuation <regex>',
    help: 'app format: lines matching this (RE2) continue the message above, besides indented, at …, Caused by: and exception lines',
    parse: re2Pattern('--continuation'),
    key: 'logs.continuation',
    scan: true,
  },
  {
    flags: '--log-rule <json...>',
    help: 'a user rule as JSON {name, regex|json_path, type, labels, value, buckets, files} (config file: [[logs.rules]])',
    parse: logRule,
    key: 'logs.rules',
    toml: 'rules',
    scan: true,
  },
  {
    flags: '--route <template...>',
    help: 'path templates (/users/{id}) a rule label named route takes; other paths get ids (numbers, UUIDs, hex) as {id}',
    parse: routeTemplate,
    key: 'logs.routes',
    toml: 'list',
    scan: true,
  },
  {
    flags: '--route-label',
    help: 'http_requests_total and http_response_bytes_total get a route label: the request path, --route templates, ids as {id}, bounded by --max-label-values',
    default: false,
    key: 'logs.route_label',
    toml: 'boolean',
    scan: true,
  },
  {
    flags: '--max-label-values <n>',
    help: 'distinct values kept per label taken from log lines (rule labels); the rest count as other',
    default: 100,
    parse: integer(1, 100_000),
    key: 'logs.max_label_values',
    toml: 'number',
    scan: true,
  },
  {
    flags: '-w, --workers <n>',
    help: 'parse worker threads',
    default: defaultWorkers(),
    parse: integer(1, 256),
    key: 'files.workers',
    toml: 'number',
    scan: true,
    varies: true,
  },
  {
    flags: '--max-line-bytes <n>',
    help: 'longer lines are skipped and counted as errors (line_too_long)',
    default: 65536,
    parse: integer(1, 64 * 1024 * 1024),
    key: 'files.max_line_bytes',
    toml: 'number',
    scan: true,
  },
];

/** The long flag without its dashes: `port`, `no-push`. */
export function longFlag(setting: Pick<Setting, 'flags'>): string {
  return /--([a-z-]+)/.exec(setting.flags)?.[1] ?? '';
}

/** The option's name in the parsed options (commander's attribute name): `port`, `push`, `systemCpu`. */
export function optionName(setting: Setting): string {
  return new Option(setting.flags).attributeName();
}

/** LOG_ANALYZER_<FLAG>: --max-line-bytes ← LOG_ANALYZER_MAX_LINE_BYTES. */
export function envName(setting: Setting): string {
  return `LOG_ANALYZER_${longFlag(setting).replace(/-/g, '_').toUpperCase()}`;
}

/** APP__SECTION__KEY: server.port ← APP__SERVER__PORT. */
export function nestedEnvName(key: string): string {
  return `APP__${key.replace('.', '__').toUpperCase()}`;
}

/** The setting an option name belongs to. */
export const BY_OPTION: ReadonlyMap<string, Setting> = new Map(TABLE.map((s) => [optionName(s), s]));

/** Every option's default by option name (a `--no-…` switch: true; unset ones absent). */
export const DEFAULTS: Readonly<Record<string, unknown>> = Object.fromEntries(
  TABLE.flatMap((s) => {
    if (s.default !== undefined) return [[optionName(s), s.default]];
    return longFlag(s).startsWith('no-') ? [[optionName(s), true]] : [];
  }),
);
