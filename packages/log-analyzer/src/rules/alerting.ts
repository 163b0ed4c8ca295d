// Alerting, wired: the rule files read (rule-files.ts) and compiled with rules/promql, the engine
// evaluating them over the store (through the analyzer's one StoreSource, whose rules' series
// are recorded before each turn), Alertmanager and the webhooks told, ALERTS and ALERTS_FOR_STATE and the
// notification counters registered, and the alert and webhook states handed to the checkpointer
// as two sources (`alerts`, `webhooks`). app.ts builds it when rules or receivers are configured.

import { Counter, Gauge, type Registry } from 'prom-client';
import { ALERT_METRICS, NOTIFICATION_RESULTS } from '../metrics/catalog.js';
import { nowMs, type Tracing } from '../metrics/tracing.js';
import type { Checkpointed } from '../store/checkpointer.js';
import { AlertmanagerNotifier } from './alertmanager-notifier.js';
import { type CompiledExpr, compileExpr } from './promql/compile.js';
import type { StoreSource } from './promql/store-source.js';
import { RuleEngine, restoreAlerts, type SeriesSample } from './rule-engine.js';
import { parseRuleFile, type RuleGroup } from './rule-file.js';
import { readRuleFiles } from './rule-files.js';
import type { WebhookConfig } from './webhook-groups.js';
import { restoreGroups, type SavedGroup, WebhookNotifier } from './webhook-notifier.js';

export interface AlertsConfig {
  /** Rule files or globs (Prometheus' format). */
  rules: readonly string[];
  /** How often a group without its own interval is evaluated. */
  evaluationIntervalMs: number;
  alertmanagerUrls: readonly string[];
  webhooks: readonly WebhookConfig[];
  /** The URL this analyzer is reached at (alerts' generatorURL, the webhooks' externalURL); null: http://HOST:PORT. */
  externalUrl: string | null;
}

export interface AlertingOptions {
  config: AlertsConfig;
  /** The rules, loaded (loadRules) before anything was opened: a refused file stops the start at once. */
  groups: RuleGroup<CompiledExpr>[];
  /** The longest range an expression may read (the history window). */
  windowMs: number;
  registry: Registry;
  /** What expressions read: the analyzer's one source (app.ts owns it; /api/v1/query reads it too). */
  source: StoreSource;
  /** Where a group's evaluation is recorded as a `rules.evaluate` span (null: tracing is off). */
  tracing?: Tracing | null;
  restored: { alerts?: unknown; webhooks?: unknown } | null;
  /** Takes a checkpoint soon (a webhook delivered: a restart must know it). */
  checkpoint(): void;
  externalUrl(): string;
  onError(subject: string, error: Error): void;
}

export type Alerting = ReturnType<typeof setUpAlerting>;

/** Every group of the files `patterns` name; throws one line on the first thing wrong. */
export function loadRules(patterns: readonly string[], windowMs: number): RuleGroup<CompiledExpr>[] {
  return readRuleFiles(patterns).flatMap(({ file, text }) =>
    parseRuleFile(text, file, (expr) => compileExpr(expr, { maxRangeMs: windowMs })),
  );
}

/** A custom collector: a family whose label names vary per sample (prom-client's gauges cannot). */
function collector(registry: Registry, spec: { name: string; help: string }, read: () => SeriesSample[]) {
  registry.registerMetric({
    name: spec.name,
    help: spec.help,
    get: async () => ({ name: spec.name, help: spec.help, type: 'gauge', aggregator: 'sum', values: read() }),
    reset: () => {},
  } as never);
}

