// Sends alerts straight to a webhook, for a host without Alertmanager: groups them and decides
// when (webhook-groups.ts), then delivers each notification from a bounded queue, one at a time,
// with a timeout and retries after a doubling backoff. Nothing here is awaited by the rule engine
// or by ingestion: a receiver that never answers fills the queue, and what does not fit is
// dropped and counted. A group's notification log (what was last said) is checkpointed, so a
// restart does not notify a firing alert again as new.

import type { CurrentAlert } from './rule-engine.js';
import {
  backoffMs,
  groupKeyOf,
  groupLabelsOf,
  type NotifiedEntry,
  needsUpdate,
  payloadOf,
  type WebhookConfig,
  type WebhookPayload,
  webhookAlert,
} from './webhook-groups.js';

export type NotificationResult = 'sent' | 'retried' | 'failed' | 'dropped';

interface Group {
  key: string;
  labels: Record<string, string>;
  nextFlushAt: number;
  entry: NotifiedEntry | null;
  alerts: CurrentAlert[];
  /** A notification of this group is queued or being delivered: no other until it is done. */
  inFlight: boolean;
}

/** A group as the checkpoint keeps it. */
export interface SavedGroup {
  key: string;
  labels: Record<string, string>;
  nextFlushAt: number;
  entry: NotifiedEntry | null;
}

export interface WebhookNotifierOptions {
  config: WebhookConfig;
  now(): number;
  schedule(fn: () => void, ms: number): () => void;
  externalURL(): string;
  /** Each delivery's outcome (log_analyzer_alert_notifications_total). */
  onResult(result: NotificationResult): void;
  /** A notification was delivered (the wiring checkpoints, so that a restart knows it was). */
  onDelivered?(): void;
  onError?(error: Error): void;
  restored?: readonly SavedGroup[];
}

/** POSTs a JSON body; resolves with null when the receiver took it (2xx), else why not. */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<string | null> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer().catch(() => {});
    return response.ok ? null : `HTTP ${response.status}`;
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    return e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message);
  }
}

export class WebhookNotifier {
  private readonly groups = new Map<string, Group>();
  private readonly queue: { group: Group; payload: WebhookPayload; firing: string[]; resolved: string[] }[] = [];
  private delivering = false;
  private cancel: (() => void) | null = null;
  private stopped = false;
  /** Until the engine's first evaluation, no group is looked at (a restored one would look all resolved). */
  private updated = false;
  positionVersion = 0;
  /** Groups looked at so far (tests wait on it: one more look and nothing new was said). */
  looks = 0;

  constructor(private readonly options: WebhookNotifierOptions) {
    for (const saved of options.restored ?? []) {
      this.groups.set(saved.key, { ...saved, alerts: [], inFlight: false });
    }
  }

  get name(): string {
    return this.options.config.name;
  }

  /** Notifications waiting (and the one being delivered). */
  get queued(): number {
    return this.queue.length;
  }

  /** The engine's alerts after an evaluation: pending ones are not news; firing and resolved ones are grouped. */
  update(alerts: readonly CurrentAlert[], now: number): void {
    const { groupBy, groupWaitMs } = this.options.config;
    this.updated = true;
    for (const g of this.groups.values()) g.alerts = [];
    for (const a of alerts) {
      if (a.state === 'pending') continue;
      const labels = groupLabelsOf(a.labels, groupBy);
      const key = groupKeyOf(labels);
      let group = this.groups.get(key);
      if (!group) {
        // A group starts with a firing alert; a resolve alone is not news to anyone.
        if (a.state !== 'firing') continue;
        group = { key, labels, nextFlushAt: now + groupWaitMs, entry: null, alerts: [], inFlight: false };
        this.groups.set(key, group);
        this.positionVersion++;
      }
      group.alerts.push(a);
    }
    this.tick(now);
  }

