// The command line's value parsers: every flag's text (and the same text from the environment or
// the config file) goes through one of these, so a value is checked the same way wherever it comes
// from. Each throws commander's InvalidArgumentError with what was expected.

import { InvalidArgumentError } from 'commander';
import { parseWebhook } from '../rules/webhook-config.js';
import type { WebhookConfig } from '../rules/webhook-groups.js';
import { CONSUMER_ID } from '../sources/queue/queue-plan.js';
import type { ScrapeTarget } from '../sources/scrape/scrape-source.js';
import { compileFormat, FormatError } from '../transforms/log/log-format.js';

export function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

export function format(value: string): string {
  try {
    return compileFormat(value).source;
  } catch (error) {
    throw new InvalidArgumentError(error instanceof FormatError ? error.message : String(error));
  }
}

/** "10m", "90s", "500ms", "2h", or a number of milliseconds. */
export function duration(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value);
  if (!m) throw new InvalidArgumentError('expected a duration such as 500ms, 90s, 10m or 2h');
  const scale = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * scale);
}

/** "1MiB", "512KiB", "1000000", "2MB" (powers of 1024). */
export function bytes(value: string): number {
  const m = /^\s*(\d+)\s*(B|K|KB|KiB|M|MB|MiB)?\s*$/i.exec(value);
  if (!m || Number(m[1]) < 1) throw new InvalidArgumentError('expected a size such as 1MiB, 512KiB or 65536');
  const unit = (m[2] ?? 'b').toLowerCase()[0] as 'b' | 'k' | 'm';
  return Number(m[1]) * { b: 1, k: 1024, m: 1024 * 1024 }[unit];
}

export function metricNamePart(what: string, start: boolean) {
  return (value: string): string => {
    if (value !== '' && !(start ? /^[a-zA-Z_:][a-zA-Z0-9_:]*$/ : /^[a-zA-Z0-9_:]+$/).test(value)) {
      throw new InvalidArgumentError(
        `a ${what} may hold only letters, digits, _ and :${start ? ', not starting with a digit' : ''}`,
      );
    }
    return value;
  };
}

/**
 * Why --push-namespace and --push-prefix together cannot start a metric name, or null: each is
 * checked alone, but a prefix `1x` with no namespace made every pushed name invalid (`1xfoo`).
 */
export function pushNameStartRefusal(namespace: string, prefix: string): string | null {
  if (namespace !== '' || prefix === '' || /^[a-zA-Z_:]/.test(prefix)) return null;
  return `--push-prefix: "${prefix}" cannot start a metric name (a digit) without --push-namespace`;
}

/** Collects --api-key values (checked in the action, so a bad key is never echoed back). */
export function collect(value: string, previous: string[] = []): string[] {
  // From the environment, several keys come comma-separated.
  return [...previous, ...value.split(',').filter(Boolean)];
}

export function redisUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('expected a URL such as redis://localhost:6379 or redis://host:6379/2');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new InvalidArgumentError('expected a redis:// or rediss:// URL');
  }
  if (!/^\/?(\d+)?$/.test(url.pathname))
    throw new InvalidArgumentError('the path of the URL must be a database number');
  return value;
}

export function consumerId(value: string): string {
  if (!CONSUMER_ID.test(value)) throw new InvalidArgumentError('letters, digits, ., _ and - only (at most 100)');
  return value;
}

/** Collects --scrape-target values: TYPE:NAME=URL. */
export function scrapeTarget(value: string, previous: ScrapeTarget[] = []): ScrapeTarget[] {
  const m = /^(prometheus|health|custom):([A-Za-z0-9_.-]{1,64})=(https?:\/\/\S+)$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('expected TYPE:NAME=URL, TYPE one of prometheus, health, custom');
  try {
    new URL(m[3] as string);
  } catch {
    throw new InvalidArgumentError(`${m[3]} is not a URL`);
  }
  if (previous.some((t) => t.name === m[2])) throw new InvalidArgumentError(`two targets are named ${m[2]}`);
  return [...previous, { type: m[1] as ScrapeTarget['type'], name: m[2] as string, url: m[3] as string }];
}

export function urlPath(value: string): string {
  if (!/^\/[A-Za-z0-9._~\-/]*$/.test(value) || value === '/') {
    throw new InvalidArgumentError('expected a path such as /metrics');
  }
  return value;
}

/** --alert-webhook NAME=URL, or a config file's [[alerts.webhooks]] table (as JSON): collected. */
export function webhook(value: string, previous: WebhookConfig[] = []): WebhookConfig[] {
  let parsed: WebhookConfig;
  try {
    parsed = parseWebhook(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  if (previous.some((w) => w.name === parsed.name))
    throw new InvalidArgumentError(`two webhooks are named ${parsed.name}`);
  return [...previous, parsed];
}

/** --alertmanager-url: an http(s) URL, collected. */
export function alertmanagerUrl(value: string, previous: string[] = []): string[] {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('expected a URL such as http://alertmanager:9093');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidArgumentError('expected an http:// or https:// URL');
  return [...previous, value];
}

/** --evaluation-interval: a duration of at least 100ms. */
export function evaluationInterval(value: string): number {
  const ms = duration(value);
  if (ms < 100) throw new InvalidArgumentError('expected at least 100ms');
  return ms;
}
