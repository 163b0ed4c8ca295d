// A webhook receiver's settings, from the config file's [[alerts.webhooks]] tables (handed over as
// JSON text, so one parser checks both) or from --alert-webhook NAME=URL (the defaults for the
// rest). Durations in Prometheus' form (30s, 5m, 4h). Pure; throws one line naming the key.
//
//   [[alerts.webhooks]]
//   name = "ops"                      # the receiver (payload `receiver`, the metrics' label)
//   url = "https://hooks.example/alertmanager"
//   group_by = ["alertname"]          # ["..."]: every label, one group per alert
//   group_wait = "30s"                # group_interval = "5m", repeat_interval = "4h"
//   send_resolved = true
//   bearer_token = "…"                # or basic_auth = { username = "u", password = "p" }
//   timeout = "10s"                   # retries = 3, backoff = "1s", queue_size = 100

import { parsePromDuration } from './go-format.js';
import type { WebhookConfig } from './webhook-groups.js';

export const WEBHOOK_DEFAULTS = {
  groupBy: ['alertname'],
  groupWaitMs: 30_000,
  groupIntervalMs: 300_000,
  repeatIntervalMs: 4 * 3_600_000,
  sendResolved: true,
  timeoutMs: 10_000,
  retries: 3,
  backoffMs: 1000,
  queueSize: 100,
} as const;

const KEYS = new Set([
  'name',
  'url',
  'group_by',
  'group_wait',
  'group_interval',
  'repeat_interval',
  'send_resolved',
  'bearer_token',
  'basic_auth',
  'timeout',
  'retries',
  'backoff',
  'queue_size',
]);

function httpUrl(text: unknown, what: string): string {
  try {
    const url = new URL(String(text));
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.href;
  } catch {}
  throw new Error(`${what}: expected an http:// or https:// URL`);
}

/** `name=url`, a bare URL (named `webhook`), or a JSON object of the TOML keys. */
export function parseWebhook(text: string): WebhookConfig {
  if (!text.trim().startsWith('{')) {
    const eq = text.indexOf('=');
    const named = eq > 0 && !text.slice(0, eq).includes(':');
    return webhookOf({ name: named ? text.slice(0, eq) : 'webhook', url: named ? text.slice(eq + 1) : text });
  }
  return webhookOf(JSON.parse(text));
}

function webhookOf(raw: Record<string, unknown>): WebhookConfig {
  const unknown = Object.keys(raw).find((k) => !KEYS.has(k));
  if (unknown) throw new Error(`unknown key ${unknown}`);
  const name = raw.name;
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
    throw new Error('name: expected a name of letters, digits, _ . - (at most 64)');
  }
  const duration = (key: string, fallback: number, min = 0): number => {
    const v = raw[key];
    if (v === undefined) return fallback;
    const ms = typeof v === 'string' ? parsePromDuration(v) : null;
    if (ms === null || ms < min) throw new Error(`${key}: expected a duration such as 30s or 5m`);
    return ms;
  };
  const count = (key: string, fallback: number, min: number, max: number): number => {
    const v = raw[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new Error(`${key}: expected a whole number from ${min} to ${max}`);
    }
    return v;
  };
  const groupBy = raw.group_by ?? WEBHOOK_DEFAULTS.groupBy;
  if (
    !Array.isArray(groupBy) ||
    !groupBy.every((l) => typeof l === 'string' && /^([a-zA-Z_][a-zA-Z0-9_]*|\.\.\.)$/.test(l))
  ) {
    throw new Error('group_by: expected a list of label names (or ["..."])');
  }
  const auth = raw.basic_auth as { username?: unknown; password?: unknown } | undefined;
  if (auth !== undefined && (typeof auth?.username !== 'string' || typeof auth.password !== 'string')) {
    throw new Error('basic_auth: expected { username, password }');
  }
  if (raw.bearer_token !== undefined && typeof raw.bearer_token !== 'string')
    throw new Error('bearer_token: expected a string');
  if (raw.bearer_token !== undefined && auth !== undefined)
    throw new Error('bearer_token and basic_auth: one or the other');
  if (raw.send_resolved !== undefined && typeof raw.send_resolved !== 'boolean') {
    throw new Error('send_resolved: expected true or false');
  }
  return {
    name,
    url: httpUrl(raw.url, 'url'),
    groupBy,
    groupWaitMs: duration('group_wait', WEBHOOK_DEFAULTS.groupWaitMs),
    groupIntervalMs: duration('group_interval', WEBHOOK_DEFAULTS.groupIntervalMs, 1),
    repeatIntervalMs: duration('repeat_interval', WEBHOOK_DEFAULTS.repeatIntervalMs, 1),
    sendResolved: (raw.send_resolved as boolean | undefined) ?? WEBHOOK_DEFAULTS.sendResolved,
    ...(raw.bearer_token !== undefined ? { bearerToken: raw.bearer_token as string } : {}),
    ...(auth ? { basicAuth: { username: auth.username as string, password: auth.password as string } } : {}),
    timeoutMs: duration('timeout', WEBHOOK_DEFAULTS.timeoutMs, 1),
    retries: count('retries', WEBHOOK_DEFAULTS.retries, 0, 20),
    backoffMs: duration('backoff', WEBHOOK_DEFAULTS.backoffMs, 1),
    queueSize: count('queue_size', WEBHOOK_DEFAULTS.queueSize, 1, 100_000),
  };
}
