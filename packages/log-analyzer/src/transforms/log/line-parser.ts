// Parses one access-log line, as bytes, against a FormatPlan.
// Example (combined):
// 203.0.113.9 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326 "http://x/" "Mozilla/5.0"
//
// The plan is turned once into straight-line JavaScript (see generateParser): every literal
// byte and stop byte becomes a constant, so the per-line work has no dispatch on step kinds,
// which made the interpreter it replaced three times slower. Only numbers from the plan are
// written into the generated source, never text from the format, so no format can inject code.
// Bytes are never decoded: non-UTF-8 cannot break a line, and nothing is allocated per line.

import { methodIndex, OTHER } from '../../metrics/methods.js';
import type { FormatPlan } from './log-format.js';
import { isValidLocalTime, isValidTimestamp, LOCAL_TIME_LENGTH, TIMESTAMP_LENGTH } from './timestamp.js';

/** What a line contributes to the metrics. Reused across lines: the parser fills it in. */
export interface ParsedLine {
  method: number; // index into METHODS
  status: number; // 100..599
  bytes: number; // response size; "-" is 0
  seconds: number; // request duration; NaN when the format has none
  upstream: number; // nginx upstream time (sum of the listed responses); NaN when none
  /** The request path's bytes [pathStart, pathEnd): set only by a parser made withPath (--route-label); else -1. */
  pathStart: number;
  pathEnd: number;
}

export function emptyParsedLine(): ParsedLine {
  return { method: OTHER, status: 0, bytes: 0, seconds: Number.NaN, upstream: Number.NaN, pathStart: -1, pathEnd: -1 };
}

export type LineParser = (buf: Uint8Array, start: number, end: number, out: ParsedLine) => boolean;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SPACE = 0x20;
const DOT = 0x2e;
/** 15 digits stay below 2^53, so every size we accept is kept exactly. */
const MAX_DIGITS = 15;

/**
 * Index of the quote closing a field that starts at `from`, honouring Apache's `\"` and `\\`;
 * -1 if the line ends first. Quotes are found natively (Buffer#indexOf) when the chunk is a Buffer.
 */