export function setUpAlerting(options: AlertingOptions) {
  const { config, registry } = options;
  const { groups } = options;
  const registers = [registry];
  const notifications = new Counter({ ...ALERT_METRICS.notifications, labelNames: ['receiver', 'result'], registers });
  const evaluations = new Counter({ ...ALERT_METRICS.evaluations, labelNames: ['result'], registers });
  const receivers = ['alertmanager', ...config.webhooks.map((w) => w.name)];
  for (const receiver of config.alertmanagerUrls.length ? receivers : receivers.slice(1)) {
    for (const result of NOTIFICATION_RESULTS) notifications.inc({ receiver, result }, 0);
  }
  for (const result of ['success', 'failure']) evaluations.inc({ result }, 0);
  const schedule = (fn: () => void, ms: number) => {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  };
  const alertmanager = new AlertmanagerNotifier(
    config.alertmanagerUrls,
    (result, n) => notifications.inc({ receiver: 'alertmanager', result }, n),
    (error) => options.onError('alertmanager', error),
  );
  const savedWebhooks = (options.restored?.webhooks ?? {}) as Record<string, unknown>;
  const webhooks = config.webhooks.map(
    (webhook) =>
      new WebhookNotifier({
        config: webhook,
        now: Date.now,
        schedule,
        externalURL: options.externalUrl,
        onResult: (result) => notifications.inc({ receiver: webhook.name, result }),
        onDelivered: options.checkpoint,
        onError: (error) => options.onError(`webhook ${webhook.name}`, error),
        restored: restoreGroups(savedWebhooks[webhook.name]),
      }),
  );
  new Gauge({
    ...ALERT_METRICS.queue,
    labelNames: ['receiver'],
    registers,
    collect() {
      if (config.alertmanagerUrls.length) this.set({ receiver: 'alertmanager' }, alertmanager.queued);
      for (const w of webhooks) this.set({ receiver: w.name }, w.queued);
    },
  });
  const { source } = options;
  // The rules' view: what they read is recorded by their own turns, at their own cadence.
  const rules = source.reader('rules');
  const tracing = options.tracing ?? null;
  const engine = new RuleEngine<CompiledExpr>({
    evaluate: (expr, at) => {
      const result = expr.evaluate(rules, at);
      if (result.kind === 'scalar') throw new Error('the expression gives a scalar, not a vector');
      return result.samples;
    },
    intervalMs: config.evaluationIntervalMs,
    now: Date.now,
    schedule,
    externalURL: options.externalUrl,
    // Each turn records what the rules read (the warm-up after a restart counts on a point per
    // turn); a series the query route's step recorded within half an interval keeps that point.
    before: (now, intervalMs) => source.sample(now, intervalMs / 2, 'rules'),
    onGroupEvaluated: tracing
      ? (group, seconds, failed) => {
          const endMs = nowMs();
          const attributes = { group: group.name, file: group.file, rules: group.rules.length, failed };
          tracing.record({ name: 'rules.evaluate', startMs: endMs - seconds * 1000, endMs, attributes });
        }
      : undefined,
    onRuleEvaluated: (ok) => evaluations.inc({ result: ok ? 'success' : 'failure' }),
    onSend: (alerts) => alertmanager.send(alerts),
    onEvaluated: (alerts, now) => {
      for (const w of webhooks) w.update(alerts, now);
    },
    restored: restoreAlerts(options.restored?.alerts),
  });
  collector(registry, ALERT_METRICS.alerts, () => engine.series().alerts);
  collector(registry, ALERT_METRICS.forState, () => engine.series().forState);
  engine.load(groups);
  // The webhooks' notification logs, as one checkpointed source.
  const webhookState: Checkpointed<Record<string, SavedGroup[]>> = {
    name: 'webhooks',
    position: () => Object.fromEntries(webhooks.map((w) => [w.name, w.position()])),
    get positionVersion() {
      return webhooks.reduce((n, w) => n + w.positionVersion, 0);
    },
    durable: () => {},
  };
  return {
    engine,
    webhooks,
    source,
    /** The checkpointed sources: alert states and the webhooks' notification logs. */
    sources: [engine, webhookState] as Checkpointed<unknown>[],
    /** Reads the rule files again (a reload): unchanged rules keep their alerts; throws when one is refused. */
    reload(rules: readonly string[]): number {
      const next = loadRules(rules, options.windowMs);
      engine.load(next);
      return next.reduce((n, g) => n + g.rules.length, 0);
    },
    /** Starts the evaluations (once everything the series source reads exists). */
    start: () => engine.start(),
    ruleCount: () => engine.snapshot().reduce((n, g) => n + g.rules.length, 0),
    stop(): void {
      engine.stop();
      alertmanager.stop();
      for (const w of webhooks) w.stop();
    },
  };
}
