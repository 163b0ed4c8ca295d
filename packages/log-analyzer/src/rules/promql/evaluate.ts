// Evaluates a checked expression tree (ast.ts) at one instant over a SeriesSource: selectors,
// range functions, histogram_quantile, absent, aggregations, unary minus and binary operators.
// Pure: the source is the only input; errors only data can reveal throw EvaluationError.

import type { AggregateOp, Matcher, Node } from './ast.js';
import {
  arithmetic,
  compare,
  EvaluationError,
  isComparison,
  labelKey,
  type Sample,
  setOperation,
  vectorScalar,
  vectorVector,
  withoutName,
} from './binary.js';
import { histogramQuantile, rangeFunction } from './functions.js';
import type { Labels, SeriesSource } from './series-source.js';

export { EvaluationError };

export type EvalResult = { kind: 'vector'; samples: Sample[] } | { kind: 'scalar'; value: number };

export function evaluate(node: Node, source: SeriesSource, atMs: number): EvalResult {
  switch (node.type) {
    case 'number':
      return { kind: 'scalar', value: node.value };
    case 'vector':
      return vector(source.instant(node.matchers, atMs - node.offsetMs));
    case 'matrix':
      throw new EvaluationError('a range vector cannot be evaluated at an instant');
    case 'range-call': {
      const { arg } = node;
      const end = atMs - arg.offsetMs;
      const start = end - arg.rangeMs;
      const out: Sample[] = [];
      for (const s of source.range(arg.matchers, start, end)) {
        const value = rangeFunction(node.fn, s.times, s.values, start, end);
        if (value !== null) out.push({ labels: withoutName(s.labels), value });
      }
      return vector(unique(out));
    }
    case 'histogram-quantile':
      return vector(quantiles(scalarOf(evaluate(node.quantile, source, atMs)), samplesOf(node.arg, source, atMs)));
    case 'absent':
      return vector(samplesOf(node.arg, source, atMs).length > 0 ? [] : [{ labels: absentLabels(node.arg), value: 1 }]);
    case 'aggregate':
      return vector(aggregate(node.op, node.by, node.without, samplesOf(node.arg, source, atMs)));
    case 'negate': {
      const inner = evaluate(node.arg, source, atMs);
      if (inner.kind === 'scalar') return { kind: 'scalar', value: -inner.value };
      return vector(unique(inner.samples.map((s) => ({ labels: withoutName(s.labels), value: -s.value }))));
    }
    case 'binary':
      return binary(node, source, atMs);
  }
}

function vector(samples: Sample[]): EvalResult {
  return { kind: 'vector', samples };
}

function samplesOf(node: Node, source: SeriesSource, atMs: number): Sample[] {
  const result = evaluate(node, source, atMs);
  if (result.kind !== 'vector') throw new EvaluationError('an instant vector was expected');
  return result.samples;
}

function scalarOf(result: EvalResult): number {
  if (result.kind !== 'scalar') throw new EvaluationError('a scalar was expected');
  return result.value;
}

/** Prometheus refuses a result holding one label set twice (names dropped from different series). */
function unique(samples: Sample[]): Sample[] {
  const seen = new Set<string>();
  for (const s of samples) {
    const key = labelKey(s.labels);
    if (seen.has(key)) throw new EvaluationError('vector cannot contain metrics with the same labelset');
    seen.add(key);
  }
  return samples;
}

function binary(node: Extract<Node, { type: 'binary' }>, source: SeriesSource, atMs: number): EvalResult {
  const lhs = evaluate(node.lhs, source, atMs);
  const rhs = evaluate(node.rhs, source, atMs);
  const { op } = node;
  if (op === 'and' || op === 'or' || op === 'unless') {
    if (lhs.kind !== 'vector' || rhs.kind !== 'vector') throw new EvaluationError('set operators need vectors');
    return vector(setOperation(op, lhs.samples, rhs.samples, node.matching));
  }
  if (lhs.kind === 'scalar' && rhs.kind === 'scalar') {
    const value = isComparison(op) ? (compare(op, lhs.value, rhs.value) ? 1 : 0) : arithmetic(op, lhs.value, rhs.value);
    return { kind: 'scalar', value };
  }
  if (lhs.kind === 'vector' && rhs.kind === 'vector')
    return vector(unique(vectorVector(op, lhs.samples, rhs.samples, node.matching, node.bool)));
  if (lhs.kind === 'vector' && rhs.kind === 'scalar')
    return vector(unique(vectorScalar(op, lhs.samples, rhs.value, false, node.bool)));
  if (lhs.kind === 'scalar' && rhs.kind === 'vector')
    return vector(unique(vectorScalar(op, rhs.samples, lhs.value, true, node.bool)));
  throw new EvaluationError('unexpected operand types');
}

