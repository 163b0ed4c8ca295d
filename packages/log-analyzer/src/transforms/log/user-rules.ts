// User rules on the parse threads: compiled there from their JSON text (regular expressions on
// re2js, RE2's linear-time engine in pure JavaScript, so no rule and no line can hang a thread),
// run over a chunk's lines, and folded into one RuleCount per rule and label set. Label values
// leave here as the lines gave them (a `route` label made a route, route.ts); the store bounds
// how many distinct values it keeps (store/label-limits.ts). Pure.

import { RE2JS } from 're2js';
import type { RuleCount } from '../../store/chunk-summary.js';
import { type RouteTemplate, routeOf } from './route.js';
import type { Rule } from './rule-config.js';

const NEWLINE = 0x0a;
const CR = 0x0d;
/** Longest label value kept from a line, in characters (longer ones are cut): series stay small. */
export const MAX_LABEL_CHARS = 128;

interface Compiled {
  rule: Rule;
  regex: RE2JS | null;
  /** JSON rules: the field path, split. */
  path: string[] | null;
  labelPaths: string[][];
  valuePath: string[] | null;
}

export class RuleRunner {
  private readonly compiled: Compiled[];
  private readonly anyJson: boolean;

  /** `rules`: the rules that read this file; `ids`: each one's RuleCount.rule (its place in the whole list). */
  constructor(
    rules: readonly Rule[],
    private readonly ids: readonly number[],
    private readonly templates: readonly RouteTemplate[],
  ) {
    this.compiled = rules.map((rule) => ({
      rule,
      regex: rule.regex === null ? null : RE2JS.compile(rule.regex),
      path: rule.jsonPath === null ? null : rule.jsonPath.split('.'),
      labelPaths: rule.labelSources.map((p) => p.split('.')),
      valuePath: rule.value === null ? null : rule.value.split('.'),
    }));
    this.anyJson = this.compiled.some((c) => c.path !== null);
  }

  /** Runs every rule on every line of the chunk; lines longer than maxLineBytes are skipped. */
  run(chunk: Uint8Array, maxLineBytes: number): RuleCount[] {
    const counts = new Map<string, RuleCount>();
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    while (start < buf.length) {
      let nl = buf.indexOf(NEWLINE, start);
      if (nl < 0) nl = buf.length;
      let end = nl;
      if (end > start && buf[end - 1] === CR) end--;
      if (end - start <= maxLineBytes) this.line(buf.toString('utf8', start, end), counts);
      start = nl + 1;
    }
    return [...counts.values()];
  }

  private line(text: string, counts: Map<string, RuleCount>): void {
    let json: unknown;
    if (this.anyJson && text.charCodeAt(0) === 0x7b) {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined; // not JSON: JSON rules do not match it
      }
    }
    for (let i = 0; i < this.compiled.length; i++) {
      const c = this.compiled[i] as Compiled;
      let labels: string[];
      let value = Number.NaN;
      if (c.regex) {
        const m = c.regex.matcher(text);
        if (!m.find()) continue;
        labels = c.rule.labelSources.map((g) => m.group(g) ?? '');
        if (c.rule.value !== null) value = Number(m.group(c.rule.value));
      } else {
        const found = json === undefined ? undefined : at(json, c.path as string[]);
        if (found === undefined || found === null) continue;
        labels = c.labelPaths.map((p) => scalar(at(json, p)));
        if (c.rule.type === 'histogram') value = Number(c.valuePath ? at(json, c.valuePath) : found);
      }
      if (c.rule.type === 'histogram' && !Number.isFinite(value)) continue;
      for (let k = 0; k < labels.length; k++) {
        let v = labels[k] as string;
        if (c.rule.labels[k] === 'route') v = routeOf(v, this.templates);
        if (v.length > MAX_LABEL_CHARS) v = v.slice(0, MAX_LABEL_CHARS);
        labels[k] = v;
      }
      const key = `${i}\u0000${labels.join('\u0000')}`;
      let count = counts.get(key);
      if (!count) {
        count = { rule: this.ids[i] as number, labels, count: 0 };
        if (c.rule.type === 'histogram') {
          count.sum = 0;
          count.buckets = new Array<number>(c.rule.buckets.length + 1).fill(0);
        }
        counts.set(key, count);
      }
      count.count++;
      if (count.buckets) {
        count.sum = (count.sum as number) + value;
        let b = 0;
        while (b < c.rule.buckets.length && value > (c.rule.buckets[b] as number)) b++;
        count.buckets[b] = (count.buckets[b] as number) + 1;
      }
    }
  }
}

/** A field by dotted path (`http.status`); a key that itself holds a dot is tried whole first. */
function at(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (let i = 0; i < path.length; i++) {
    if (typeof v !== 'object' || v === null) return undefined;
    const o = v as Record<string, unknown>;
    const rest = path.slice(i).join('.');
    if (i < path.length - 1 && Object.hasOwn(o, rest)) return o[rest];
    v = o[path[i] as string];
  }
  return v;
}

/** A label value from a JSON field: strings as they are, numbers and booleans as written, else empty. */
function scalar(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '';
}
