// Evaluates the alerting rules, group by group, each every `interval`, and owns every alert's
// state (alert-state.ts) between evaluations, across reloads (a rule whose key is unchanged
// keeps its alerts) and across restarts (the state is a checkpointed source: `position()`).
// It hands what is due to the notifiers (Alertmanager: Prometheus' resend rules; webhooks: the
// current alerts, grouped there) and what the APIs and /metrics show (ALERTS, ALERTS_FOR_STATE).
// Time and timers are handed in: tests tick it.

import { alertOf, fingerprint, generatorUrl, type Labels, sortedLabels } from './alert-labels.js';
import { type AlertState, needsSending, step, validUntil } from './alert-state.js';
import type { AlertRule, RuleGroup } from './rule-file.js';

/** An alert as Alertmanager's API v2 takes it (what Prometheus posts). */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
}

/** An alert instance: its labels, annotations and state. */
export interface AlertInstance extends AlertState {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** A current alert, for the webhooks and the APIs. */
export interface CurrentAlert extends AlertInstance {
  rule: string;
  fingerprint: string;
  generatorURL: string;
}

export interface RuleStatus {
  health: 'ok' | 'err' | 'unknown';
  lastError: string;
  lastEvaluation: number;
  evaluationSeconds: number;
}

interface LiveRule<E> {
  rule: AlertRule<E>;
  alerts: Map<string, AlertInstance>;
  status: RuleStatus;
  /**
   * Evaluations left during which an alert restored from the checkpoint that the expression does
   * not return is kept as it is: after a start, range selectors have no points yet (the source
   * records them from the first evaluation on), so "not returned" does not yet mean "resolved".
   */
  warmUp: number;
}

/** Evaluations after a start before a restored alert may resolve for want of data. */
export const WARM_UP_EVALUATIONS = 3;

interface LiveGroup<E> {
  group: RuleGroup<E>;
  intervalMs: number;
  rules: LiveRule<E>[];
  nextAt: number;
  lastEvaluation: number;
  evaluationSeconds: number;
}

export interface SeriesSample {
  labels: Record<string, string>;
  value: number;
}

/** What the checkpoint keeps: each rule's alerts, by rule key. */
export interface AlertsPosition {
  rules: Record<string, AlertInstance[]>;
}

export interface RuleEngineOptions<E> {
  /** The expression's samples at a time (a scalar or an error throws: the rule's health says it). */
  evaluate(expr: E, atMs: number): { labels: Labels; value: number }[];
  /** The evaluation interval of groups that set none. */
  intervalMs: number;
  now(): number;
  /** Runs `fn` after `ms` (a timer); returns how to cancel it. */
  schedule(fn: () => void, ms: number): () => void;
  externalURL(): string;
  externalLabels?: Labels;
  /** Alerts due to go to Alertmanager (firing ones again every minute; a resolve once). */
  onSend(alerts: PostableAlert[]): void;
  /** After every evaluation: every firing and recently resolved alert (the webhooks group them). */
  onEvaluated(alerts: CurrentAlert[], now: number): void;
  /** Before the groups due are evaluated (the series source records its points); the shortest interval due. */
  before?(now: number, intervalMs: number): Promise<void>;
  /** A group evaluated: how long it took and how many of its rules failed (a tracing span). */
  onGroupEvaluated?(group: RuleGroup<E>, seconds: number, failed: number): void;
  /** Each rule evaluated: whether it could be. */
  onRuleEvaluated?(ok: boolean): void;
  /** State restored from the checkpoint. */
  restored?: AlertsPosition | null;
}

export class RuleEngine<E> {
  private groups: LiveGroup<E>[] = [];
  private cancel: (() => void) | null = null;
  private ticking = false;
  /** Timers only once started (the wiring starts it when everything it reads exists). */
  private started = false;
  private restored: Map<string, AlertInstance[]>;
  /** Moves when an alert's state changes (the checkpointer writes then). */
  positionVersion = 0;
  readonly name = 'alerts';

  constructor(private readonly options: RuleEngineOptions<E>) {
    this.restored = new Map(Object.entries(options.restored?.rules ?? {}));
  }

