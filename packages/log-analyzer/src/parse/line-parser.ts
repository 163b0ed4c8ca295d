// Parses one access-log line, as bytes, against a compiled FormatPlan.
// Never decodes text: bytes that are not UTF-8 cannot break a line, and nothing is allocated per line.
// Example (combined):
// 203.0.113.9 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326 "http://x/" "Mozilla/5.0"

import type { FormatPlan } from './log-format.js';
import { methodIndex, OTHER } from './methods.js';
import { isValidTimestamp, TIMESTAMP_LENGTH } from './timestamp.js';

/** What a line contributes to the metrics. Reused across lines: the parser fills it in. */
export interface ParsedLine {
  method: number; // index into METHODS
  status: number; // 100..599
  bytes: number; // response size; "-" is 0
  seconds: number; // request duration; NaN when the format has none
}

export function emptyParsedLine(): ParsedLine {
  return { method: OTHER, status: 0, bytes: 0, seconds: Number.NaN };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SPACE = 0x20;
const DASH = 0x2d;
const DOT = 0x2e;
/** 15 digits stay below 2^53, so every size we accept is kept exactly. */
const MAX_DIGITS = 15;

/** Index of the quote closing a field that starts at `from`, honouring `\"` and `\\`; -1 if unterminated. */
function closingQuote(buf: Uint8Array, from: number, end: number): number {
  for (let i = from; i < end; i++) {
    const b = buf[i];
    if (b === BACKSLASH)
      i++; // skip the escaped byte, whatever it is
    else if (b === QUOTE) return i;
  }
  return -1;
}

function indexOfByte(buf: Uint8Array, byte: number, from: number, end: number): number {
  for (let i = from; i < end; i++) if (buf[i] === byte) return i;
  return -1;
}

// Numbers are parsed into module-level scratch to avoid returning objects per field.
let numberValue = 0;

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

/** Parses buf[start, end) (no line terminator) into `out`. Returns false for a malformed line. */
export function parseLine(buf: Uint8Array, start: number, end: number, plan: FormatPlan, out: ParsedLine): boolean {
  let pos = start;
  out.method = OTHER;
  out.status = 0;
  out.bytes = 0;
  out.seconds = Number.NaN;

  for (const step of plan.steps) {
    if (step.kind === 'literal') {
      const lit = step.bytes;
      if (end - pos < lit.length) return false;
      for (let i = 0; i < lit.length; i++) if (buf[pos + i] !== lit[i]) return false;
      pos += lit.length;
      continue;
    }

    switch (step.field) {
      case 'status': {
        if (end - pos < 3) return false;
        const a = (buf[pos] as number) - 48;
        const b = (buf[pos + 1] as number) - 48;
        const c = (buf[pos + 2] as number) - 48;
        if (a < 1 || a > 5 || b < 0 || b > 9 || c < 0 || c > 9) return false;
        if (step.primary) out.status = a * 100 + b * 10 + c;
        pos += 3;
        break;
      }
      case 'size': {
        if (buf[pos] === DASH) {
          pos++;
          break;
        }
        pos = parseDigits(buf, pos, end);
        if (pos < 0) return false;
        if (step.primary) out.bytes = numberValue;
        break;
      }
      case 'micros':
      case 'millis':
      case 'seconds': {
        pos = step.field === 'micros' ? parseDigits(buf, pos, end) : parseDecimal(buf, pos, end);
        if (pos < 0) return false;
        if (step.primary) {
          out.seconds =
            step.field === 'micros' ? numberValue / 1e6 : step.field === 'millis' ? numberValue / 1e3 : numberValue;
        }
        break;
      }
      case 'time': {
        if (!isValidTimestamp(buf, pos, end)) return false;
        pos += TIMESTAMP_LENGTH;
        break;
      }
      default: {
        // request, method, opaque: free text up to the closing quote or the stop byte.
        const fieldEnd = step.quoted
          ? closingQuote(buf, pos, end)
          : step.stop < 0
            ? end
            : indexOfByte(buf, step.stop, pos, end);
        if (fieldEnd < 0) return false;
        if (step.primary) {
          // %m is the method itself; of %r the method is the first token.
          const space = step.field === 'request' ? indexOfByte(buf, SPACE, pos, fieldEnd) : -1;
          out.method = methodIndex(buf, pos, space < 0 ? fieldEnd : space);
        }
        pos = fieldEnd;
      }
    }
  }
  return pos === end;
}
