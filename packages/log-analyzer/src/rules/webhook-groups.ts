// How a webhook receiver groups alerts and when a group is notified, as Alertmanager decides it
// for its own receivers: alerts grouped by `group_by`; a new group waits `group_wait`, then is
// looked at every `group_interval`, and notified when its firing alerts are new, when some
// resolved (send_resolved), when all resolved, or when `repeat_interval` passed since the last
// notification; and the Alertmanager webhook payload (version 4). Pure.

import { apiTime, type Labels } from './alert-labels.js';
import type { CurrentAlert } from './rule-engine.js';

export interface WebhookConfig {
  name: string;
  url: string;
  /** Label names the alerts are grouped by; ['...']: every label (one group per alert). */
  groupBy: readonly string[];
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  sendResolved: boolean;
  bearerToken?: string;
  basicAuth?: { username: string; password: string };
  timeoutMs: number;
  /** Tries after the first, each after a backoff that doubles from backoffMs. */
  retries: number;
  backoffMs: number;
  /** Notifications waiting to be delivered at most; a new one past that is dropped (counted). */
  queueSize: number;
}

/** What was last notified for a group (Alertmanager's notification log entry). Checkpointed. */
export interface NotifiedEntry {
  at: number;
  firing: string[];
  resolved: string[];
}

/** A group's labels: the alert's values of group_by (all of its labels for `...`). */
export function groupLabelsOf(labels: Labels, groupBy: readonly string[]): Record<string, string> {
  if (groupBy.includes('...')) return { ...labels };
  const out: Record<string, string> = {};
  for (const name of [...groupBy].sort()) if (labels[name] !== undefined) out[name] = labels[name] as string;
  return out;
}

/** Alertmanager's group key for the root route: `{}:{alertname="HighErrorRate"}`. */
export function groupKeyOf(groupLabels: Labels): string {
  const text = Object.keys(groupLabels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(groupLabels[k])}`)
    .join(', ');
  return `{}:{${text}}`;
}

const subset = (a: readonly string[], of: readonly string[]) => {
  const set = new Set(of);
  return a.every((x) => set.has(x));
};

/** Whether a group is notified now (Alertmanager's DedupStage.needsUpdate). */
export function needsUpdate(given: {
  entry: NotifiedEntry | null;
  firing: readonly string[];
  resolved: readonly string[];
  now: number;
  repeatIntervalMs: number;
  sendResolved: boolean;
}): boolean {
  const { entry, firing, resolved, now, repeatIntervalMs, sendResolved } = given;
  // Never notified: only when something fires (alerts that fired and resolved unseen are not news).
  if (!entry) return firing.length > 0;
  if (!subset(firing, entry.firing)) return true;
  // All resolved: said whatever send_resolved, so that the receiver's firing ones are cleared.
  if (firing.length === 0) return entry.firing.length > 0;
  if (sendResolved && !subset(resolved, entry.resolved)) return true;
  return entry.at + repeatIntervalMs <= now;
}

export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** Alertmanager's webhook body (version 4). */
export interface WebhookPayload {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: WebhookAlert[];
}

/** The labels (or annotations) every alert has with the same value. */
function common(maps: readonly Record<string, string>[]): Record<string, string> {
  const [first, ...rest] = maps;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(first ?? {})) if (rest.every((m) => m[k] === v)) out[k] = v;
  return out;
}

/** An engine alert as the payload lists it: firing ones with Go's zero endsAt, resolved ones with their end. */
export function webhookAlert(a: CurrentAlert): WebhookAlert {
  const firing = a.state === 'firing';
  return {
    status: firing ? 'firing' : 'resolved',
    labels: a.labels,
    annotations: a.annotations,
    startsAt: apiTime(a.firedAt || a.activeAt),
    endsAt: firing ? apiTime(0) : apiTime(a.resolvedAt),
    generatorURL: a.generatorURL,
    fingerprint: a.fingerprint,
  };
}

/** The body of one notification: send_resolved off leaves the resolved alerts out. */
export function payloadOf(given: {
  receiver: string;
  groupKey: string;
  groupLabels: Record<string, string>;
  alerts: readonly WebhookAlert[];
  externalURL: string;
}): WebhookPayload {
  const { alerts } = given;
  return {
    version: '4',
    groupKey: given.groupKey,
    truncatedAlerts: 0,
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver: given.receiver,
    groupLabels: given.groupLabels,
    commonLabels: common(alerts.map((a) => a.labels)),
    commonAnnotations: common(alerts.map((a) => a.annotations)),
    externalURL: given.externalURL,
    alerts: [...alerts],
  };
}

/** The wait before try `attempt` (1-based after the first): backoff doubled each time, at most 5 minutes. */
export function backoffMs(base: number, attempt: number): number {
  return Math.min(base * 2 ** (attempt - 1), 300_000);
}