  /** Replaces the rules: a rule whose key is unchanged keeps its alerts and health; a group keeps its schedule. */
  load(groups: readonly RuleGroup<E>[]): void {
    const now = this.options.now();
    const old = new Map(this.groups.flatMap((g) => g.rules.map((r) => [r.rule.key, r] as const)));
    const oldGroups = new Map(this.groups.map((g) => [`${g.group.file}\u0000${g.group.name}`, g]));
    this.groups = groups.map((group) => {
      const intervalMs = group.intervalMs ?? this.options.intervalMs;
      const before = oldGroups.get(`${group.file}\u0000${group.name}`);
      return {
        group,
        intervalMs,
        nextAt: before && before.intervalMs === intervalMs ? before.nextAt : now,
        lastEvaluation: before?.lastEvaluation ?? 0,
        evaluationSeconds: before?.evaluationSeconds ?? 0,
        rules: group.rules.map((rule) => {
          const kept = old.get(rule.key);
          if (kept) return { ...kept, rule };
          const saved = this.restored.get(rule.key) ?? [];
          return {
            rule,
            alerts: new Map(saved.map((a) => [fingerprint(a.labels), a])),
            status: { health: 'unknown', lastError: '', lastEvaluation: 0, evaluationSeconds: 0 },
            warmUp: saved.length > 0 ? WARM_UP_EVALUATIONS : 0,
          };
        }),
      };
    });
    // What the checkpoint held is taken once: a rule removed and added again later starts afresh.
    this.restored.clear();
    this.positionVersion++;
    this.reschedule();
  }

