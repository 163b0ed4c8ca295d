// statsd_exporter's mapping file, its glob subset: YAML text → compiled rules (refusing, with the
// key named, what is not supported), and a StatsD name → the Prometheus name and labels. Pure.
//
//   defaults: { observer_type: histogram, histogram_options: { buckets: [0.01, 0.1, 1] } }
//   mappings:
//   - match: "test.dispatcher.*.*"
//     name: "dispatcher_events_total"
//     labels: { processor: "$1", outcome: "${2}" }

import { parse } from 'yaml';
import type { Target } from '../../metrics/catalog.js';
import { MIN_EPSILON } from '../../store/quantiles.js';
import type { StatsdType } from './line.js';

export type MetricClass = 'counter' | 'gauge' | 'observer';

export interface Rule {
  /** The glob's dot-separated parts; `*` matches one whole part. */
  parts: string[];
  matchType: MetricClass | null;
  drop: boolean;
  name: string;
  labels: [string, string][];
  help: string | null;
  observer: 'histogram' | 'summary';
  buckets: number[] | null;
  targets: Target[] | null;
  honorLabels: boolean;
  scale: number;
}

export interface Mapping {
  rules: Rule[];
  /** glob_disable_ordering: the most specific match wins (a literal part before a `*`, left to right). */
  unordered: boolean;
  observer: 'histogram' | 'summary';
  buckets: number[] | null;
  targets: Target[] | null;
}

/** What a mapping made of a name: dropped, or the (unescaped) name and labels, and how to observe. */
export type Mapped =
  | { drop: true }
  | ({ drop: false } & Pick<
      Rule,
      'name' | 'labels' | 'help' | 'observer' | 'buckets' | 'targets' | 'honorLabels' | 'scale'
    >);

/** statsd_exporter's patterns: a glob's parts, a name with $n references, a label name. */
const MATCH = /^(\*|[a-zA-Z_][a-zA-Z0-9_-]*)(\.\*|\.[a-zA-Z0-9_][a-zA-Z0-9_-]*)*$/;
const NAME = /^([a-zA-Z_]|\$\{?\d+\}?)([a-zA-Z0-9_]|\$\{?\d+\}?)*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const REFERENCE = /\$\{?(\d+)\}?/g;

