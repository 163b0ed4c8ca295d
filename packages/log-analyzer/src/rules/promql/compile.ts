// PromQL text → a checked expression tree (ast.ts) → a CompiledExpr. The Prometheus project's own
// grammar (@prometheus-io/lezer-promql) parses; this walk keeps the documented subset and refuses
// everything else with its 0-based position and what is not supported (never evaluated wrong).

import type { SyntaxNode } from '@lezer/common';
import { parser } from '@prometheus-io/lezer-promql';
import type { AggregateOp, ArithmeticOp, ComparisonOp, Matcher, Node, RangeFunction, SetOp } from './ast.js';
import { typeOf } from './ast.js';
import { type EvalResult, evaluate } from './evaluate.js';
import { compileLabelRegex } from './regex.js';
import type { SeriesSource } from './series-source.js';

export interface CompiledExpr {
  /** The tree (read only), e.g. for listing the selectors a rule reads. */
  readonly root: Node;
  /** Throws EvaluationError on what only data can reveal (duplicate series in a one-to-one match). */
  evaluate(source: SeriesSource, atMs: number): EvalResult;
}

export interface CompileOptions {
  /** The longest range selector (+ offset) accepted: what the source can answer (the history window). */
  maxRangeMs?: number;
}

export type CompileResult = { ok: true; expr: CompiledExpr } | { ok: false; position: number; message: string };

/** The default history window (history/history.ts). */
const DEFAULT_MAX_RANGE_MS = 3600_000;

class Refusal extends Error {
  constructor(
    readonly position: number,
    message: string,
  ) {
    super(message);
  }
}

const RANGE_FUNCTIONS: readonly RangeFunction[] = [
  'rate',
  'irate',
  'increase',
  'delta',
  'avg_over_time',
  'max_over_time',
  'min_over_time',
  'sum_over_time',
];
const AGGREGATES: readonly AggregateOp[] = ['sum', 'avg', 'min', 'max', 'count'];
const BINARY: Record<string, ArithmeticOp | ComparisonOp | SetOp> = {
  Add: '+',
  Sub: '-',
  Mul: '*',
  Div: '/',
  Mod: '%',
  Pow: '^',
  Eql: '==',
  Neq: '!=',
  Gtr: '>',
  Lss: '<',
  Gte: '>=',
  Lte: '<=',
  And: 'and',
  Or: 'or',
  Unless: 'unless',
};
const COMPARISONS = new Set(['==', '!=', '>', '<', '>=', '<=']);
const SET_OPS = new Set(['and', 'or', 'unless']);

export function compileExpr(text: string, options: CompileOptions = {}): CompileResult {
  const tree = parser.parse(text);
  let error: number | undefined;
  tree.iterate({
    enter(node) {
      if (error !== undefined) return false;
      if (node.type.isError) error = node.from;
      return undefined;
    },
  });
  if (error !== undefined) {
    const near = text.slice(error, error + 12);
    return {
      ok: false,
      position: error,
      message: near ? `syntax error near "${near}"` : 'unexpected end of expression',
    };
  }
  const top = tree.topNode.firstChild;
  if (!top) return { ok: false, position: 0, message: 'empty expression' };
  try {
    const walker = new Walker(text, options.maxRangeMs ?? DEFAULT_MAX_RANGE_MS);
    const root = walker.expr(top);
    if (typeOf(root) === 'matrix') throw new Refusal(top.from, 'a range vector is not an instant expression');
    return { ok: true, expr: { root, evaluate: (source, atMs) => evaluate(root, source, atMs) } };
  } catch (e) {
    if (e instanceof Refusal) return { ok: false, position: e.position, message: e.message };
    throw e;
  }
}

/** The expression children of a node (the grammar's `expr` group), in order. */
function exprChildren(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) if (c.type.is('Expr')) out.push(c);
  return out;
}

class Walker {
  constructor(
    private readonly text: string,
    private readonly maxRangeMs: number,
  ) {}

  private src(node: SyntaxNode): string {
    return this.text.slice(node.from, node.to);
  }

  private child(node: SyntaxNode, name: string): SyntaxNode | null {
    return node.getChild(name);
  }

