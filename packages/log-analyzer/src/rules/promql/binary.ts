// Binary operators as Prometheus applies them: scalar/scalar, vector/scalar, one-to-one vector
// matching (on / ignoring), comparisons as filters or with bool, and the set operators. Pure.

import type { ArithmeticOp, ComparisonOp, SetOp } from './ast.js';
import type { Labels } from './series-source.js';

export interface Sample {
  labels: Labels;
  value: number;
}

/** A query that cannot be answered from the data (Prometheus' evaluation errors). */
export class EvaluationError extends Error {}

const COMPARISON = new Set<string>(['==', '!=', '>', '<', '>=', '<=']);

export function isComparison(op: string): op is ComparisonOp {
  return COMPARISON.has(op);
}

export function arithmetic(op: ArithmeticOp, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '%':
      return a % b; // Go's math.Mod: the sign of the dividend, as JavaScript's %
    case '^':
      return a ** b;
  }
}

export function compare(op: ComparisonOp, a: number, b: number): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '>':
      return a > b;
    case '<':
      return a < b;
    case '>=':
      return a >= b;
    case '<=':
      return a <= b;
  }
}

/** Each label set without its name, made once: a source hands out the same objects every round. */
const nameless = new WeakMap<Labels, Labels>();

export function withoutName(labels: Labels): Labels {
  if (!('__name__' in labels)) return labels;
  let rest = nameless.get(labels);
  if (!rest) {
    const { __name__: _, ...others } = labels;
    rest = others;
    nameless.set(labels, rest);
  }
  return rest;
}

/** Keys of whole label sets already made (a source hands out the same label objects every round). */
const keys = new WeakMap<Labels, string>();

/** A key of labels (sorted), for grouping and matching. */
export function labelKey(labels: Labels, keep?: (name: string) => boolean): string {
  if (!keep) {
    let key = keys.get(labels);
    if (key === undefined) {
      key = labelKey(labels, () => true);
      keys.set(labels, key);
    }
    return key;
  }
  let key = '';
  for (const name of Object.keys(labels).sort()) {
    if (keep && !keep(name)) continue;
    key += `${name}\u0000${labels[name]}\u0001`;
  }
  return key;
}

/** What two sides are matched on: on(...) keeps only those labels, ignoring(...) and the default drop them and the name. */
function signature(matching: { on: boolean; labels: string[] } | undefined): (labels: Labels) => string {
  if (matching?.on) {
    const on = [...matching.labels].sort();
    return (labels) => on.map((n) => `${n}\u0000${labels[n] ?? ''}\u0001`).join('');
  }
  const ignored = new Set(['__name__', ...(matching?.labels ?? [])]);
  return (labels) => labelKey(labels, (n) => !ignored.has(n));
}

/** Vector op scalar (or scalar op vector when `scalarLeft`). */
export function vectorScalar(
  op: ArithmeticOp | ComparisonOp,
  vector: readonly Sample[],
  scalar: number,
  scalarLeft: boolean,
  bool: boolean,
): Sample[] {
  const out: Sample[] = [];
  for (const s of vector) {
    const [a, b] = scalarLeft ? [scalar, s.value] : [s.value, scalar];
    if (isComparison(op)) {
      const keep = compare(op, a, b);
      // A filter keeps the vector's own value and name; bool gives 0/1 without the name.
      if (bool) out.push({ labels: withoutName(s.labels), value: keep ? 1 : 0 });
      else if (keep) out.push(s);
    } else out.push({ labels: withoutName(s.labels), value: arithmetic(op, a, b) });
  }
  return out;
}

/** Vector op vector, one-to-one. Many matches on either side are an error, as in Prometheus. */
export function vectorVector(
  op: ArithmeticOp | ComparisonOp,
  lhs: readonly Sample[],
  rhs: readonly Sample[],
  matching: { on: boolean; labels: string[] } | undefined,
  bool: boolean,
): Sample[] {
  const sig = signature(matching);
  const right = new Map<string, Sample>();
  for (const s of rhs) {
    const key = sig(s.labels);
    if (right.has(key))
      throw new EvaluationError('found duplicate series for the match group on the right hand-side of the operation');
    right.set(key, s);
  }
  const seen = new Set<string>();
  const out: Sample[] = [];
  for (const l of lhs) {
    const key = sig(l.labels);
    const r = right.get(key);
    if (!r) continue;
    if (seen.has(key))
      throw new EvaluationError(
        'multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)',
      );
    seen.add(key);
    let value: number;
    if (isComparison(op)) {
      const keep = compare(op, l.value, r.value);
      if (!bool && !keep) continue;
      value = bool ? (keep ? 1 : 0) : l.value;
    } else value = arithmetic(op, l.value, r.value);
    out.push({ labels: resultLabels(l.labels, op, bool, matching), value });
  }
  return out;
}

/** The left side's labels: without the name after arithmetic or bool; only on(...)'s, or without ignoring(...)'s. */
function resultLabels(
  labels: Labels,
  op: ArithmeticOp | ComparisonOp,
  bool: boolean,
  matching: { on: boolean; labels: string[] } | undefined,
): Labels {
  let out = !isComparison(op) || bool ? withoutName(labels) : labels;
  if (matching?.on) {
    const kept: Labels = {};
    for (const name of matching.labels) if (name in out) kept[name] = out[name] as string;
    out = kept;
  } else if (matching) {
    out = { ...out };
    for (const name of matching.labels) delete out[name];
  }
  return out;
}

/** and / or / unless: the left side's samples filtered by (or completed with) the right side's. */
export function setOperation(
  op: SetOp,
  lhs: readonly Sample[],
  rhs: readonly Sample[],
  matching: { on: boolean; labels: string[] } | undefined,
): Sample[] {
  const sig = signature(matching);
  const rightKeys = new Set(rhs.map((s) => sig(s.labels)));
  if (op === 'and') return lhs.filter((s) => rightKeys.has(sig(s.labels)));
  if (op === 'unless') return lhs.filter((s) => !rightKeys.has(sig(s.labels)));
  const leftKeys = new Set(lhs.map((s) => sig(s.labels)));
  return [...lhs, ...rhs.filter((s) => !leftKeys.has(sig(s.labels)))];
}
