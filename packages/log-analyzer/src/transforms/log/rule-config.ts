// User rules (log rules): what one is, and the check that refuses a bad one at load, naming it.
// A rule is plain data (it crosses to the parse workers as JSON text and is compiled there,
// user-rules.ts). Pure. Config-file shape (README "User rules"):
//   [[logs.rules]]
//   name = "checkout_failures_total"        # the metric; a counter's name ends in _total
//   regex = 'checkout failed region=(?P<region>\w+)'   # RE2 syntax, named groups become labels
//   files = ["*/app*.log"]                  # optional globs on the file's path
//   [[logs.rules]]
//   name = "upstream_seconds"
//   type = "histogram"
//   json_path = "upstream.seconds"          # a JSON line's field (dotted path); its number is observed
//   labels = { route = "http.path" }        # JSON rules: label = field path
//   buckets = [0.1, 0.5, 1, 5]

import { RE2JS } from 're2js';
import { DURATION_BUCKETS, isReservedName } from '../../metrics/catalog.js';

export interface Rule {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  /** Globs on the followed path (`*` within a segment, `**` across); empty: every file. */
  files: string[];
  /** RE2 syntax; `(?P<name>…)` or `(?<name>…)` groups. Exactly one of regex and jsonPath. */
  regex: string | null;
  jsonPath: string | null;
  /** Label names, in order. */
  labels: string[];
  /** Per label: the group (regex rules) or field path (JSON rules) it is taken from. */
  labelSources: string[];
  /** Histograms: the group or field path holding the observed number. */
  value: string | null;
  buckets: number[];
}

export class RuleError extends Error {}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const KEYS = new Set(['name', 'help', 'type', 'files', 'regex', 'json_path', 'labels', 'value', 'buckets']);

/** Checks one rule as written (TOML table or --log-rule JSON); throws a RuleError naming it. */
export function parseRule(raw: unknown, taken: readonly Rule[] = []): Rule {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new RuleError('a rule must be a table');
  const r = raw as Record<string, unknown>;
  const name = typeof r.name === 'string' ? r.name : null;
  const fail = (why: string): never => {
    throw new RuleError(`rule ${name ?? `#${taken.length + 1}`}: ${why}`);
  };
  if (name === null) fail('needs a name (the metric name)');
  const unknown = Object.keys(r).filter((k) => !KEYS.has(k));
  if (unknown.length > 0) fail(`unknown key ${unknown.join(', ')}`);
  const type = (r.type ?? 'counter') as Rule['type'];
  if (type !== 'counter' && type !== 'histogram') fail('type must be "counter" or "histogram"');
  const metric = name as string;
  if (!METRIC_NAME.test(metric)) fail('the name is not a Prometheus metric name (letters, digits, _ and :)');
  if (type === 'counter' && !metric.endsWith('_total')) fail("a counter's name must end in _total");
  if (type === 'histogram' && /_(total|bucket|count|sum)$/.test(metric)) {
    fail("a histogram's name must not end in _total, _bucket, _count or _sum");
  }
  if (isReservedName(metric)) fail('the name is one of the analyzer’s own');
  if (taken.some((t) => t.name === metric)) fail('two rules have this name');
  if (r.help !== undefined && typeof r.help !== 'string') fail('help must be a string');
  const files = r.files === undefined ? [] : typeof r.files === 'string' ? [r.files] : r.files;
  if (!Array.isArray(files) || files.some((f) => typeof f !== 'string')) fail('files must be a glob or a list of them');
  const regex = typeof r.regex === 'string' ? r.regex : null;
  const jsonPath = typeof r.json_path === 'string' ? r.json_path : null;
  if ((regex === null) === (jsonPath === null)) fail('needs exactly one of regex and json_path');
  if (r.value !== undefined && typeof r.value !== 'string') fail('value must be a group name or a field path');
  const value = (r.value as string | undefined) ?? null;

  let labels: string[];
  let labelSources: string[];
  if (regex !== null) {
    let groups: string[];
    try {
      groups = Object.keys(RE2JS.compile(regex).namedGroups());
    } catch (error) {
      return fail(`the regex does not compile: ${(error as Error).message}`);
    }
    if (r.labels !== undefined && (!Array.isArray(r.labels) || r.labels.some((l) => typeof l !== 'string'))) {
      fail('labels must be a list of the regex’s group names');
    }
    labels = (r.labels as string[] | undefined) ?? groups.filter((g) => g !== value);
    for (const l of labels) if (!groups.includes(l)) fail(`label ${l} is not a named group of the regex`);
    if (value !== null && !groups.includes(value)) fail(`value ${value} is not a named group of the regex`);
    labelSources = labels;
  } else {
    const table = r.labels ?? {};
    if (typeof table !== 'object' || table === null || Array.isArray(table)) {
      fail('labels of a json_path rule must be a table: label = "field.path"');
    }
    const entries = Object.entries(table as Record<string, unknown>);
    if (entries.some(([, v]) => typeof v !== 'string')) fail('each label of a json_path rule is a field path');
    labels = entries.map(([k]) => k);
    labelSources = entries.map(([, v]) => v as string);
  }
  for (const l of labels) {
    if (!LABEL_NAME.test(l) || l.startsWith('__')) fail(`${l} is not a Prometheus label name`);
    if (type === 'histogram' && l === 'le') fail('a histogram cannot have a label named le');
  }
  if (new Set(labels).size !== labels.length) fail('a label is named twice');
  if (type === 'histogram' && value === null && regex !== null) fail('a histogram needs value: the group to observe');

  const buckets = r.buckets ?? (type === 'histogram' ? [...DURATION_BUCKETS] : []);
  if (type === 'counter' && r.buckets !== undefined) fail('buckets are for histograms');
  if (
    !Array.isArray(buckets) ||
    buckets.some((b, i) => typeof b !== 'number' || !Number.isFinite(b) || (i > 0 && b <= (buckets[i - 1] as number)))
  ) {
    fail('buckets must be finite numbers in increasing order');
  }
  return {
    name: metric,
    help: (r.help as string | undefined) ?? `Lines matched by the log rule ${metric}.`,
    type,
    files: files as string[],
    regex,
    jsonPath,
    labels,
    labelSources,
    value,
    buckets: buckets as number[],
  };
}

/** A rule's text (a --log-rule value, or one TOML table as JSON): parsed, checked, added to the list so far. */
export function parseRuleText(text: string, previous: readonly Rule[] = []): Rule[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new RuleError(`rule #${previous.length + 1}: not a JSON object: ${text.slice(0, 60)}`);
  }
  return [...previous, parseRule(raw, previous)];
}

/** Whether a rule reads a file: its globs (none: every file). `*` stays within a path segment. */
export function ruleReads(rule: Pick<Rule, 'files'>, file: string): boolean {
  return rule.files.length === 0 || rule.files.some((glob) => globRegex(glob).test(file));
}

const globs = new Map<string, RegExp>();

function globRegex(glob: string): RegExp {
  let re = globs.get(glob);
  if (!re) {
    const body = glob
      .split('**')
      .map((part) =>
        part
          .replace(/[.+^${}()|\\]/g, '\\$&')
          .replace(/\*/g, '[^/]*')
          .replace(/\?/g, '[^/]'),
      )
      .join('.*');
    // A glob without a slash matches the file's name anywhere, as a shell pattern on the base name would.
    re = new RegExp(glob.includes('/') ? `^${body}$` : `(^|/)${body}$`);
    globs.set(glob, re);
  }
  return re;
}
