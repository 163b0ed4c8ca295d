// The wiring: the one module that knows every stage. It builds them in data order, connects each
// source to its transform and the store, and says who owns what:
//
//   sources     file    sources/file/tailer.ts          followed files, their descriptors and positions
//               push    sources/push/push-source.ts     push routes, API keys, the push log
//               pushgateway sources/pushgateway/          Pushgateway groups (replaced per push), checkpointed whole
//               queue   sources/queue/queue-source.ts   its Redis lists and lease
//               statsd  sources/statsd/statsd-source.ts its UDP socket, TCP listener and connections
//               scrape  sources/scrape/scrape-source.ts targets and their last answers (served live)
//               host    sources/host/host-metrics.ts    nothing: /proc and /sys read at scrape time
//   transforms  parse   transforms/log/parse-stage.ts   the parse workers and their buffers (pool/)
//               decode  transforms/push/ (decode-pool)  the decode threads, for push and queue alike
//               statsd  transforms/statsd/              lines → batches, the mapping file's rules (inline)
//   store               store/store.ts, pushed-families every counted value; applying is the acknowledgement
//   checkpoint          store/checkpointer.ts           the checkpoint file, its lock, what /metrics serves
//   history             history/history.ts              the last hour of every series
//                       history/history-saver.ts        the history file beside the checkpoint
//   alerts              rules/alerting.ts               rule files, alert states, notifications (checkpointed)
//   rules               rules/promql/store-source.ts    raw points of the series alert expressions read over time:
//                                                       ONE source, built here, read by the rules and /api/v1/query
//                                                       (each its reader view). Each reader's sampler records what it
//                                                       reads: the rule engine before each turn, the history timer
//                                                       every step for the query route; a series both read is one
//                                                       ring, and a point younger than half the sampler's cadence serves
//   exporters           export/http-app.ts, http-server the routes, the connections, the live page's stream
//   errors              metrics/error-report.ts         every stage's errors, counted and said once
//   service log         metrics/logger.ts, export/request-log.ts  its lines; each request's id, refusals logged
//   tracing             metrics/tracing.ts              spans (null when off): requests, queue batches,
//                                                       checkpoint writes; rule evaluations record theirs too
//
// A file chunk:     Tailer → parse stage (a worker) → store (mergeSummary) → checkpointer → /metrics.
// A pushed sample:  push routes → decode → push log → store (PushedFamilies.take) → checkpointer → /metrics.
// A queued message: queue source → decode → store (the same take) → checkpointer → /metrics.
// A StatsD line:    statsd source → statsd batch (10 ms) → store (the same take) → checkpointer → /metrics.
// Sources take typed positions back from the checkpoint here and are told when one is durable.
// Everything here is handed in by main.ts, so tests build an analyzer in-process.

