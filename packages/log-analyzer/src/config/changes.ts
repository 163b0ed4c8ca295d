// What `config print` and a reload say about settings, secrets never in clear (an API key is a
// count and `***`, a URL's password `***`), and the one reload that is refused for being weaker:
// from some API keys to none. Pure.

import type { WebhookConfig } from '../rules/webhook-groups.js';
import type { ApiKey } from '../sources/push/api-keys.js';
import { redactedUrl } from '../sources/queue/queue-plan.js';
import type { ScrapeTarget } from '../sources/scrape/scrape-source.js';
import { BY_OPTION } from './settings.js';

/** A setting's value with its secrets (settings.ts) replaced: keys by `***` (their tenants kept), URLs' passwords by `***`. */
export function redacted(option: string, value: unknown): unknown {
  if (value === undefined || value === null) return value;
  switch (BY_OPTION.get(option)?.secret) {
    case 'keys':
      return (value as string[]).map((k) => (k.includes(':') ? `***:${k.slice(k.indexOf(':') + 1)}` : '***'));
    case 'url':
      return redactedUrl(value as string);
    case 'targets':
      return (value as ScrapeTarget[]).map((t) => ({ ...t, url: redactedUrl(t.url) }));
    case 'webhooks':
      return (value as WebhookConfig[]).map((w) => ({
        ...w,
        url: redactedUrl(w.url),
        ...(w.bearerToken ? { bearerToken: '***' } : {}),
        ...(w.basicAuth ? { basicAuth: { username: w.basicAuth.username, password: '***' } } : {}),
      }));
    default:
      return value;
  }
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/**
 * Why a reload is refused for what it does to auth, or null: removing every API key opens push to
 * anyone (a half-written file can do it), so it needs --push-open; --metrics-auth needs a key.
 */
export function authRefusal(given: {
  keysBefore: number;
  keysAfter: number;
  pushOpen: boolean;
  metricsAuth: boolean;
}): string | null {
  const { keysBefore, keysAfter, pushOpen, metricsAuth } = given;
  if (keysAfter > 0) return null;
  if (metricsAuth) return '--metrics-auth needs at least one API key, and the new configuration has none';
  if (keysBefore > 0 && !pushOpen) {
    return (
      `the new configuration has no API key (the running one has ${plural(keysBefore, 'key')}), which would let ` +
      'anyone push: keep a key, or allow it with [push] allow_unauthenticated = true (--push-open)'
    );
  }
  return null;
}

/** Two key lists' difference, without a key: `2 keys → 3 keys`, `1 key (replaced)`, or null when the same. */
export function keysChange(before: readonly ApiKey[], after: readonly ApiKey[]): string | null {
  const text = (keys: readonly ApiKey[]) =>
    keys
      .map((k) => `${k.key}\u0000${k.tenant ?? ''}\u0000${k.role ?? ''}`)
      .sort()
      .join('\n');
  if (text(before) === text(after)) return null;
  if (before.length !== after.length) return `${plural(before.length, 'key')} → ${plural(after.length, 'key')}`;
  return `${plural(after.length, 'key')} (replaced)`;
}

const MAX_SHOWN = 80;
function shown(option: string, value: unknown): string {
  const text = JSON.stringify(redacted(option, value)) ?? 'unset';
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}

/**
 * A reload's one line: what changed in place, what waits for the next start, each `key old → new`
 * (named by its config key where it has one), secrets redacted, the API keys as counts.
 */
export function describeReload(given: {
  before: Readonly<Record<string, unknown>>;
  after: Readonly<Record<string, unknown>>;
  inPlace: ReadonlySet<string>;
  keyOf: (option: string) => string;
  keys: string | null;
}): string {
  const { before, after, inPlace, keyOf, keys } = given;
  const now: string[] = keys ? [`API keys ${keys}`] : [];
  const later: string[] = [];
  for (const option of [...new Set([...Object.keys(before), ...Object.keys(after)])]) {
    // The keys themselves are said as counts above.
    if (BY_OPTION.get(option)?.secret === 'keys' || JSON.stringify(before[option]) === JSON.stringify(after[option]))
      continue;
    const change = `${keyOf(option)} ${shown(option, before[option])} → ${shown(option, after[option])}`;
    (inPlace.has(option) ? now : later).push(change);
  }
  if (now.length === 0 && later.length === 0) return 'nothing changed';
  return [now.length ? `changed ${now.join(', ')}` : '', later.length ? `at the next start: ${later.join(', ')}` : '']
    .filter(Boolean)
    .join('; ');
}
