// The expression tree the evaluator walks: the supported subset of PromQL only (compile.ts turns
// the Prometheus grammar's syntax tree into it and refuses everything else), types already checked.

/** A label matcher; `re` is the anchored RE2-compatible regex of =~ and !~ (see regex.ts). */
export interface Matcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
  re?: RegExp;
}

export type AggregateOp = 'sum' | 'avg' | 'min' | 'max' | 'count';
export type ArithmeticOp = '+' | '-' | '*' | '/' | '%' | '^';
export type ComparisonOp = '==' | '!=' | '>' | '<' | '>=' | '<=';
export type SetOp = 'and' | 'or' | 'unless';
export type RangeFunction =
  | 'rate'
  | 'irate'
  | 'increase'
  | 'delta'
  | 'avg_over_time'
  | 'max_over_time'
  | 'min_over_time'
  | 'sum_over_time';

export interface VectorSelector {
  type: 'vector';
  matchers: Matcher[];
  offsetMs: number;
}

export interface MatrixSelector {
  type: 'matrix';
  matchers: Matcher[];
  offsetMs: number;
  rangeMs: number;
}

export type Node =
  | { type: 'number'; value: number }
  | VectorSelector
  | MatrixSelector
  | { type: 'range-call'; fn: RangeFunction; arg: MatrixSelector }
  | { type: 'histogram-quantile'; quantile: Node; arg: Node }
  | { type: 'absent'; arg: Node }
  | { type: 'aggregate'; op: AggregateOp; by: string[]; without: boolean; arg: Node }
  | { type: 'negate'; arg: Node }
  | {
      type: 'binary';
      op: ArithmeticOp | ComparisonOp | SetOp;
      lhs: Node;
      rhs: Node;
      bool: boolean;
      /** `on(...)` (on: true) or `ignoring(...)`; undefined: match on all labels but the name. */
      matching?: { on: boolean; labels: string[] };
    };

/** What a node evaluates to; compile.ts checks operands against it. */
export type ValueType = 'scalar' | 'vector' | 'matrix';

export function typeOf(node: Node): ValueType {
  if (node.type === 'number') return 'scalar';
  if (node.type === 'matrix') return 'matrix';
  if (node.type === 'negate') return typeOf(node.arg);
  if (node.type === 'binary') {
    return typeOf(node.lhs) === 'scalar' && typeOf(node.rhs) === 'scalar' ? 'scalar' : 'vector';
  }
  return 'vector';
}