/** by: only those labels; without: all but those and the name. */
function groupLabels(labels: Labels, by: readonly string[], without: boolean): Labels {
  const out: Labels = {};
  if (without) {
    for (const [k, v] of Object.entries(labels)) if (k !== '__name__' && !by.includes(k)) out[k] = v;
  } else {
    for (const k of by) if (labels[k] !== undefined && labels[k] !== '') out[k] = labels[k] as string;
  }
  return out;
}

function aggregate(op: AggregateOp, by: readonly string[], without: boolean, samples: readonly Sample[]): Sample[] {
  const groups = new Map<string, { labels: Labels; value: number; count: number }>();
  const ignored = new Set(['__name__', ...by]);
  for (const s of samples) {
    // by: the key from the listed labels' values alone (no object per sample); without: the rest.
    const key = without ? labelKey(s.labels, (n) => !ignored.has(n)) : by.map((n) => s.labels[n] ?? '').join('\u0000');
    const group = groups.get(key);
    if (!group) {
      groups.set(key, { labels: groupLabels(s.labels, by, without), value: s.value, count: 1 });
      continue;
    }
    group.count++;
    if (op === 'sum' || op === 'avg') group.value += s.value;
    // max/min: a NaN gives way to any number (Prometheus).
    else if (op === 'max' && (s.value > group.value || Number.isNaN(group.value))) group.value = s.value;
    else if (op === 'min' && (s.value < group.value || Number.isNaN(group.value))) group.value = s.value;
  }
  return [...groups.values()].map((g) => ({
    labels: g.labels,
    value: op === 'count' ? g.count : op === 'avg' ? g.value / g.count : g.value,
  }));
}

/** histogram_quantile: buckets grouped by their labels but `le` (and the name); an unparseable `le` is left out. */
function quantiles(q: number, samples: readonly Sample[]): Sample[] {
  const groups = new Map<string, { labels: Labels; buckets: { le: number; count: number }[] }>();
  for (const s of samples) {
    const raw = s.labels.le;
    if (raw === undefined) continue;
    const le = parseLe(raw);
    if (Number.isNaN(le)) continue;
    const { le: _, ...rest } = withoutName(s.labels);
    const key = labelKey(rest);
    let group = groups.get(key);
    if (!group) {
      group = { labels: rest, buckets: [] };
      groups.set(key, group);
    }
    group.buckets.push({ le, count: s.value });
  }
  return [...groups.values()].map((g) => ({ labels: g.labels, value: histogramQuantile(q, g.buckets) }));
}

function parseLe(raw: string): number {
  const text = raw.trim();
  if (/^\+?inf$/i.test(text)) return Number.POSITIVE_INFINITY;
  if (/^-inf$/i.test(text)) return Number.NEGATIVE_INFINITY;
  return text === '' ? Number.NaN : Number(text);
}

/** absent(): the labels of the argument selector's equality matchers (but the name); none otherwise. */
function absentLabels(node: Node): Labels {
  if (node.type !== 'vector') return {};
  const labels: Labels = {};
  const seen = new Set<string>();
  for (const m of node.matchers as readonly Matcher[]) {
    if (m.name === '__name__') continue;
    // A label matched by equality twice (or with other matchers) gets no value, as in Prometheus.
    if (m.op === '=' && !seen.has(m.name)) labels[m.name] = m.value;
    else delete labels[m.name];
    seen.add(m.name);
  }
  return labels;
}