const MAPPING_KEYS = new Set([
  'match',
  'name',
  'labels',
  'help',
  'match_type',
  'match_metric_type',
  'action',
  'observer_type',
  'timer_type',
  'histogram_options',
  'summary_options',
  'honor_labels',
  'scale',
]);
const DEFAULTS_KEYS = new Set([
  'observer_type',
  'timer_type',
  'match_type',
  'glob_disable_ordering',
  'histogram_options',
  'summary_options',
]);
/** Keys statsd_exporter reads that this does not, and why: refused rather than silently ignored. */
const UNSUPPORTED: Record<string, string> = {
  ttl: 'use --push-ttl (one TTL for every pushed series)',
  native_histogram_bucket_factor: 'native histograms are not served',
  native_histogram_max_buckets: 'native histograms are not served',
  max_age: "summaries keep the store's own sliding window",
  age_buckets: "summaries keep the store's own sliding window",
  buf_cap: "summaries keep the store's own sliding window",
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(where: string, message: string): never {
  throw new Error(`--statsd-mapping-config: ${where}: ${message}`);
}

function checkKeys(value: Record<string, unknown>, known: Set<string>, where: string): void {
  for (const key of Object.keys(value)) {
    if (UNSUPPORTED[key]) fail(`${where}.${key}`, `not supported (${UNSUPPORTED[key]})`);
    if (!known.has(key)) fail(`${where}.${key}`, 'unknown or unsupported key');
  }
}

function observerOf(raw: unknown, where: string): 'histogram' | 'summary' | null {
  if (raw === undefined || raw === null || raw === '') return null;
  if (raw === 'histogram' || raw === 'summary') return raw;
  return fail(where, 'must be histogram or summary');
}

function bucketsOf(raw: unknown, where: string): number[] | null {
  if (raw === undefined || raw === null) return null;
  if (!isObject(raw)) return fail(where, 'must be a map');
  checkKeys(raw, new Set(['buckets']), where);
  const buckets = raw.buckets;
  if (buckets === undefined) return null;
  if (
    !Array.isArray(buckets) ||
    buckets.length === 0 ||
    buckets.some((b, i) => typeof b !== 'number' || !Number.isFinite(b) || (i > 0 && b <= (buckets[i - 1] as number)))
  ) {
    return fail(`${where}.buckets`, 'must be finite numbers in ascending order');
  }
  return buckets as number[];
}

function targetsOf(raw: unknown, where: string): Target[] | null {
  if (raw === undefined || raw === null) return null;
  if (!isObject(raw)) return fail(where, 'must be a map');
  checkKeys(raw, new Set(['quantiles']), where);
  if (raw.quantiles === undefined) return null;
  if (!Array.isArray(raw.quantiles) || raw.quantiles.length === 0) return fail(`${where}.quantiles`, 'must be a list');
  return raw.quantiles.map((q, i) => {
    const at = `${where}.quantiles[${i}]`;
    if (!isObject(q)) return fail(at, 'must be {quantile, error}');
    checkKeys(q, new Set(['quantile', 'error']), at);
    const { quantile, error } = q;
    if (typeof quantile !== 'number' || !(quantile > 0 && quantile < 1)) return fail(at, 'quantile must be in (0, 1)');
    if (typeof error !== 'number' || !(error >= MIN_EPSILON && error < 1)) {
      return fail(at, `error must be in [${MIN_EPSILON}, 1)`);
    }
    return { quantile, epsilon: error };
  });
}

function matchTypeOf(raw: unknown, where: string): void {
  if (raw === undefined || raw === null || raw === '' || raw === 'glob') return;
  if (raw === 'regex') fail(where, 'regex is not supported (only glob: * for one dot-separated part)');
  fail(where, 'must be glob');
}

/** The largest $n a template refers to. */
function largestReference(text: string): number {
  let most = 0;
  for (const m of text.matchAll(REFERENCE)) most = Math.max(most, Number(m[1]));
  return most;
}

function ruleOf(raw: unknown, i: number, mapping: Omit<Mapping, 'rules'>): Rule {
  const where = `mappings[${i}]`;
  if (!isObject(raw)) return fail(where, 'must be a map');
  checkKeys(raw, MAPPING_KEYS, where);
  matchTypeOf(raw.match_type, `${where}.match_type`);
  const { match } = raw;
  if (typeof match !== 'string' || !MATCH.test(match)) {
    return fail(`${where}.match`, 'must be a glob of dot-separated parts, * for a whole part');
  }
  const parts = match.split('.');
  const stars = parts.filter((p) => p === '*').length;
  const action = raw.action ?? 'map';
  if (action !== 'map' && action !== 'drop') return fail(`${where}.action`, 'must be map or drop');
  const drop = action === 'drop';
  const name = raw.name ?? (drop ? 'dropped' : undefined);
  if (typeof name !== 'string' || !NAME.test(name)) {
    return fail(`${where}.name`, 'must be a metric name, $n for the n-th * (required)');
  }
  if (largestReference(name) > stars) return fail(`${where}.name`, `refers past the ${stars} * of the match`);
  const labels: [string, string][] = [];
  if (raw.labels !== undefined && raw.labels !== null) {
    if (!isObject(raw.labels)) return fail(`${where}.labels`, 'must be a map');
    for (const [k, v] of Object.entries(raw.labels)) {
      if (!LABEL.test(k) || k.startsWith('__')) return fail(`${where}.labels.${k}`, 'not a label name');
      if (typeof v !== 'string' && typeof v !== 'number') return fail(`${where}.labels.${k}`, 'must be a string');
      if (largestReference(String(v)) > stars) return fail(`${where}.labels.${k}`, `refers past the ${stars} *`);
      labels.push([k, String(v)]);
    }
  }
  const matchType = raw.match_metric_type ?? null;
  if (matchType !== null && matchType !== 'counter' && matchType !== 'gauge' && matchType !== 'observer') {
    return fail(`${where}.match_metric_type`, 'must be counter, gauge or observer');
  }
  if (raw.help !== undefined && typeof raw.help !== 'string') return fail(`${where}.help`, 'must be a string');
  if (raw.honor_labels !== undefined && typeof raw.honor_labels !== 'boolean') {
    return fail(`${where}.honor_labels`, 'must be true or false');
  }
  const scale = raw.scale ?? 1;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale === 0) {
    return fail(`${where}.scale`, 'must be a finite number other than 0');
  }
  const buckets = bucketsOf(raw.histogram_options, `${where}.histogram_options`);
  const targets = targetsOf(raw.summary_options, `${where}.summary_options`);
  const observer =
    observerOf(raw.observer_type, `${where}.observer_type`) ??
    observerOf(raw.timer_type, `${where}.timer_type`) ??
    mapping.observer;
  if (observer === 'histogram' && targets) return fail(`${where}.summary_options`, 'set for a histogram');
  if (observer === 'summary' && buckets) return fail(`${where}.histogram_options`, 'set for a summary');
  return {
    parts,
    matchType,
    drop,
    name,
    labels,
    help: (raw.help as string | undefined) ?? null,
    observer,
    buckets: buckets ?? mapping.buckets,
    targets: targets ?? mapping.targets,
    honorLabels: raw.honor_labels === true,
    scale,
  };
}

