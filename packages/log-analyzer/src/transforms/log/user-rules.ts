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
  /** Bytes every matching line holds (a regex's literal, a JSON rule's quoted key): other lines are skipped undecoded. */
  needle: Buffer | null;
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
      needle: needleOf(rule),
      regex: rule.regex === null ? null : RE2JS.compile(rule.regex),
      path: rule.jsonPath === null ? null : rule.jsonPath.split('.'),
      labelPaths: rule.labelSources.map((p) => p.split('.')),
      valuePath: rule.value === null ? null : rule.value.split('.'),
    }));
    this.anyJson = this.compiled.some((c) => c.path !== null);
  }

  /**
   * Runs every rule on every line of the chunk; lines longer than maxLineBytes are skipped. A rule
   * with a needle looks for it in the chunk (natively, Buffer#indexOf) and tries only the lines
   * that hold it, so a rule costs in proportion to the lines that may match, not to all lines.
   * When every rule has a needle, the lines between needles are never split: the scan jumps from
   * the nearest needle back to its line's start (lastIndexOf) and on to its end.
   */
  run(chunk: Uint8Array, maxLineBytes: number): RuleCount[] {
    const counts = new Map<string, RuleCount>();
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const { compiled } = this;
    // Per rule: where its needle next occurs (-1: nowhere further; -2: no needle, every line).
    const next = compiled.map((c) => (c.needle ? buf.indexOf(c.needle) : -2));
    const everyLine = next.includes(-2);
    const due: number[] = [];
    let start = 0;
    while (start < buf.length) {
      if (!everyLine) {
        // Only lines holding a needle can match: go straight to the nearest one's line.
        const nearest = this.nearestNeedle(buf, next, start);
        if (nearest < 0) break;
        start = buf.lastIndexOf(NEWLINE, nearest) + 1;
      }
      let nl = buf.indexOf(NEWLINE, start);
      if (nl < 0) nl = buf.length;
      due.length = 0;
      for (let i = 0; i < compiled.length; i++) {
        let at = next[i] as number;
        if (at === -2) {
          due.push(i);
          continue;
        }
        if (at >= 0 && at < start) at = next[i] = buf.indexOf((compiled[i] as Compiled).needle as Buffer, start);
        if (at >= 0 && at < nl) due.push(i);
      }
      let end = nl;
      if (end > start && buf[end - 1] === CR) end--;
      if (due.length > 0 && end - start <= maxLineBytes) this.line(buf.toString('utf8', start, end), due, counts);
      start = nl + 1;
    }
    return [...counts.values()];
  }

  /** Moves every needle position behind `from` on to its next occurrence; the smallest, or -1. */
  private nearestNeedle(buf: Buffer, next: number[], from: number): number {
    let nearest = -1;
    for (let i = 0; i < next.length; i++) {
      let at = next[i] as number;
      if (at >= 0 && at < from) at = next[i] = buf.indexOf((this.compiled[i] as Compiled).needle as Buffer, from);
      if (at >= 0 && (nearest < 0 || at < nearest)) nearest = at;
    }
    return nearest;
  }

  private line(text: string, due: readonly number[], counts: Map<string, RuleCount>): void {
    let json: unknown;
    if (this.anyJson && text.charCodeAt(0) === 0x7b) {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined; // not JSON: JSON rules do not match it
      }
    }
    for (const i of due) {
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

/** The needle of a rule: a JSON rule's last key, quoted; a regex's longest required literal (requiredLiteral). */
function needleOf(rule: Rule): Buffer | null {
  if (rule.jsonPath !== null) return Buffer.from(`"${rule.jsonPath.split('.').at(-1)}"`);
  const literal = rule.regex === null ? null : requiredLiteral(rule.regex);
  return literal === null ? null : Buffer.from(literal);
}

/**
 * The longest run of plain characters (3 or more) that every match of `regex` contains, or null
 * when that is not certain: only runs outside any group, class or alternation count, a character
 * followed by `?`, `*` or `{` is left out, and a flag group (`(?i)`) gives up. Conservative: a
 * wrong null costs speed, a wrong literal would lose matches.
 */
export function requiredLiteral(regex: string): string | null {
  let best = '';
  let run = '';
  let depth = 0;
  const end = () => {
    if (run.length > best.length) best = run;
    run = '';
  };
  for (let i = 0; i < regex.length; i++) {
    const ch = regex[i] as string;
    const after = regex[i + 1];
    if (ch === '|') return null; // a top-level or nested alternative: nothing is certain
    if (ch === '(' && after === '?' && regex[i + 2] !== 'P' && regex[i + 2] !== '<' && regex[i + 2] !== ':')
      return null;
    if (ch === '(' || ch === ')') {
      depth += ch === '(' ? 1 : -1;
      end();
      continue;
    }
    if (ch === '[') {
      end();
      const close = regex.indexOf(']', i + 2);
      if (close < 0) return null;
      i = close;
      continue;
    }
    let literal: string | null = null;
    if (ch === '\\') {
      const e = regex[i + 1] ?? '';
      if (/[.*+?()[\]{}|\\^$/ -]/.test(e)) literal = e;
      i++;
    } else if (!/[.*+?{}^$]/.test(ch)) literal = ch;
    const quantified = regex[i + 1] === '?' || regex[i + 1] === '*' || regex[i + 1] === '{';
    if (literal === null || depth > 0 || quantified) {
      end();
      continue;
    }
    run += literal;
    if (regex[i + 1] === '+') end(); // `a+`: the a is there, what follows may be more a's
  }
  end();
  return best.length >= 3 ? best : null;
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
