// Reads a rule file in Prometheus' own format (what `promtool check rules` accepts):
//   groups:
//     - name: http
//       interval: 15s                   # optional: the evaluation interval otherwise
//       rules:
//         - alert: HighErrorRate
//           expr: sum(rate(http_requests_total{status=~"5.."}[1m])) / sum(rate(http_requests_total[1m])) > 0.05
//           for: 1m
//           keep_firing_for: 30s
//           labels: { severity: page }
//           annotations: { summary: "5xx ratio is {{ $value | humanizePercentage }}" }
// Every expression is compiled (by the compiler handed in) and every template too, at load:
// whatever is not supported is one line naming the file, its line, the group and the rule.
// Pure: the caller reads the file.

import { isMap, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { parsePromDuration } from './go-format.js';
import { compileTemplate, type Template } from './templates.js';

/** What a compiler says of an expression (rules/promql/compile.ts's shape). */
export type Compiled<E> = { ok: true; expr: E } | { ok: false; position: number; message: string };

/** A template and the text it came from (the rules API shows the text). */
export interface TemplateOf {
  text: string;
  render: Template;
}

export interface AlertRule<E> {
  name: string;
  exprText: string;
  expr: E;
  forMs: number;
  keepFiringForMs: number;
  labels: Record<string, TemplateOf>;
  annotations: Record<string, TemplateOf>;
  /**
   * What makes the rule the same rule across a reload or a restart: its file, group, name,
   * expression, for, keep_firing_for and labels. A rule whose key is unchanged keeps its alerts.
   */
  key: string;
}

export interface RuleGroup<E> {
  file: string;
  name: string;
  /** Its own `interval`, or null: the evaluation interval. */
  intervalMs: number | null;
  rules: AlertRule<E>[];
}

export class RuleFileError extends Error {}

/** A rule file larger than this is refused unread (a rule file is a few KiB). */
export const MAX_RULE_FILE_BYTES = 1024 * 1024;
/** Rules in one file at most. */
export const MAX_RULES = 1000;
/** Nesting of the YAML at most (a rule file needs 6). */
export const MAX_DEPTH = 16;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const GROUP_KEYS = new Set(['name', 'interval', 'rules']);
const RULE_KEYS = new Set(['alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations']);

function depthOf(node: unknown, depth = 0): number {
  if (depth > MAX_DEPTH) return depth;
  if (isMap(node)) return Math.max(depth + 1, ...node.items.map((pair) => depthOf(pair.value, depth + 1)));
  if (isSeq(node)) return Math.max(depth + 1, ...node.items.map((item) => depthOf(item, depth + 1)));
  return depth;
}

/** Reads one rule file's text; throws a RuleFileError of one line on the first thing wrong. */
export function parseRuleFile<E>(text: string, file: string, compile: (expr: string) => Compiled<E>): RuleGroup<E>[] {
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_RULE_FILE_BYTES) {
    throw new RuleFileError(`${file}: ${bytes} bytes, more than the ${MAX_RULE_FILE_BYTES} a rule file may hold`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const lineAt = (offset: number | undefined) => (offset === undefined ? 1 : lines.linePos(offset).line);
  const [yamlError] = doc.errors;
  if (yamlError) {
    throw new RuleFileError(`${file}:${lineAt(yamlError.pos[0])}: not YAML: ${yamlError.message.split('\n')[0]}`);
  }
  if (depthOf(doc.contents) > MAX_DEPTH) throw new RuleFileError(`${file}: nested deeper than ${MAX_DEPTH} levels`);
  const nodeLine = (path: (string | number)[]) => {
    const node = doc.getIn(path, true) as Node | undefined;
    return lineAt(node?.range?.[0]);
  };
  const fail = (path: (string | number)[], what: string): never => {
    throw new RuleFileError(`${file}:${nodeLine(path)}: ${what}`);
  };
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new RuleFileError(`${file}: ${(error as Error).message.split('\n')[0]}`);
  }
  if (root === null || root === undefined) return [];
  if (typeof root !== 'object' || Array.isArray(root)) fail([], 'expected a map with `groups`');
  const unknownTop = Object.keys(root as object).filter((k) => k !== 'groups');
  if (unknownTop.length) fail([unknownTop[0] as string], `unknown key ${JSON.stringify(unknownTop[0])}`);
  const groups = (root as { groups?: unknown }).groups ?? [];
  if (!Array.isArray(groups)) fail(['groups'], '`groups` is not a list');
  const names = new Set<string>();
  let count = 0;
  return (groups as unknown[]).map((g, gi) => {
    const at = ['groups', gi];
    if (typeof g !== 'object' || g === null || Array.isArray(g)) fail(at, `group ${gi + 1} is not a map`);
    const group = g as Record<string, unknown>;
    const unknown = Object.keys(group).find((k) => !GROUP_KEYS.has(k));
    if (typeof group.name !== 'string' || group.name === '') fail(at, `group ${gi + 1} has no name`);
    const name = group.name as string;
    const where = `group ${JSON.stringify(name)}`;
    if (unknown !== undefined) fail([...at, unknown], `${where}: unknown key ${JSON.stringify(unknown)}`);
    if (names.has(name)) fail(at, `${where} is repeated in the same file`);
    names.add(name);
    let intervalMs: number | null = null;
    if (group.interval !== undefined) {
      intervalMs = typeof group.interval === 'string' ? parsePromDuration(group.interval) : null;
      if (intervalMs === null || intervalMs === 0) {
        fail([...at, 'interval'], `${where}: interval ${JSON.stringify(group.interval)} is not a duration such as 15s`);
      }
    }
    const rules = group.rules ?? [];
    if (!Array.isArray(rules)) fail([...at, 'rules'], `${where}: rules is not a list`);
    count += (rules as unknown[]).length;
    if (count > MAX_RULES) fail([...at, 'rules'], `more than ${MAX_RULES} rules in one file`);
    return {
      file,
      name,
      intervalMs,
      rules: (rules as unknown[]).map((r, ri) => readRule(r, [...at, 'rules', ri], where, file, name, compile, fail)),
    };
  });
}

function readRule<E>(
  r: unknown,
  at: (string | number)[],
  groupWhere: string,
  file: string,
  group: string,
  compile: (expr: string) => Compiled<E>,
  fail: (path: (string | number)[], what: string) => never,
): AlertRule<E> {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return fail(at, `${groupWhere}: a rule is not a map`);
  const rule = r as Record<string, unknown>;
  if ('record' in rule) {
    return fail(
      at,
      `${groupWhere}, record ${JSON.stringify(rule.record)}: recording rules are not supported, only alert`,
    );
  }
  if (typeof rule.alert !== 'string' || !METRIC_NAME.test(rule.alert)) {
    return fail(at, `${groupWhere}: alert ${JSON.stringify(rule.alert ?? null)} is not a valid alert name`);
  }
  const name = rule.alert;
  const where = `${groupWhere}, alert ${JSON.stringify(name)}`;
  const unknown = Object.keys(rule).find((k) => !RULE_KEYS.has(k));
  if (unknown !== undefined) fail([...at, unknown], `${where}: unknown key ${JSON.stringify(unknown)}`);
  if (typeof rule.expr !== 'string' || rule.expr.trim() === '') fail(at, `${where}: no expr`);
  const exprText = (rule.expr as string).trim();
  const compiled = compile(exprText);
  if (!compiled.ok) {
    fail([...at, 'expr'], `${where}: expr at position ${compiled.position}: ${compiled.message}`);
    throw new Error('unreachable');
  }
  const duration = (key: 'for' | 'keep_firing_for'): number => {
    const v = rule[key];
    if (v === undefined) return 0;
    const ms = typeof v === 'string' ? parsePromDuration(v) : v === 0 ? 0 : null;
    if (ms === null) fail([...at, key], `${where}: ${key} ${JSON.stringify(v)} is not a duration such as 1m`);
    return ms as number;
  };
  const templates = (key: 'labels' | 'annotations'): Record<string, TemplateOf> => {
    const map = rule[key] ?? {};
    if (typeof map !== 'object' || map === null || Array.isArray(map))
      return fail([...at, key], `${where}: ${key} is not a map`);
    const out: Record<string, TemplateOf> = {};
    for (const [k, v] of Object.entries(map)) {
      if (!LABEL_NAME.test(k) || (key === 'labels' && (k === 'alertname' || k.startsWith('__')))) {
        fail([...at, key, k], `${where}: ${key} name ${JSON.stringify(k)} is not allowed`);
      }
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        fail([...at, key, k], `${where}: ${key}.${k} is not a string`);
      }
      const text = String(v);
      const compiledTemplate = compileTemplate(text);
      if (!compiledTemplate.ok) fail([...at, key, k], `${where}: ${key}.${k}: ${compiledTemplate.message}`);
      else out[k] = { text, render: compiledTemplate.render };
    }
    return out;
  };
  const forMs = duration('for');
  const keepFiringForMs = duration('keep_firing_for');
  const labels = templates('labels');
  const annotations = templates('annotations');
  const labelText = Object.entries(labels)
    .map(([k, v]) => `${k}=${v.text}`)
    .sort()
    .join('\u0000');
  return {
    name,
    exprText,
    expr: compiled.expr,
    forMs,
    keepFiringForMs,
    labels,
    annotations,
    key: [file, group, name, exprText, forMs, keepFiringForMs, labelText].join('\u0001'),
  };
}