  /** Flushes every group that is due (the timer's turn; update calls it). */
  tick(now = this.options.now()): void {
    if (this.stopped || !this.updated) return;
    const { config } = this.options;
    for (const group of [...this.groups.values()]) {
      if (group.inFlight || group.nextFlushAt > now) continue;
      this.looks++;
      group.nextFlushAt = now + config.groupIntervalMs;
      const firingAlerts = group.alerts.filter((a) => a.state === 'firing');
      // A resolve already said is not said again (the engine keeps resolved alerts 15 minutes).
      const said = new Set(group.entry?.resolved ?? []);
      const resolvedAlerts = group.alerts.filter((a) => a.state === 'inactive' && !said.has(a.fingerprint));
      const firing = firingAlerts.map((a) => a.fingerprint).sort();
      const resolved = resolvedAlerts.map((a) => a.fingerprint).sort();
      const due = needsUpdate({
        entry: group.entry,
        firing,
        resolved,
        now,
        repeatIntervalMs: config.repeatIntervalMs,
        sendResolved: config.sendResolved,
      });
      if (due) {
        const listed = config.sendResolved ? [...firingAlerts, ...resolvedAlerts] : firingAlerts;
        const payload = payloadOf({
          receiver: config.name,
          groupKey: group.key,
          groupLabels: group.labels,
          alerts: listed.map(webhookAlert),
          externalURL: this.options.externalURL(),
        });
        if (listed.length === 0) this.delivered(group, firing, resolved, now);
        else this.enqueue({ group, payload, firing, resolved });
      } else if (firing.length === 0 && (group.entry?.firing.length ?? 0) === 0) {
        // Nothing fires and the receiver knows of nothing firing: the group is done.
        this.groups.delete(group.key);
        this.positionVersion++;
      }
    }
    this.reschedule();
  }

  private reschedule(): void {
    this.cancel?.();
    this.cancel = null;
    const waiting = [...this.groups.values()].filter((g) => !g.inFlight);
    if (waiting.length === 0 || this.stopped) return;
    const next = Math.min(...waiting.map((g) => g.nextFlushAt));
    this.cancel = this.options.schedule(() => this.tick(), Math.max(0, next - this.options.now()));
  }

  private enqueue(item: (typeof this.queue)[number]): void {
    if (this.queue.length >= this.options.config.queueSize) {
      this.options.onResult('dropped');
      return;
    }
    item.group.inFlight = true;
    this.queue.push(item);
    void this.deliver();
  }

  private delivered(group: Group, firing: string[], resolved: string[], at: number): void {
    group.entry = { at, firing, resolved: [...new Set([...(group.entry?.resolved ?? []), ...resolved])] };
    this.positionVersion++;
  }

  /** Delivers the queue's notifications in order, one at a time. */
  private async deliver(): Promise<void> {
    if (this.delivering) return;
    this.delivering = true;
    const { config } = this.options;
    const headers: Record<string, string> = {};
    if (config.bearerToken) headers.Authorization = `Bearer ${config.bearerToken}`;
    else if (config.basicAuth) {
      const { username, password } = config.basicAuth;
      headers.Authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    }
    try {
      for (let item = this.queue[0]; item && !this.stopped; item = this.queue[0]) {
        let why: string | null = null;
        for (let attempt = 0; attempt <= config.retries && !this.stopped; attempt++) {
          if (attempt > 0) {
            this.options.onResult('retried');
            await new Promise<void>((resolve) => {
              const cancel = this.options.schedule(resolve, backoffMs(config.backoffMs, attempt));
              this.stopWaits.add(() => {
                cancel();
                resolve();
              });
            });
          }
          why = await postJson(config.url, item.payload, headers, config.timeoutMs);
          if (why === null) break;
        }
        this.queue.shift();
        item.group.inFlight = false;
        if (why === null) {
          this.options.onResult('sent');
          this.delivered(item.group, item.firing, item.resolved, this.options.now());
          this.options.onDelivered?.();
        } else if (!this.stopped) {
          // Given up: the group is looked at again at its next interval, and notified then.
          this.options.onResult('failed');
          this.options.onError?.(new Error(`webhook ${config.name}: ${why}`));
        }
        this.reschedule();
      }
    } finally {
      this.delivering = false;
    }
  }

  private readonly stopWaits = new Set<() => void>();

  /** What the checkpoint keeps: every group's notification log. */
  position(): SavedGroup[] {
    return [...this.groups.values()].map(({ key, labels, nextFlushAt, entry }) => ({
      key,
      labels,
      nextFlushAt,
      entry,
    }));
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
    for (const stop of this.stopWaits) stop();
  }
}

/** Saved groups from a checkpoint, or none when they are not what this wrote (checked at the edge). */
export function restoreGroups(saved: unknown): SavedGroup[] {
  if (!Array.isArray(saved)) return [];
  const strings = (a: unknown) => Array.isArray(a) && a.every((s) => typeof s === 'string');
  return saved.filter(
    (g: SavedGroup) =>
      typeof g?.key === 'string' &&
      typeof g.labels === 'object' &&
      g.labels !== null &&
      Number.isFinite(g.nextFlushAt) &&
      (g.entry === null || (Number.isFinite(g.entry?.at) && strings(g.entry?.firing) && strings(g.entry?.resolved))),
  );
}
