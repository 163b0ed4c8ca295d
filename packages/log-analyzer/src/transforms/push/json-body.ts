// A push body's JSON: parsed, or refused as a whole (BodyError) with where it stopped being JSON,
// by position, line and column, however deeply it nests. Pure; the body is never echoed back.

import type { RejectReason } from '../../metrics/catalog.js';

/** A request-wide refusal: nothing in the body is applied. */
export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413,
    readonly reason: RejectReason,
    message: string,
    readonly items = 1,
  ) {
    super(message);
  }
}

/** JSON text → value, or a BodyError that says where the text went wrong. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const at = jsonErrorPosition(text);
    const before = text.slice(0, at);
    const line = before.split('\n').length;
    const column = at - before.lastIndexOf('\n');
    // V8 quotes the text around the error (cut with `...` on either side): never echo a body.
    const reason = (error as Error).message.replace(/, (\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, '');
    throw new BodyError(
      400,
      'invalid_json',
      `invalid JSON at position ${at} (line ${line}, column ${column}): ${reason}`,
    );
  }
}

/**
 * Pure: where a text stops being JSON (only called when JSON.parse failed: V8 does not always say).
 * Iterative, with the open containers on a stack of its own: a body may nest 100,000 deep.
 */
export function jsonErrorPosition(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw i;
  };
  const expect = (ch: string) => {
    if (text[i] !== ch) fail();
    i++;
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const literal = (word: string) => {
    for (const ch of word) expect(ch);
  };
  const string = () => {
    expect('"');
    for (;;) {
      const ch = text[i];
      if (ch === undefined || ch < ' ') fail();
      i++;
      if (ch === '"') return;
      if (ch === '\\') {
        if (text[i] === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) i += 5;
        else if ('"\\/bfnrt'.includes(text[i] ?? 'x')) i++;
        else fail();
      }
    }
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) fail();
    i += (m as RegExpExecArray)[0].length;
  };
  const key = () => {
    ws();
    string();
    ws();
    expect(':');
  };
  /** The closing character of each open object or array, innermost last. */
  const open: string[] = [];
  try {
    for (;;) {
      // A value starts here: a scalar, an empty container, or the first member of one.
      ws();
      const ch = text[i];
      if (ch === '{' || ch === '[') {
        const close = ch === '{' ? '}' : ']';
        i++;
        ws();
        if (text[i] === close) i++;
        else {
          open.push(close);
          if (close === '}') key();
          continue;
        }
      } else if (ch === '"') string();
      else if (ch === 't') literal('true');
      else if (ch === 'f') literal('false');
      else if (ch === 'n') literal('null');
      else number();
      // After a value: close what ends here, until a comma starts the next member.
      for (;;) {
        ws();
        const close = open.at(-1);
        if (close === undefined) return Math.min(i, text.length);
        if (text[i] === ',') {
          i++;
          if (close === '}') key();
          break;
        }
        expect(close);
        open.pop();
      }
    }
  } catch (at) {
    if (typeof at !== 'number') throw at;
    return at;
  }
}