import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { Registry } from 'prom-client';
import type { AnalyzerConfig, CustomMetrics } from './config/analyzer-config.js';
import {
  AGGREGATION_DEFAULTS,
  ALERTS_DEFAULTS,
  ANALYZER_DEFAULTS,
  HISTORY_DEFAULTS,
  PUSH_DEFAULTS,
  QUEUE_DEFAULTS,
  SCRAPE_DEFAULTS,
  SYSTEM_DEFAULTS,
} from './config/analyzer-config.js';
import type { Reloadable } from './config/reload.js';
import { createCounting } from './counting.js';
import { alertsRoutes } from './export/alerts-routes.js';
import { aggregationBounds } from './export/export-query.js';
import { registryFamilies } from './export/exposition.js';
import { jsonFamilies } from './export/exposition-json.js';
import { forecastRoutes } from './export/forecast-routes.js';
import { dependencies } from './export/health.js';
import { createHistoryMetrics } from './export/history-metrics.js';
import { aggregatedText, aggregatorStats } from './export/history-queries.js';
import { historyRoutes } from './export/history-routes.js';
import { hostAllowed } from './export/host-check.js';
import { createHttpApp } from './export/http-app.js';
import { connectionCap, createHttpServer, openFilesLimit } from './export/http-server.js';
import { LiveFeed, storeTotals } from './export/live-feed.js';
import { queryRoutes } from './export/query-routes.js';
import type { ReadEnv } from './export/read-auth.js';
import { requestLog } from './export/request-log.js';
import { fileStatuses, statusAnswer } from './export/status.js';
import { uiRoutes } from './export/ui-routes.js';
import { History } from './history/history.js';
import { HistorySaver } from './history/history-saver.js';
import { isReservedName, LOG_FAMILIES } from './metrics/catalog.js';
import { ErrorReport } from './metrics/error-report.js';
import { LineRate } from './metrics/line-rate.js';
import { createLogger } from './metrics/logger.js';
import { createSelfMetrics } from './metrics/self-metrics.js';
import { nowMs } from './metrics/tracing.js';
import { type Alerting, loadRules, setUpAlerting } from './rules/alerting.js';
import { exposedSamples, StoreSource } from './rules/promql/store-source.js';
import type { FileEvents } from './sources/file/file-events.js';
import { readFilePositions } from './sources/file/saved-positions.js';
import { Tailer } from './sources/file/tailer.js';
import { registerHostMetrics } from './sources/host/host-metrics.js';
import { type PushConfig, PushSource, restorePushPosition } from './sources/push/push-source.js';
import { PushgatewaySource, restorePushgatewayPosition } from './sources/pushgateway/pushgateway-source.js';
import { redactedUrl } from './sources/queue/queue-plan.js';
import { setUpQueue } from './sources/queue/queue-setup.js';
import type { QueueSource } from './sources/queue/queue-source.js';
import { parsePromText } from './sources/scrape/prom-text.js';
import { ScrapeSource } from './sources/scrape/scrape-source.js';
import { createStatsdMetrics } from './sources/statsd/statsd-metrics.js';
import { StatsdSource } from './sources/statsd/statsd-source.js';
import { AppFamilies } from './store/app-families.js';
import { openCheckpoint } from './store/checkpoint-load.js';
import { Checkpointer } from './store/checkpointer.js';
import { declareFamilies } from './store/declared-families.js';
import { initFileSeries, withFileLabels } from './store/log-families.js';
import type { FamilyInfo, TimedBatch } from './store/push-batch.js';
import { PushedFamilies } from './store/pushed-families.js';
import type { Store } from './store/store.js';
import { compileAnyFormat, formatName } from './transforms/log/formats.js';
import { notParsingMessage, ParseHealth } from './transforms/log/parse-health.js';
import { DecodePool } from './transforms/pool/decode-pool.js';
import { exposedName } from './transforms/push/group.js';
import { type Mapping, parseMapping } from './transforms/statsd/mapping.js';
import { COMMIT, VERSION } from './version.js';

export interface Analyzer {
  store: Store;
  pushed: PushedFamilies;
  /** The queue source, when a queue is configured. */
  queue: QueueSource | null;
  /** The StatsD source, when --statsd-port is set (it binds in listen(), on the HTTP host). */
  statsd: StatsdSource | null;
  /** The short-term history (sampled every step by a timer; tests call sample()). */
  history: History;
  /** Alerting rules, their alerts and notifiers; null without rules or receivers. */
  alerting: Alerting | null;
  /** What alert expressions and /api/v1/query read (rules/promql): the one source, see the header. */
  seriesSource: StoreSource;
  /** What the live page shows, once a second while anyone watches. */
  feed: LiveFeed;
  /** The self metrics (live; not checkpointed). */
  selfRegistry: Registry;
  app: ReturnType<typeof createHttpApp>;
  tailer: Tailer;
  /** Resolves when the files present at start are found and read up to where they should be. */
  ready: Promise<void>;
  /** Whether this start carried on from a checkpoint. */
  resumed: boolean;
  /**
   * Applies a new configuration in place (a reload): the watched patterns, the scrape targets and
   * the history's cap. Counts, checkpoints and the listener carry on.
   */
  reload(next: Reloadable): Promise<void>;
  /** Takes a checkpoint now and publishes it to /metrics (tests and shutdown; normally on a timer). */
  checkpoint(): Promise<void>;
  /** Serves the HTTP app; resolves with the bound port. */
  listen(port: number, host: string): Promise<number>;
  stop(): Promise<void>;
}