  expr(node: SyntaxNode): Node {
    switch (node.name) {
      case 'ParenExpr':
        return this.expr(exprChildren(node)[0] as SyntaxNode);
      case 'NumberDurationLiteral':
        return { type: 'number', value: this.number(node) };
      case 'VectorSelector':
        return { type: 'vector', matchers: this.selector(node), offsetMs: 0 };
      case 'MatrixSelector':
        return this.matrix(node, 0);
      case 'OffsetExpr':
        return this.offset(node);
      case 'FunctionCall':
        return this.call(node);
      case 'AggregateExpr':
        return this.aggregate(node);
      case 'BinaryExpr':
        return this.binary(node);
      case 'UnaryExpr':
        return this.unary(node);
      case 'SubqueryExpr':
        throw new Refusal(node.from, 'subqueries are not supported');
      case 'StepInvariantExpr':
        throw new Refusal(this.child(node, 'At')?.from ?? node.from, 'the @ modifier is not supported');
      case 'StringLiteral':
        throw new Refusal(node.from, 'string literals are not supported');
      default:
        throw new Refusal(node.from, `${node.name} is not supported`);
    }
  }

  private number(node: SyntaxNode): number {
    const raw = this.src(node).replace(/\s+/g, '');
    const sign = raw.startsWith('-') ? -1 : 1;
    const body = raw.replace(/^[+-]/, '');
    const lower = body.toLowerCase();
    if (lower === 'inf') return sign * Number.POSITIVE_INFINITY;
    if (lower === 'nan') return Number.NaN;
    if (/[a-z]$/i.test(body) && !/^0x/i.test(body))
      throw new Refusal(node.from, 'a duration as a number is not supported');
    const value = /^0x/i.test(body) ? Number.parseInt(body, 16) : Number(body);
    if (Number.isNaN(value)) throw new Refusal(node.from, `number "${raw}" is not supported`);
    return sign * value;
  }

  /** A duration (`5m`, `1h30m`, or plain seconds) in ms; arithmetic in durations is refused. */
  private duration(node: SyntaxNode): number {
    const literal = node.firstChild;
    if (literal?.name !== 'NumberDurationLiteralInDurationContext' || literal.nextSibling)
      throw new Refusal(node.from, 'only a plain duration is supported here');
    const text = this.src(literal);
    if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
    const units: Record<string, number> = { y: 31536e6, w: 6048e5, d: 864e5, h: 36e5, m: 6e4, s: 1e3, ms: 1 };
    let ms = 0;
    const rest = text.replace(/(\d+)(ms|y|w|d|h|m|s)/g, (_, n: string, unit: string) => {
      ms += Number(n) * (units[unit] as number);
      return '';
    });
    if (rest !== '') throw new Refusal(node.from, `duration "${text}" is not supported`);
    return ms;
  }

  private selector(node: SyntaxNode): Matcher[] {
    const matchers: Matcher[] = [];
    const name = this.child(node, 'Identifier');
    if (name) matchers.push({ name: '__name__', op: '=', value: this.src(name) });
    const list = this.child(node, 'LabelMatchers');
    for (let m = list?.firstChild ?? null; m; m = m.nextSibling) {
      if (m.name !== 'UnquotedLabelMatcher') throw new Refusal(m.from, 'quoted label names are not supported');
      const label = this.child(m, 'LabelName') as SyntaxNode;
      const opNode = this.child(m, 'MatchOp') as SyntaxNode;
      const valueNode = this.child(m, 'StringLiteral') as SyntaxNode;
      const op = this.src(opNode) as Matcher['op'];
      const value = this.string(valueNode);
      const matcher: Matcher = { name: this.src(label), op, value };
      if (op === '=~' || op === '!~') {
        const re = compileLabelRegex(value);
        if (!re.ok) throw new Refusal(valueNode.from + 1 + Math.min(re.at, value.length), re.message);
        matcher.re = re.re;
      }
      if (matcher.name === '__name__' && name) throw new Refusal(m.from, 'metric name given twice');
      matchers.push(matcher);
    }
    // Prometheus: at least one matcher that does not match the empty string.
    const matchesEmpty = (m: Matcher) =>
      m.op === '=' ? m.value === '' : m.op === '!=' ? m.value !== '' : m.op === '=~' ? m.re?.test('') : !m.re?.test('');
    if (matchers.every(matchesEmpty))
      throw new Refusal(node.from, 'a vector selector needs one matcher that does not match the empty string');
    return matchers;
  }