export function closingQuote(buf: Uint8Array, from: number, end: number): number {
  let q = buf.indexOf(QUOTE, from);
  while (q >= 0 && q < end) {
    let backslashes = 0;
    while (q - backslashes - 1 >= from && buf[q - backslashes - 1] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return q;
    q = buf.indexOf(QUOTE, q + 1);
  }
  return -1;
}

function indexOfByte(buf: Uint8Array, byte: number, from: number, end: number): number {
  for (let i = from; i < end; i++) if (buf[i] === byte) return i;
  return -1;
}

// Numbers are returned through this scratch slot, so no object is made per field.
let numberValue = 0;

/** The number the last parseDigits/parseDecimal/scanList read (scanList: the list's sum). */
export function lastNumber(): number {
  return numberValue;
}

/** Parses digits at `from`; returns the index after them, or -1 when there are none or too many. */
function parseDigits(buf: Uint8Array, from: number, end: number): number {
  let value = 0;
  let i = from;
  while (i < end) {
    const d = (buf[i] as number) - 48;
    if (d < 0 || d > 9) break;
    value = value * 10 + d;
    i++;
  }
  if (i === from || i - from > MAX_DIGITS) return -1;
  numberValue = value;
  return i;
}

/** Parses `123` or `0.123` (for %T, which some servers write with a fraction). */
function parseDecimal(buf: Uint8Array, from: number, end: number): number {
  let i = parseDigits(buf, from, end);
  if (i < 0) return -1;
  let value = numberValue;
  if (i < end && buf[i] === DOT) {
    let scale = 1;
    let fraction = 0;
    const start = ++i;
    while (i < end) {
      const d = (buf[i] as number) - 48;
      if (d < 0 || d > 9) break;
      fraction = fraction * 10 + d;
      scale *= 10;
      i++;
    }
    if (i === start) return -1;
    value += fraction / scale;
  }
  numberValue = value;
  return i;
}

const COMMA = 0x2c;
const COLON = 0x3a;
const DASH = 0x2d;

/**
 * An nginx upstream list as nginx writes it: items joined by `, ` (several servers tried) or
 * ` : ` (an internal redirect), each item `-` when there is no value. Example: `0.010, 0.020 : -`.
 * Numeric: each item is `-` or a decimal (`stop`: the byte after the field, ending a text item), and numberValue is their sum (NaN when all are `-`).
 * Returns the index after the list, or -1 when it is malformed.
 */
export function scanList(buf: Uint8Array, from: number, end: number, numeric: boolean, stop: number): number {
  let i = from;
  let sum = Number.NaN;
  for (;;) {
    if (numeric && buf[i] === DASH) i++;
    else if (numeric) {
      i = parseDecimal(buf, i, end);
      if (i < 0) return -1;
      sum = Number.isNaN(sum) ? numberValue : sum + numberValue;
    } else {
      // An item ends at a separator or at the byte that ends the whole field.
      const start = i;
      while (i < end && buf[i] !== SPACE && buf[i] !== COMMA && buf[i] !== stop) i++;
      if (i === start) return -1;
    }
    if (buf[i] === COMMA && buf[i + 1] === SPACE && i + 2 < end) i += 2;
    else if (buf[i] === SPACE && buf[i + 1] === COLON && buf[i + 2] === SPACE && i + 3 < end) i += 3;
    else break;
  }
  numberValue = sum;
  return i;
}

const helpers = {
  closingQuote,
  scanList,
  isValidLocalTime,
  indexOfByte,
  parseDigits,
  parseDecimal,
  isValidTimestamp,
  methodIndex,
  number: () => numberValue,
};

/** The body of the parser for one plan, as JavaScript source. Numbers only come from the plan. */
function generateParser(plan: FormatPlan, withPath: boolean): string {
  const code: string[] = [
    'let e = 0;',
    'out.method = OTHER; out.status = 0; out.bytes = 0; out.seconds = NaN; out.upstream = NaN;',
  ];
  // The route's path: a path field (%U, $uri, $request_uri) first, else the request line's second word.
  // Without withPath no code touches it: the default parser is the same as before.
  const isField = (field: string) => (s: FormatPlan['steps'][number]) => s.kind === 'field' && s.field === field;
  const pathStep = withPath ? (plan.steps.find(isField('path')) ?? plan.steps.find(isField('request'))) : undefined;
  if (pathStep) code.push('out.pathStart = -1; out.pathEnd = -1;');
  for (const step of plan.steps) {
    if (step.kind === 'literal') {
      const bytes = Array.from(step.bytes);
      const compare = bytes.map((b, i) => `buf[pos + ${i}] !== ${b}`).join(' || ');
      code.push(`if (end - pos < ${bytes.length} || ${compare}) return false;`, `pos += ${bytes.length};`);
      continue;
    }
    const primary = step.primary;
    switch (step.field) {
      case 'status':
        code.push(
          'if (end - pos < 3) return false;',
          '{ const a = buf[pos] - 48, b = buf[pos + 1] - 48, c = buf[pos + 2] - 48;',
          '  if (a < 1 || a > 5 || b < 0 || b > 9 || c < 0 || c > 9) return false;',
          primary ? '  out.status = a * 100 + b * 10 + c; }' : '}',
          'pos += 3;',
        );
        break;
      case 'size':
        code.push(
          `if (buf[pos] === ${0x2d}) pos++;`,
          'else { pos = h.parseDigits(buf, pos, end); if (pos < 0) return false;',
          primary ? '  out.bytes = h.number(); }' : '}',
        );
        break;
      case 'micros':
      case 'millis':
      case 'seconds': {
        const parse = step.field === 'micros' ? 'parseDigits' : 'parseDecimal';
        const perSecond = step.field === 'micros' ? 1_000_000 : step.field === 'millis' ? 1000 : 1;
        code.push(`pos = h.${parse}(buf, pos, end); if (pos < 0) return false;`);
        if (primary) code.push(`out.seconds = h.number() / ${perSecond};`);
        break;
      }
      case 'time':
        code.push(`if (!h.isValidTimestamp(buf, pos, end)) return false;`, `pos += ${TIMESTAMP_LENGTH};`);
        break;
      case 'time_local':
        code.push(`if (!h.isValidLocalTime(buf, pos, end)) return false;`, `pos += ${LOCAL_TIME_LENGTH};`);
        break;
      case 'upstream_seconds':
      case 'list':
        code.push(
          `pos = h.scanList(buf, pos, end, ${step.field === 'upstream_seconds'}, ${step.stop}); if (pos < 0) return false;`,
        );
        if (primary) code.push('out.upstream = h.number();');
        break;
      default: {
        // request, method, opaque: free text up to the closing quote or the stop byte.
        if (step.quoted) code.push('e = h.closingQuote(buf, pos, end);');
        else if (step.stop < 0) code.push('e = end;');
        else code.push(`e = h.indexOfByte(buf, ${step.stop}, pos, end);`);
        code.push('if (e < 0) return false;');
        if (step === pathStep && step.field === 'path') code.push('out.pathStart = pos; out.pathEnd = e;');
        else if (step === pathStep) {
          code.push(
            `{ const s = h.indexOfByte(buf, ${SPACE}, pos, e); if (s >= 0) { const t = h.indexOfByte(buf, ${SPACE}, s + 1, e); out.pathStart = s + 1; out.pathEnd = t < 0 ? e : t; } }`,
          );
        }
        if (primary && step.field === 'request') {
          code.push(
            `{ const s = h.indexOfByte(buf, ${SPACE}, pos, e); out.method = h.methodIndex(buf, pos, s < 0 ? e : s); }`,
          );
        } else if (primary) {
          code.push('out.method = h.methodIndex(buf, pos, e);');
        }
        code.push('pos = e;');
      }
    }
  }
  code.push('return pos === end;');
  return code.join('\n');
}

const compiled = new WeakMap<FormatPlan, LineParser>();
const compiledWithPath = new WeakMap<FormatPlan, LineParser>();

/** The parser for a plan, generated on first use and cached; `withPath`: it also finds the request path. */
export function lineParser(plan: FormatPlan, withPath = false): LineParser {
  const cache = withPath ? compiledWithPath : compiled;
  let parser = cache.get(plan);
  if (!parser) {
    const factory = new Function(
      'h',
      'OTHER',
      `return function parseLine(buf, pos, end, out) {\n${generateParser(plan, withPath)}\n};`,
    );
    parser = factory(helpers, OTHER) as LineParser;
    cache.set(plan, parser);
  }
  return parser;
}

/** Parses buf[start, end) (no line terminator) into `out`. Returns false for a malformed line. */
export function parseLine(buf: Uint8Array, start: number, end: number, plan: FormatPlan, out: ParsedLine): boolean {
  return lineParser(plan)(buf, start, end, out);
}