export async function createAnalyzer(config: AnalyzerConfig): Promise<Analyzer> {
  const log = config.log ?? createLogger({ format: 'text', level: 'info' });
  const tracing = config.tracing ?? null;
  const warn = config.warn ?? ((message: string) => log.warn(message));
  const logRequests = requestLog({ log, tracing });
  const startedAt = Date.now();
  // Before anything is opened: a mapping file this cannot follow is one line naming the key.
  const statsdMapping = config.statsd?.port ? readMapping(config.statsd.mappingFile) : null;
  const alertsConfig = { ...ALERTS_DEFAULTS, ...config.alerts };
  const historyOptions = { ...HISTORY_DEFAULTS, ...config.history };
  const ruleGroups = loadRules(alertsConfig.rules, historyOptions.windowMs);
  const opened = config.positionsFile
    ? await openCheckpoint(config.positionsFile, { startFresh: config.startFresh ?? false, say: warn })
    : null;
  const lock = opened?.lock ?? null;
  const saved = opened?.checkpoint ?? null;
  // The parse stage merges each file chunk's summary (the acknowledgement); this is told of each.
  const { store, families, pool, parse, formatOf } = createCounting(config, (file, summary) => {
    lineRate.add(file, summary.lines);
    // Most recent lines fail: said once per file, and shown in /api/status until they parse again.
    const notParsing = parseHealth.add(file, formatOf(file), summary);
    if (notParsing) warn(notParsingMessage(file, notParsing));
    if (summary.workerFailures)
      reportError('parse', file, new Error(`${summary.workerFailures} lines no worker could parse`));
  });
  if (saved) store.restore(saved.store);
  const push: PushConfig = { ...PUSH_DEFAULTS, ...config.push };
  // Declared metrics exist from the start (pushed families: counted, set and checkpointed as such).
  const declared = declareFamilies(store, declaredInfos(config.customMetrics ?? {}, push), Date.now());
  if (declared) {
    await pool.close();
    await lock?.release();
    throw new Error(declared);
  }
  const pushed = new PushedFamilies(store, push);
  /** Where the push and queue sources' batches go: the store's pushed families. */
  const pushSink = { apply: ({ batch, at }: TimedBatch) => pushed.take(batch, at) };
  const selfRegistry = new Registry();
  const lineRate = new LineRate();
  const parseHealth = new ParseHealth();

  // Created below; the self metrics only read them at scrape time.
  let tailer: Tailer | null = null;
  let server: Server | null = null;
  let otlpServer: Server | null = null;
  let checkpointer: Checkpointer | null = null;
  const selfMetrics = createSelfMetrics(selfRegistry, VERSION, {
    filesWatched: () => tailer?.fileCount ?? 0,
    lagBytes: () => new Map((tailer?.statuses() ?? []).map((f) => [f.path, f.lagBytes])),
    lineRates: () => lineRate.rates(),
    pool: () => pool.stats(),
    checkpointAgeSeconds: () => (checkpointer?.published.at ? (Date.now() - checkpointer.published.at) / 1000 : 0),
    httpConnections: () => connections(),
    pushedSeries: () => pushed.seriesCount,
    pushedTenantFamilies: () => pushed.tenantFamilies,
  });

  // Every stage's errors: counted by stage and code; said once per distinct problem, not per retry.
  const errorReport = new ErrorReport(selfMetrics.errors, warn);
  const reportError = errorReport.report.bind(errorReport);
  pool.onTask = (seconds) => selfMetrics.taskDuration.observe(seconds);
  pool.onFailure = (error) => reportError('parse', 'a parse worker failed; the chunk is tried again', error);
  // The push source (after the store's restore: it applies again what the push log has past it).
  // Decode threads for pushed bodies and queue messages alike.
  const decodePool = new DecodePool(config.workers);
  decodePool.onFailure = (error) => reportError('push', 'a decode thread failed', error);
  const pushSource = new PushSource({
    config: push,
    sink: pushSink,
    pushed,
    decodePool,
    checkpointFile: config.positionsFile,
    restored: saved ? restorePushPosition(saved.sources.push, saved.writtenAt) : null,
    onSamples: (result, reason, n) => selfMetrics.pushSamples.inc(reason ? { result, reason } : { result }, n),
    onAnswered: (status) => selfMetrics.pushRequests.inc({ code: String(status) }),
    onExpired: (n) => selfMetrics.pushExpired.inc(n),
    onError: (subject, error) => reportError('push', subject, error),
  });

  // The queue source (after the store's restore: it applies again the batches the checkpoint lacks).
  const queue = config.queue
    ? setUpQueue({
        queue: { ...QUEUE_DEFAULTS, ...config.queue },
        saved: saved?.sources.queue,
        checkpointFile: config.positionsFile,
        push,
        sink: pushSink,
        decodePool,
        registry: selfRegistry,
        onError: (subject, error) => reportError('queue', subject, error),
        onBatch: tracing
          ? (seconds) => {
              const end = nowMs();
              tracing.record({ name: 'queue batch', startMs: end - seconds * 1000, endMs: end });
            }
          : undefined,
      })
    : null;

  // StatsD (tenant-less): its batches go to the same sink; a relative gauge reads the value held.
  const statsd = config.statsd?.port
    ? new StatsdSource({
        port: config.statsd.port,
        mapping: statsdMapping,
        limits: push,
        sink: pushSink,
        gaugeValue: (name, key) => {
          const family = store.get(name);
          const s = family?.spec.kind === 'gauge' ? family.series.get(key) : undefined;
          return s && 'value' in s ? s.value : undefined;
        },
        metrics: (state) => createStatsdMetrics(selfRegistry, state),
        onError: (subject, error) => reportError('statsd', subject, error),
      })
    : null;

  let refusalSaid = false;
  const fileEvents: FileEvents = {
    follow: (file) => initFileSeries(families, file),
    refused: (file) => {
      selfMetrics.filesRefused.inc();
      if (!refusalSaid) {
        warn(
          `not following ${file}: already following --max-files=${config.maxFiles} files ` +
            '(further refusals are only counted, in log_analyzer_files_refused_total)',
        );
      }
      refusalSaid = true;
    },
    forget: (file) => {
      store.dropSeries('file', file);
      lineRate.forget(file);
      parseHealth.forget(file);
      for (const metric of [selfMetrics.readBytes, selfMetrics.rotations, selfMetrics.truncations]) {
        metric.remove({ file });
      }
      errorReport.forget('read', file);
    },
    rotation: (file) => selfMetrics.rotations.inc({ file }),
    error: (file, error) => reportError('read', file, error),
    watchError: (path, error) => reportError('watch', path, error),
    waiting: (base) => warn(`waiting for ${base} to appear (it is followed as soon as it does)`),
    truncation: (file) => selfMetrics.truncations.inc({ file }),
    read: (file, bytes) => selfMetrics.readBytes.inc({ file }, bytes),
  };
  tailer = new Tailer({
    resumeFrom: saved ? readFilePositions(saved.sources.file, saved.writtenAt) : null,
    patterns: config.watch,
    from: config.from,
    maxFiles: config.maxFiles,
    pollIntervalMs: config.pollIntervalMs,
    rotateWaitMs: config.rotateWaitMs,
    usePolling: config.usePolling,
    forgetAfterMs: config.forgetAfterMs ?? ANALYZER_DEFAULTS.forgetAfterMs,
    maxLineBytes: config.maxLineBytes,
    // Chunks go through the parse stage to the store; the reader commits a chunk's position once applied.
    chunks: parse,
    events: fileEvents,
  });

  // Pushgateway groups, on when push is (the same keys); a group's name may not be one of ours.
  const pushgateway = push.enabled
    ? new PushgatewaySource({
        maxBodyBytes: push.maxBodyBytes,
        keys: () => pushSource.currentKeys(),
        ttlMs: config.pushgatewayTtlMs ?? null,
        durable: push.ack === 'durable' && config.positionsFile !== null,
        checkpoint: () => checkpointer?.checkpoint() ?? Promise.resolve(),
        taken: (name) => store.has(name) || selfRegistry.getSingleMetric(name) !== undefined || isReservedName(name),
        restored: saved ? restorePushgatewayPosition(saved.sources.pushgateway) : null,
        onRefused: (reason, n) => {
          pushed.reject(reason, n);
          selfMetrics.pushSamples.inc({ result: 'rejected', reason }, n);
        },
        onAnswered: (status) => selfMetrics.pushRequests.inc({ code: String(status) }),
      })
    : null;
  // …and a pushed family may not take a group's name: /metrics would show it twice.
  if (pushgateway) pushed.takenElsewhere = (name) => pushgateway.exposes(name);
  // Alerting (after the store's restore: it evaluates over it), before the checkpointer that saves its state.
  const history = new History(store, historyOptions);
  // What expressions read, rules and /api/v1/query alike: every family /metrics shows, the store
  // live, the rest as of the last sample (read when sampled: scrape is made below).
  const seriesSource = new StoreSource(store, history.options, async () => [
    ...(await registryFamilies(selfRegistry)).flatMap((f) => f.samples),
    ...exposedSamples(scrape.exposition() + (pushgateway?.exposition() ?? '')),
  ]);
  const alerting =
    alertsConfig.rules.length + alertsConfig.alertmanagerUrls.length + alertsConfig.webhooks.length > 0
      ? setUpAlerting({
          config: alertsConfig,
          groups: ruleGroups,
          windowMs: history.options.windowMs,
          registry: selfRegistry,
          source: seriesSource,
          tracing,
          restored: saved ? (saved.sources as { alerts?: unknown; webhooks?: unknown }) : null,
          checkpoint: () => void checkpointer?.checkpoint(),
          externalUrl: () => alertsConfig.externalUrl ?? `http://${hostname()}:${boundPort}`,
          onError: (subject, error) => reportError('alerts', subject, error),
        })
      : null;
  checkpointer = new Checkpointer({
    store,
    path: config.positionsFile,
    // The previous generation stays usable: the push log keeps what it lacks. Queue batches go
    // once the newest has them (README: a fall-back to the previous generation misses them).
    sources: [
      tailer,
      pushSource,
      ...(pushgateway ? [pushgateway] : []),
      ...(queue ? [queue] : []),
      ...(alerting?.sources ?? []),
    ],
    resumed: saved !== null,
    onWritten: (seconds, bytes) => {
      selfMetrics.checkpointWrites.inc();
      selfMetrics.checkpointDuration.observe(seconds);
      const end = tracing ? nowMs() : 0;
      tracing?.record({ name: 'checkpoint write', startMs: end - seconds * 1000, endMs: end, attributes: { bytes } });
    },
    onError: (error) => reportError('checkpoint', config.positionsFile ?? '', error),
  });
  // What /metrics serves before the first checkpoint: the restored values, durable already.
  await checkpointer.checkpoint();

  const aggregation = { ...AGGREGATION_DEFAULTS, ...config.aggregation };
  // Beside the checkpoint, on its own cadence (history-saver.ts); refused: an empty history, same counts.
  const historyFile = config.positionsFile ? `${config.positionsFile}.history` : null;
  const historySaver = historyFile
    ? new HistorySaver(history, historyFile, warn, (error) => reportError('checkpoint', historyFile, error))
    : null;
  await historySaver?.load(Date.now());
  const feed = new LiveFeed(() =>
    storeTotals(
      store,
      new Map((tailer?.statuses() ?? []).map((f) => [f.path, f.lagBytes])),
      queue ? queue.depth : null,
      Date.now(),
    ),
  );
  createHistoryMetrics(selfRegistry, history, feed, historySaver);
  registerHostMetrics(selfRegistry, { ...SYSTEM_DEFAULTS, ...config.system });
  // A target's family may not take a name the analyzer exposes itself.
  const scrape = new ScrapeSource(
    { ...SCRAPE_DEFAULTS, ...config.scrape },
    selfRegistry,
    (name) => store.has(name) || selfRegistry.getSingleMetric(name) !== undefined || isReservedName(name),
  );
  scrape.start();

  const app = createHttpApp({
    requestLog: logRequests,
    commit: COMMIT,
    dependencies: () =>
      dependencies({
        lastError: errorReport.lastError,
        push: push.enabled,
        queue: queue && { up: queue.up, halted: queue.halted, url: redactedUrl(config.queue?.url ?? '') },
        now: Date.now(),
      }),
    stats: () => {
      const { collector, aggregator } = pushSource.stats();
      return { collector, aggregator: { ...aggregator, ...aggregatorStats(history) } };
    },
    readAuth: pushSource.readAuth(),
    hostAllowed: (host) => hostAllowed(host, boundTo, config.allowedHosts ?? []),
    aggregated: (tenant, aggregation) => aggregatedText(history, Date.now(), tenant, aggregation),
    aggregation: aggregationBounds(aggregation, history.options),
    toJson: (text) => jsonFamilies(parsePromText(text, Number.POSITIVE_INFINITY).families),
    environment: config.environment ?? ANALYZER_DEFAULTS.environment,
    extraText: () => scrape.exposition() + (pushgateway?.exposition() ?? ''),
    metricsPath: config.metricsPath ?? ANALYZER_DEFAULTS.metricsPath,
    routes: [
      ...[pushSource.routes<ReadEnv>(), pushgateway?.routes<ReadEnv>()].filter((r) => r !== undefined),
      historyRoutes(history, Date.now, aggregation.trendHours),
      forecastRoutes(history),
      queryRoutes(seriesSource.reader('query'), history.options.windowMs),
      uiRoutes(feed, history),
      alertsRoutes(() => alerting?.engine ?? null),
    ],
    published: () => checkpointer?.published ?? { snapshot: { families: [] }, generation: 0, at: 0 },
    refresh: () => checkpointer?.checkpoint() ?? Promise.resolve(),
    selfRegistry,
    version: VERSION,
    startedAt,
    status: async () =>
      statusAnswer({
        discovery: tailer?.discovery,
        checkpoint: {
          file: config.positionsFile,
          resumed: saved !== null,
          publishedAt: checkpointer?.published.at ?? 0,
          series: store.seriesCount,
        },
        files: fileStatuses(store, tailer?.statuses() ?? []).map((f) => ({
          ...f,
          format: formatName(formatOf(f.path)),
          notParsing: parseHealth.of(f.path),
        })),
        pool: pool.stats(),
      }),
  });

  const rateTimer = setInterval(() => lineRate.sample(Date.now()), 1000);
  rateTimer.unref();
  const historyTimer = setInterval(() => {
    const now = Date.now();
    history.sample(now);
    // What the query route reads; half a step: a rule turn's point a moment ago serves, and the
    // timer's jitter never skips a step.
    seriesSource.sample(now, history.options.stepMs / 2, 'query').catch((error) => reportError('rules', '', error));
  }, history.options.stepMs);
  historyTimer.unref();
  const historySaveTimer = setInterval(
    () => void historySaver?.save(Date.now()),
    config.historySaveIntervalMs ?? ANALYZER_DEFAULTS.historySaveIntervalMs,
  );
  historySaveTimer.unref();
  const checkpointTimer = setInterval(
    () => void checkpointer?.checkpoint(),
    config.checkpointIntervalMs ?? ANALYZER_DEFAULTS.checkpointIntervalMs,
  );
  checkpointTimer.unref();
  // Discovery goes on in the background: the HTTP side answers meanwhile (50,000 files take a while).
  const ready = tailer.start();
  queue?.start();
  alerting?.start();
  ready.catch((error: unknown) => reportError('watch', config.watch.join(', '), error));

  let connections = () => 0;
  /** The address listened on (the Host check trusts fewer names on loopback); none yet: any. */
  let boundTo = '0.0.0.0';
  /** The port listened on (alerts' links without --external-url). */
  let boundPort = 0;
  return {
    store,
    pushed,
    queue,
    statsd,
    history,
    alerting,
    seriesSource,
    feed,
    selfRegistry,
    app,
    tailer,
    ready,
    resumed: saved !== null,
    checkpoint: () => checkpointer?.checkpoint() ?? Promise.resolve(),
    async reload(next) {
      await tailer?.setPatterns(next.watch);
      const format = compileAnyFormat(next.format);
      pool.setFormat(format.source);
      // Made with the [[files]] entries' label names, as at start (a family has one set of names).
      const names = families.extra.names;
      if (format.duration && !families.duration)
        families.duration = store.family(withFileLabels(LOG_FAMILIES.duration, names));
      if (format.upstream && !families.upstream)
        families.upstream = store.family(withFileLabels(LOG_FAMILIES.upstream, names));
      if (format.kind === 'app' && !families.app?.messages) {
        // The kept label values are learned again from the series: nothing is lost by a new one.
        const { rules = [], maxLabelValues = ANALYZER_DEFAULTS.maxLabelValues } = config;
        families.app = new AppFamilies(store, { messages: true, rules, maxLabelValues, fileLabelNames: names });
      }
      pushSource.setApiKeys(next.apiKeys);
      Object.assign(push, next.pushLimits); // the decoder and the pushed families read them per push
      scrape.reconfigure(next.scrape);
      history.options.maxSeries = next.historyMaxSeries;
      // A refused rule file refuses the reload (reload.ts says so); the running rules stay.
      if (alerting) alerting.reload(next.rules);
      else if (next.rules.length > 0) throw new Error('rules need a restart when the analyzer started without any');
    },
    async listen(port, host) {
      boundTo = host;
      await statsd?.start(host);
      return new Promise((resolve, reject) => {
        const limit = openFilesLimit();
        const http = createHttpServer({
          fetch: app.fetch,
          maxConnections: () =>
            connectionCap(
              config.maxConnections ?? ANALYZER_DEFAULTS.maxConnections,
              limit,
              tailer?.openDescriptors ?? 0,
            ),
          maxStreams: () => config.maxStreams ?? ANALYZER_DEFAULTS.maxStreams,
          slowReaderMs: config.slowReaderMs ?? ANALYZER_DEFAULTS.slowReaderMs,
          onEvicted: (reason) => selfMetrics.httpEvicted.inc({ reason }),
          web: config.web ?? undefined,
        });
        const s = http.server;
        server = s;
        connections = http.connections;
        s.once('error', reject);
        s.listen(port, host, () => {
          const address = s.address();
          const bound = typeof address === 'object' && address ? address.port : port;
          boundPort = bound;
          if (!push.enabled || push.otlpPort === null) return resolve(bound);
          // OTLP/HTTP alone on its own port (--otlp-port), for SDKs and collectors configured for 4318.
          const otlp = new Hono().use(logRequests).route('/', pushSource.otlpRoutes());
          const listener = getRequestListener(otlp.fetch);
          otlpServer = config.web ? config.web.createServer({}, listener) : createServer(listener);
          otlpServer.once('error', reject);
          otlpServer.listen(push.otlpPort, host, () => resolve(bound));
        });
      });
    },
    async stop() {
      alerting?.stop();
      clearInterval(rateTimer);
      clearInterval(historyTimer);
      clearInterval(historySaveTimer);
      feed.stop();
      clearInterval(checkpointTimer);
      await tailer?.stop();
      await queue?.stop();
      await scrape.stop();
      pushgateway?.stop();
      // What StatsD read is applied before the last checkpoint.
      await statsd?.close();
      await checkpointer?.checkpoint();
      await historySaver?.save(Date.now());
      await queue?.close();
      await pool.close();
      await pushSource.close();
      await decodePool.close();
      otlpServer?.close();
      otlpServer?.closeAllConnections();
      await new Promise<void>((resolve) => {
        if (!server) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await lock?.release();
    },
  };
}

/** The declared metrics as the push families they are: their exposed names (namespace, prefix, a counter's _total). */
function declaredInfos(custom: Partial<CustomMetrics>, push: PushConfig): FamilyInfo[] {
  const infos: FamilyInfo[] = [];
  const add = (names: readonly string[] | undefined, type: FamilyInfo['type'], key: string) => {
    for (const name of names ?? []) {
      const help = `Declared in the config ([metrics] ${key}); set by pushes.`;
      const exposed = exposedName({ name, type }, push.namespace, push.prefix);
      infos.push({ name: exposed, type, help, buckets: null, targets: null });
    }
  };
  add(custom.gauges, 'gauge', 'custom_gauges');
  add(custom.counters, 'counter', 'custom_counters');
  add(custom.histograms, 'histogram', 'custom_histograms');
  return infos;
}

/** The StatsD mapping file's rules, or null for none; an unreadable or refused file throws one line. */
function readMapping(file: string | null): Mapping | null {
  if (file === null) return null;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`--statsd-mapping-config: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  return parseMapping(text);
}