  /**
   * Evaluates every group that is due at `now` (the timer's turn; tests call it), after `before`
   * (the source records its points). One turn at a time.
   */
  async tick(now = this.options.now()): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const due = this.groups.filter((g) => g.nextAt <= now);
      if (due.length > 0) await this.options.before?.(now, Math.min(...due.map((g) => g.intervalMs)));
      for (const g of due) {
        this.evaluateGroup(g, now);
        // The next turn on the group's own beat; a late turn does not make up the ones missed.
        g.nextAt += g.intervalMs;
        if (g.nextAt <= now) g.nextAt = now + g.intervalMs;
      }
    } finally {
      this.ticking = false;
    }
    this.reschedule();
  }

  /** Evaluates on the groups' timers from now on. */
  start(): void {
    this.started = true;
    this.reschedule();
  }

  private reschedule(): void {
    this.cancel?.();
    this.cancel = null;
    if (this.groups.length === 0 || !this.started) return;
    const next = Math.min(...this.groups.map((g) => g.nextAt));
    this.cancel = this.options.schedule(() => void this.tick(), Math.max(0, next - this.options.now()));
  }

  stop(): void {
    this.started = false;
    this.cancel?.();
    this.cancel = null;
  }

  private evaluateGroup(g: LiveGroup<E>, now: number): void {
    const started = performance.now();
    const external = { externalLabels: this.options.externalLabels ?? {}, externalURL: this.options.externalURL() };
    const due: PostableAlert[] = [];
    let failed = 0;
    for (const live of g.rules) {
      const ruleStarted = performance.now();
      let seen: Map<string, { labels: Record<string, string>; annotations: Record<string, string>; value: number }>;
      try {
        seen = new Map();
        for (const sample of this.options.evaluate(live.rule.expr, now)) {
          const made = alertOf(live.rule, sample, external);
          const key = fingerprint(made.labels);
          if (seen.has(key))
            throw new Error('vector contains metrics with the same labelset after applying alert labels');
          seen.set(key, { ...made, value: sample.value });
        }
        live.status.health = 'ok';
        live.status.lastError = '';
      } catch (error) {
        // Prometheus keeps the alerts as they are when an evaluation fails.
        live.status.health = 'err';
        live.status.lastError = (error as Error).message;
        live.status.lastEvaluation = now;
        this.options.onRuleEvaluated?.(false);
        failed++;
        continue;
      }
      const warming = live.warmUp > 0;
      if (warming) live.warmUp--;
      for (const key of new Set([...live.alerts.keys(), ...seen.keys()])) {
        const previous = live.alerts.get(key);
        const sample = seen.get(key);
        if (warming && !sample) continue;
        const next = step({
          previous,
          seen: sample ? { value: sample.value } : null,
          now,
          forMs: live.rule.forMs,
          keepFiringForMs: live.rule.keepFiringForMs,
        });
        if (next === null) {
          live.alerts.delete(key);
          this.positionVersion++;
          continue;
        }
        if (previous?.state !== next.state) this.positionVersion++;
        const labels = sample?.labels ?? previous?.labels ?? {};
        const annotations = sample?.annotations ?? previous?.annotations ?? {};
        const instance: AlertInstance = { ...next, labels, annotations };
        if (needsSending(instance, now)) {
          instance.lastSentAt = now;
          this.positionVersion++;
          due.push({
            labels,
            annotations,
            startsAt: new Date(instance.firedAt).toISOString(),
            endsAt: new Date(instance.resolvedAt || validUntil(now, g.intervalMs)).toISOString(),
            generatorURL: generatorUrl(external.externalURL, live.rule.exprText),
          });
        }
        live.alerts.set(key, instance);
      }
      this.options.onRuleEvaluated?.(true);
      live.status.lastEvaluation = now;
      live.status.evaluationSeconds = (performance.now() - ruleStarted) / 1000;
    }
    g.lastEvaluation = now;
    g.evaluationSeconds = (performance.now() - started) / 1000;
    this.options.onGroupEvaluated?.(g.group, g.evaluationSeconds, failed);
    if (due.length) this.options.onSend(due);
    this.options.onEvaluated(this.current(), now);
  }

  /** Every alert known now (pending, firing, and resolved within 15 minutes). */
  current(): CurrentAlert[] {
    const url = this.options.externalURL();
    return this.groups.flatMap((g) =>
      g.rules.flatMap((live) =>
        [...live.alerts].map(([fp, a]) => ({
          ...a,
          rule: live.rule.name,
          fingerprint: fp,
          generatorURL: generatorUrl(url, live.rule.exprText),
        })),
      ),
    );
  }

  /** The groups, their rules, and each rule's alerts and health (the rules API). */
  snapshot() {
    return this.groups.map((g) => ({
      file: g.group.file,
      name: g.group.name,
      intervalMs: g.intervalMs,
      lastEvaluation: g.lastEvaluation,
      evaluationSeconds: g.evaluationSeconds,
      rules: g.rules.map((live) => ({
        rule: live.rule,
        status: { ...live.status },
        alerts: [...live.alerts.values()],
      })),
    }));
  }

  /** ALERTS and ALERTS_FOR_STATE, as Prometheus writes them for its own rules. */
  series(): { alerts: SeriesSample[]; forState: SeriesSample[] } {
    const alerts: SeriesSample[] = [];
    const forState: SeriesSample[] = [];
    for (const g of this.groups) {
      for (const live of g.rules) {
        for (const a of live.alerts.values()) {
          if (a.state === 'inactive') continue;
          alerts.push({ labels: sortedLabels({ ...a.labels, alertstate: a.state }), value: 1 });
          forState.push({ labels: sortedLabels(a.labels), value: a.activeAt / 1000 });
        }
      }
    }
    return { alerts, forState };
  }

  /** The checkpoint's part: every rule's alerts. */
  position(): AlertsPosition {
    const rules: Record<string, AlertInstance[]> = {};
    for (const g of this.groups) for (const live of g.rules) rules[live.rule.key] = [...live.alerts.values()];
    return { rules };
  }

  durable(): void {}
}

/** What a checkpoint's `alerts` part restores, or null when it is not one (checked at the edge). */
export function restoreAlerts(saved: unknown): AlertsPosition | null {
  const rules = (saved as AlertsPosition | undefined)?.rules;
  if (typeof rules !== 'object' || rules === null) return null;
  const strings = (m: unknown) =>
    typeof m === 'object' && m !== null && Object.values(m).every((v) => typeof v === 'string');
  const out: Record<string, AlertInstance[]> = {};
  for (const [key, alerts] of Object.entries(rules)) {
    if (!Array.isArray(alerts)) continue;
    out[key] = alerts
      .filter(
        (a: AlertInstance) =>
          ['pending', 'firing', 'inactive'].includes(a?.state) &&
          strings(a.labels) &&
          strings(a.annotations) &&
          [a.activeAt, a.firedAt, a.resolvedAt, a.lastSentAt, a.keepFiringSince].every(Number.isFinite) &&
          (typeof a.value === 'number' || a.value === null),
      )
      .map((a) => ({ ...a, value: a.value ?? Number.NaN }));
  }
  return { rules: out };
}
