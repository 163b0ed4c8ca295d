// The command line's value parsers: every flag's text (and the same text from the environment or
// the config file) goes through one of these, so a value is checked the same way wherever it comes
// from. Each throws commander's InvalidArgumentError with what was expected.

import { InvalidArgumentError } from 'commander';
import { RE2JS } from 're2js';
import { parseWebhook } from '../rules/webhook-config.js';
import type { WebhookConfig } from '../rules/webhook-groups.js';
import { CONSUMER_ID } from '../sources/queue/queue-plan.js';
import type { ScrapeTarget } from '../sources/scrape/scrape-source.js';
import { fileLabelsProblem } from '../store/log-families.js';
import { compileAnyFormat } from '../transforms/log/formats.js';
import { FormatError } from '../transforms/log/log-format.js';
import { parseRuleText, type Rule, RuleError } from '../transforms/log/rule-config.js';

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
    return compileAnyFormat(value).source;
  } catch (error) {
    throw new InvalidArgumentError(error instanceof FormatError ? error.message : String(error));
  }
}

/** Files read with a format of their own (counting.ts FileEntry). */
export interface FileFormat {
  watch: string[];
  format: string;
  /** Labels the files' log series carry (only in the JSON form: a PATTERN=FORMAT value has none). */
  labels?: Record<string, string>;
}

/**
 * `PATTERN=FORMAT` (the first `=` ends the pattern), or a config file's [[files]] entry as JSON
 * `{"watch":[…],"format":"…","labels":{"service":"web"}}` (labels only in this form: a format's text may
 * hold any character, so PATTERN=FORMAT has no room for them); repeated, the entries in order (the first whose pattern matches a file wins).
 */
export function fileFormat(value: string, previous: FileFormat[] = []): FileFormat[] {
  let entry: { watch?: unknown; format?: unknown; labels?: unknown };
  if (value.trim().startsWith('{')) {
    try {
      entry = JSON.parse(value);
    } catch {
      throw new InvalidArgumentError('expected PATTERN=FORMAT or a JSON {"watch": […], "format": "…"}');
    }
  } else {
    const at = value.indexOf('=');
    if (at <= 0) throw new InvalidArgumentError('expected PATTERN=FORMAT, as in /var/log/nginx/*.log=nginx_main');
    entry = { watch: [value.slice(0, at)], format: value.slice(at + 1) };
  }
  const { watch } = entry;
  if (!Array.isArray(watch) || watch.length === 0 || !watch.every((w) => typeof w === 'string' && w !== '')) {
    throw new InvalidArgumentError('expected the files to watch as a list of paths or globs');
  }
  if (typeof entry.format !== 'string') throw new InvalidArgumentError('expected a format');
  const { labels } = entry;
  if (labels === undefined) return [...previous, { watch, format: format(entry.format) }];
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels))
    throw new InvalidArgumentError('expected labels as an object {"name": "value"}');
  const problem = fileLabelsProblem(labels as Record<string, unknown>);
  if (problem) throw new InvalidArgumentError(`${watch.join(', ')}: ${problem}`);
  return [...previous, { watch, format: format(entry.format), labels: labels as Record<string, string> }];
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

/** The aggregations /metrics?aggregated=true may compute (export/export-query.ts AGGREGATION_TYPES). */
const AGGREGATIONS = ['avg', 'sum', 'min', 'max', 'count'];
/** --aggregation-types' default, one array: commander hands it to the parser as `previous` first, which must not add to it. */
export const DEFAULT_AGGREGATION_TYPES: readonly string[] = ['avg', 'sum', 'min', 'max'];

/** Collects --aggregation-types values (comma-separated too): each of avg, sum, min, max, count, once. */
export function aggregationTypes(value: string, previous?: readonly string[]): string[] {
  const out = previous === undefined || previous === DEFAULT_AGGREGATION_TYPES ? [] : [...previous];
  for (const type of value.split(',').map((t) => t.trim())) {
    if (!AGGREGATIONS.includes(type)) {
      throw new InvalidArgumentError(`expected aggregation types among ${AGGREGATIONS.join(', ')}`);
    }
    if (out.includes(type)) throw new InvalidArgumentError(`${type} is named twice`);
    out.push(type);
  }
  return out;
}

/** Collects declared custom metric names (--custom-gauge …, comma-separated too): Prometheus metric names, each once. */
export function customNames(value: string, previous: readonly string[] = []): string[] {
  const out = [...previous];
  for (const name of value.split(',').map((n) => n.trim())) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name) || name.length > 256) {
      throw new InvalidArgumentError(`${JSON.stringify(name.slice(0, 64))} is not a Prometheus metric name`);
    }
    if (out.includes(name)) throw new InvalidArgumentError(`${name} is declared twice`);
    out.push(name);
  }
  return out;
}

/** --environment: a name for /health and /api/status (ACCESS_ENV: local, staging, production, …). */
export function environmentName(value: string): string {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(value)) throw new InvalidArgumentError('1 to 64 letters, digits, _ . or -');
  return value;
}

/** The levels --log-level takes (pino's), quietest last. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Other services' names for them (.NET's Information/Warning/Critical/None, syslog's notice/err). */
const LEVEL_ALIASES: Record<string, LogLevel> = {
  verbose: 'trace',
  information: 'info',
  notice: 'info',
  warning: 'warn',
  err: 'error',
  critical: 'fatal',
  none: 'silent',
  off: 'silent',
};

/** A log level in pino's names or another service's, any case: `INFO`, `Warning`, `debug`. */
export function logLevel(value: string): LogLevel {
  const t = value.trim().toLowerCase();
  const level = (LOG_LEVELS as readonly string[]).includes(t) ? (t as LogLevel) : LEVEL_ALIASES[t];
  if (!level) throw new InvalidArgumentError(`expected a level: ${LOG_LEVELS.join(', ')}`);
  return level;
}

/** An http(s) URL (the tracing endpoint). */
export function httpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new InvalidArgumentError('expected an http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError('expected an http:// or https:// URL');
  }
  return value.trim();
}

/** A regular expression in RE2 syntax (what the parse threads run): refused here if it does not compile. */
export function re2Pattern(flag: string) {
  return (value: string): string => {
    try {
      RE2JS.compile(value);
    } catch (error) {
      throw new InvalidArgumentError(`${flag}: does not compile: ${(error as Error).message}`);
    }
    return value;
  };
}

/** Collects --log-rule values (each a JSON object, or a [[logs.rules]] table passed on as JSON), checked. */
export function logRule(value: string, previous: Rule[] = []): Rule[] {
  try {
    return parseRuleText(value, previous);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof RuleError ? error.message : String(error));
  }
}

/** Collects --route templates: each a path starting with /, placeholders as {name}. */
export function routeTemplate(value: string, previous: string[] = []): string[] {
  const templates = value
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  for (const t of templates) {
    if (!/^\/[^\s?#]*$/.test(t)) throw new InvalidArgumentError(`${t}: expected a path such as /users/{id}`);
  }
  return [...previous, ...templates];
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