  /** A Go string literal's value: "…" and '…' with escapes, `…` raw. */
  private string(node: SyntaxNode): string {
    const raw = this.src(node);
    const quote = raw[0] as string;
    if (raw.length < 2 || raw.at(-1) !== quote) throw new Refusal(node.from, 'unterminated string');
    const body = raw.slice(1, -1);
    if (quote === '`') return body;
    const simple: Record<string, string> = {
      a: '\x07',
      b: '\b',
      f: '\f',
      n: '\n',
      r: '\r',
      t: '\t',
      v: '\v',
      '\\': '\\',
      '"': '"',
      "'": "'",
    };
    return body.replace(
      /\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)/g,
      (all, e: string, at: number) => {
        if (e.length === 1) {
          const s = simple[e];
          if (s === undefined) throw new Refusal(node.from + 1 + at, `unknown escape ${all}`);
          return s;
        }
        if (/^[0-7]/.test(e)) return String.fromCharCode(Number.parseInt(e, 8));
        return String.fromCodePoint(Number.parseInt(e.slice(1), 16));
      },
    );
  }

  private matrix(node: SyntaxNode, offsetMs: number): Node {
    const inner = exprChildren(node)[0] as SyntaxNode;
    if (inner.name !== 'VectorSelector') throw new Refusal(inner.from, 'a range needs a vector selector');
    const rangeNode = this.child(node, 'DurationExpr') as SyntaxNode;
    const rangeMs = this.duration(rangeNode);
    if (rangeMs <= 0) throw new Refusal(rangeNode.from, 'a range must be positive');
    if (rangeMs + offsetMs > this.maxRangeMs)
      throw new Refusal(
        rangeNode.from,
        `range (with offset) longer than the history window (${this.maxRangeMs / 1000}s)`,
      );
    return { type: 'matrix', matchers: this.selector(inner), offsetMs, rangeMs };
  }

  private offset(node: SyntaxNode): Node {
    const inner = exprChildren(node)[0] as SyntaxNode;
    const durationNode = this.child(node, 'OffsetDurationExpr') as SyntaxNode;
    if (durationNode.firstChild?.name === 'UnaryOp')
      throw new Refusal(durationNode.from, 'a negative offset is not supported');
    const offsetMs = this.duration(durationNode);
    if (inner.name === 'MatrixSelector') return this.matrix(inner, offsetMs);
    if (inner.name !== 'VectorSelector') throw new Refusal(node.from, 'offset needs a selector before it');
    if (offsetMs > this.maxRangeMs)
      throw new Refusal(durationNode.from, `offset longer than the history window (${this.maxRangeMs / 1000}s)`);
    return { type: 'vector', matchers: this.selector(inner), offsetMs };
  }

  private args(node: SyntaxNode): SyntaxNode[] {
    return exprChildren(this.child(node, 'FunctionCallBody') as SyntaxNode);
  }

  private call(node: SyntaxNode): Node {
    const ident = this.child(node, 'FunctionIdentifier') as SyntaxNode;
    const name = this.src(ident);
    const args = this.args(node);
    const arity = (n: number) => {
      if (args.length !== n)
        throw new Refusal(ident.from, `function "${name}" takes ${n} argument(s), got ${args.length}`);
    };
    if ((RANGE_FUNCTIONS as readonly string[]).includes(name)) {
      arity(1);
      const arg = this.expr(args[0] as SyntaxNode);
      if (arg.type !== 'matrix')
        throw new Refusal((args[0] as SyntaxNode).from, `function "${name}" needs a range vector`);
      return { type: 'range-call', fn: name as RangeFunction, arg };
    }
    if (name === 'histogram_quantile') {
      arity(2);
      const quantile = this.expr(args[0] as SyntaxNode);
      const arg = this.expr(args[1] as SyntaxNode);
      if (typeOf(quantile) !== 'scalar')
        throw new Refusal((args[0] as SyntaxNode).from, 'the quantile must be a scalar');
      this.needVector(arg, args[1] as SyntaxNode);
      return { type: 'histogram-quantile', quantile, arg };
    }
    if (name === 'absent') {
      arity(1);
      const arg = this.expr(args[0] as SyntaxNode);
      this.needVector(arg, args[0] as SyntaxNode);
      return { type: 'absent', arg };
    }
    throw new Refusal(ident.from, `function "${name}" is not supported`);
  }

  private needVector(node: Node, at: SyntaxNode): void {
    if (typeOf(node) !== 'vector')
      throw new Refusal(at.from, `an instant vector is needed here, not a ${typeOf(node)}`);
  }

  private aggregate(node: SyntaxNode): Node {
    const opNode = this.child(node, 'AggregateOp') as SyntaxNode;
    const op = this.src(opNode).toLowerCase() as AggregateOp;
    if (!AGGREGATES.includes(op)) throw new Refusal(opNode.from, `aggregation "${this.src(opNode)}" is not supported`);
    const args = this.args(node);
    if (args.length !== 1) throw new Refusal(opNode.from, `aggregation "${op}" takes 1 argument, got ${args.length}`);
    const arg = this.expr(args[0] as SyntaxNode);
    this.needVector(arg, args[0] as SyntaxNode);
    const modifier = this.child(node, 'AggregateModifier');
    const without = Boolean(modifier?.getChild('Without'));
    const by = modifier ? this.labels(modifier.getChild('GroupingLabels') as SyntaxNode) : [];
    return { type: 'aggregate', op, by, without, arg };
  }

  private labels(node: SyntaxNode): string[] {
    const out: string[] = [];
    for (let c = node.firstChild; c; c = c.nextSibling) {
      if (c.name !== 'LabelName') throw new Refusal(c.from, 'quoted label names are not supported');
      out.push(this.src(c));
    }
    return out;
  }

  private binary(node: SyntaxNode): Node {
    const [lhsNode, rhsNode] = exprChildren(node) as [SyntaxNode, SyntaxNode];
    let opNode = lhsNode.nextSibling as SyntaxNode;
    const op = BINARY[opNode.name];
    if (!op) throw new Refusal(opNode.from, `operator "${this.src(opNode)}" is not supported`);
    const bool = this.child(node, 'BoolModifier') !== null;
    const fill = this.child(node, 'FillModifier');
    if (fill) throw new Refusal(fill.from, 'fill modifiers are not supported');
    const clause = this.child(node, 'MatchingModifierClause');
    let matching: { on: boolean; labels: string[] } | undefined;
    if (clause) {
      const group = clause.getChild('GroupLeft') ?? clause.getChild('GroupRight');
      if (group) throw new Refusal(group.from, `${this.src(group)} (many-to-one matching) is not supported`);
      matching = {
        on: clause.getChild('On') !== null,
        labels: this.labels(clause.getChild('GroupingLabels') as SyntaxNode),
      };
    }
    const lhs = this.expr(lhsNode);
    const rhs = this.expr(rhsNode);
    opNode = lhsNode.nextSibling as SyntaxNode;
    for (const [side, at] of [
      [lhs, lhsNode],
      [rhs, rhsNode],
    ] as const) {
      if (typeOf(side) === 'matrix') throw new Refusal(at.from, 'a range vector is not allowed in a binary expression');
    }
    const scalars = typeOf(lhs) === 'scalar' && typeOf(rhs) === 'scalar';
    if (SET_OPS.has(op) && (typeOf(lhs) !== 'vector' || typeOf(rhs) !== 'vector'))
      throw new Refusal(opNode.from, `set operator "${op}" needs instant vectors on both sides`);
    if (bool && !COMPARISONS.has(op)) throw new Refusal(opNode.from, 'bool is only for comparisons');
    if (scalars && COMPARISONS.has(op) && !bool)
      throw new Refusal(opNode.from, 'a comparison between scalars needs bool');
    if (matching && (typeOf(lhs) !== 'vector' || typeOf(rhs) !== 'vector'))
      throw new Refusal(clause?.from ?? opNode.from, 'on/ignoring needs instant vectors on both sides');
    return { type: 'binary', op, lhs, rhs, bool, ...(matching && { matching }) };
  }

  private unary(node: SyntaxNode): Node {
    const sign = this.src(this.child(node, 'UnaryOp') as SyntaxNode);
    const arg = this.expr(exprChildren(node)[0] as SyntaxNode);
    if (typeOf(arg) === 'matrix') throw new Refusal(node.from, 'unary minus needs a scalar or an instant vector');
    return sign === '-' ? { type: 'negate', arg } : arg;
  }
}