/** The file's text → its rules; throws an Error naming the first key it refuses. */
export function parseMapping(text: string): Mapping {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    return fail('not YAML', (error as Error).message.split('\n')[0] ?? '');
  }
  doc ??= {};
  if (!isObject(doc)) return fail('the file', 'must be a map with mappings (and defaults)');
  checkKeys(doc, new Set(['mappings', 'defaults']), 'the file');
  const defaults = doc.defaults ?? {};
  if (!isObject(defaults)) return fail('defaults', 'must be a map');
  checkKeys(defaults, DEFAULTS_KEYS, 'defaults');
  matchTypeOf(defaults.match_type, 'defaults.match_type');
  if (defaults.glob_disable_ordering !== undefined && typeof defaults.glob_disable_ordering !== 'boolean') {
    return fail('defaults.glob_disable_ordering', 'must be true or false');
  }
  const base: Omit<Mapping, 'rules'> = {
    unordered: defaults.glob_disable_ordering === true,
    observer:
      observerOf(defaults.observer_type, 'defaults.observer_type') ??
      observerOf(defaults.timer_type, 'defaults.timer_type') ??
      'histogram',
    buckets: bucketsOf(defaults.histogram_options, 'defaults.histogram_options'),
    targets: targetsOf(defaults.summary_options, 'defaults.summary_options'),
  };
  const mappings = doc.mappings ?? [];
  if (!Array.isArray(mappings)) return fail('mappings', 'must be a list');
  return { ...base, rules: mappings.map((m, i) => ruleOf(m, i, base)) };
}

const CLASS: Record<StatsdType, MetricClass> = {
  c: 'counter',
  g: 'gauge',
  ms: 'observer',
  h: 'observer',
  d: 'observer',
};

/** The captures of a rule's `*`s when it matches the name's parts, else null. */
function matchRule(rule: Rule, parts: readonly string[]): string[] | null {
  if (rule.parts.length !== parts.length) return null;
  const captures: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const want = rule.parts[i] as string;
    if (want === '*') captures.push(parts[i] as string);
    else if (want !== parts[i]) return null;
  }
  return captures;
}

/** Whether a's parts are more specific than b's: the first part where one is * and the other not. */
function moreSpecific(a: Rule, b: Rule): boolean {
  for (let i = 0; i < a.parts.length; i++) {
    const x = a.parts[i] === '*';
    const y = b.parts[i] === '*';
    if (x !== y) return y;
  }
  return false;
}

const expand = (template: string, captures: readonly string[]) =>
  template.replace(REFERENCE, (_, n: string) => captures[Number(n) - 1] ?? '');

/** A StatsD name and type → what the first matching rule (or the most specific) makes of it; null: none. */
export function mapName(mapping: Mapping, name: string, type: StatsdType): Mapped | null {
  const parts = name.split('.');
  const wanted = CLASS[type];
  let found: Rule | null = null;
  let captures: string[] | null = null;
  for (const rule of mapping.rules) {
    if (rule.matchType !== null && rule.matchType !== wanted) continue;
    if (found && !(mapping.unordered && moreSpecific(rule, found))) continue;
    const got = matchRule(rule, parts);
    if (!got) continue;
    found = rule;
    captures = got;
    if (!mapping.unordered) break;
  }
  if (!found || !captures) return null;
  if (found.drop) return { drop: true };
  const given = captures;
  return {
    drop: false,
    name: expand(found.name, given),
    labels: found.labels.map(([k, v]) => [k, expand(v, given)]),
    help: found.help,
    observer: found.observer,
    buckets: found.buckets,
    targets: found.targets,
    honorLabels: found.honorLabels,
    scale: found.scale,
  };
}
