// Byte-level JSON for the fast push decoder (fast-decode.ts): a cursor over UTF-8 bytes that checks
// the strict JSON grammar, for the subset it takes exactly: ASCII strings without escapes, nesting
// at most MAX_DEPTH deep. Anything else throws FALLBACK, and the caller decodes on the exact path.
// Pure; no strings are built while scanning.

/** Thrown when the bytes are outside the subset (or not JSON): decode them the slow, exact way. */
export class Fallback extends Error {}
export const FALLBACK = new Fallback('outside the fast decoder’s subset');

/** What a scanned value is. */
export const ABSENT = 0;
export const STRING = 1;
export const NUMBER = 2;
export const OBJECT = 3;
export const ARRAY = 4;
export const NULL = 5;
export const TRUE = 6;
export const FALSE = 7;

/** Nesting the generic skip follows (the slow path takes any depth: deeper bodies go there). */
export const MAX_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= ZERO && c <= 0x39;

/** A cursor over `b` up to `end`. Methods move `i` past what they read, or throw FALLBACK. */
export class Scanner {
  b: Uint8Array;
  /** The same bytes, read four at a time inside strings (see plainWord). */
  private dv: DataView;
  i = 0;
  end = 0;
  /** Where the last string()'s text began (its end is i - 1). */
  from = 0;

  constructor(b: Uint8Array, i = 0, end = b.length) {
    this.b = b;
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.i = i;
    this.end = end;
  }

  /** The same bytes from i to end (another range of them). */
  range(i: number, end: number): void {
    this.i = i;
    this.end = end;
  }

  /** The byte at i, or -1 at the end. */
  peek(): number {
    return this.i < this.end ? (this.b[this.i] as number) : -1;
  }

  /** JSON's four whitespace bytes. */
  ws(): void {
    const { b, end } = this;
    let i = this.i;
    for (; i < end; i++) {
      const c = b[i];
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    }
    this.i = i;
  }

  expect(c: number): void {
    if (this.i >= this.end || this.b[this.i] !== c) throw FALLBACK;
    this.i++;
  }

  /** A string at i: its text is [from, i - 1). Escapes, control and non-ASCII bytes fall back. */
  string(): void {
    const { b, end, dv } = this;
    let i = this.i;
    if (i >= end || b[i] !== QUOTE) throw FALLBACK;
    this.from = ++i;
    for (;;) {
      if (i + 4 <= end && plainWord(dv.getInt32(i, true))) {
        i += 4;
        continue;
      }
      if (i >= end) throw FALLBACK;
      const c = b[i++] as number;
      if (c === QUOTE) break;
      if (c < 0x20 || c === BACKSLASH || c >= 0x80) throw FALLBACK;
    }
    this.i = i;
  }

  /**
   * As string(), and `h` carried on over its bytes and closing quote (FNV-1a, four bytes at a
   * step where it can: the same bytes at the same distance from `end` hash the same).
   */
  hashedString(h: number): number {
    const { b, end, dv } = this;
    let i = this.i;
    if (i >= end || b[i] !== QUOTE) throw FALLBACK;
    this.from = ++i;
    for (;;) {
      if (i + 4 <= end) {
        const w = dv.getInt32(i, true);
        if (plainWord(w)) {
          h = Math.imul(h ^ w, 0x01000193);
          i += 4;
          continue;
        }
      }
      if (i >= end) throw FALLBACK;
      const c = b[i++] as number;
      h = Math.imul(h ^ c, 0x01000193);
      if (c === QUOTE) break;
      if (c < 0x20 || c === BACKSLASH || c >= 0x80) throw FALLBACK;
    }
    this.i = i;
    return h;
  }

  /** A number by JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
  number(): void {
    const { b, end } = this;
    let i = this.i;
    if (b[i] === MINUS) i++;
    if (i >= end) throw FALLBACK;
    if (b[i] === ZERO) i++;
    else if (isDigit(b[i])) while (i < end && isDigit(b[i])) i++;
    else throw FALLBACK;
    if (i < end && b[i] === DOT) {
      i++;
      if (i >= end || !isDigit(b[i])) throw FALLBACK;
      while (i < end && isDigit(b[i])) i++;
    }
    if (i < end && (b[i] === 0x65 || b[i] === 0x45)) {
      i++;
      if (i < end && (b[i] === 0x2b || b[i] === MINUS)) i++;
      if (i >= end || !isDigit(b[i])) throw FALLBACK;
      while (i < end && isDigit(b[i])) i++;
    }
    this.i = i;
  }

  private literal(word: readonly number[]): void {
    const { b } = this;
    if (this.i + word.length > this.end) throw FALLBACK;
    for (let k = 0; k < word.length; k++) if (b[this.i + k] !== word[k]) throw FALLBACK;
    this.i += word.length;
  }

  /** Any value at i (after whitespace), `depth` containers deep; its kind. */
  value(depth: number): number {
    const c = this.peek();
    if (c === QUOTE) {
      this.string();
      return STRING;
    }
    if (c === 0x7b) {
      this.object(depth + 1);
      return OBJECT;
    }
    if (c === 0x5b) {
      this.array(depth + 1);
      return ARRAY;
    }
    if (c === 0x6e) {
      this.literal(NULL_BYTES);
      return NULL;
    }
    if (c === 0x74) {
      this.literal(TRUE_BYTES);
      return TRUE;
    }
    if (c === 0x66) {
      this.literal(FALSE_BYTES);
      return FALSE;
    }
    this.number();
    return NUMBER;
  }

  private object(depth: number): void {
    if (depth > MAX_DEPTH) throw FALLBACK;
    this.i++;
    this.ws();
    if (this.peek() === 0x7d) {
      this.i++;
      return;
    }
    for (;;) {
      this.ws();
      this.string();
      this.ws();
      this.expect(0x3a);
      this.ws();
      this.value(depth);
      this.ws();
      if (this.peek() === 0x2c) this.i++;
      else {
        this.expect(0x7d);
        return;
      }
    }
  }

  private array(depth: number): void {
    if (depth > MAX_DEPTH) throw FALLBACK;
    this.i++;
    this.ws();
    if (this.peek() === 0x5d) {
      this.i++;
      return;
    }
    for (;;) {
      this.ws();
      this.value(depth);
      this.ws();
      if (this.peek() === 0x2c) this.i++;
      else {
        this.expect(0x5d);
        return;
      }
    }
  }
}

/**
 * Pure: whether four bytes (a little-endian word) are all plain string bytes: none below 0x20, a
 * quote, a backslash or 0x80 and above. Bit tricks, exact for "is there any such byte" (Anderson's
 * haszero and hasless): x - 0x01 borrows into the high bit only from a zero byte, and so on.
 */
export function plainWord(w: number): boolean {
  const q = w ^ 0x22222222;
  const s = w ^ 0x5c5c5c5c;
  return ((w | ((w - 0x20202020) & ~w) | ((q - 0x01010101) & ~q) | ((s - 0x01010101) & ~s)) & 0x80808080) === 0;
}

const NULL_BYTES = [0x6e, 0x75, 0x6c, 0x6c];
const TRUE_BYTES = [0x74, 0x72, 0x75, 0x65];
const FALSE_BYTES = [0x66, 0x61, 0x6c, 0x73, 0x65];

/** 10^0 … 10^22: every one exact as a double. */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/**
 * The value of the JSON number in [start, end) (already checked by Scanner.number), exactly as
 * JSON.parse gives it. At most 15 significant digits and a power of ten within 10^±22: both exact
 * doubles, so one multiplication or division rounds once, correctly (Clinger's fast path). Anything
 * else goes through Number() on the same characters, which is the same conversion JSON.parse does.
 */
export function numberAt(b: Uint8Array, start: number, end: number): number {
  let i = start;
  const negative = b[i] === MINUS;
  if (negative) i++;
  let m = 0;
  let digits = 0;
  let scale = 0;
  for (; i < end; i++) {
    const c = b[i] as number;
    if (c < ZERO || c > 0x39) break;
    if (m !== 0 || c !== ZERO) digits++;
    m = m * 10 + (c - ZERO);
  }
  if (i < end && b[i] === DOT) {
    for (i++; i < end; i++) {
      const c = b[i] as number;
      if (c < ZERO || c > 0x39) break;
      if (m !== 0 || c !== ZERO) digits++;
      m = m * 10 + (c - ZERO);
      scale--;
    }
  }
  if (i < end) {
    // An exponent: at most 3 digits here (larger ones are rare: Number() takes them).
    i++;
    let sign = 1;
    if (b[i] === MINUS) {
      sign = -1;
      i++;
    } else if (b[i] === 0x2b) i++;
    if (end - i > 3) return Number(latin1(b, start, end));
    let e = 0;
    for (; i < end; i++) e = e * 10 + ((b[i] as number) - ZERO);
    scale += sign * e;
  }
  if (digits > 15 || scale > 22 || scale < -22) return Number(latin1(b, start, end));
  const v = scale === 0 ? m : scale > 0 ? m * (POW10[scale] as number) : m / (POW10[-scale] as number);
  return negative ? -v : v;
}

/** ASCII bytes as a string (the fast decoder only takes ASCII, where Latin-1 and UTF-8 agree). */
export function latin1(b: Uint8Array, start: number, end: number): string {
  if (end - start <= 16) {
    let s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(b[i] as number);
    return s;
  }
  return ASCII.decode(b.subarray(start, end));
}

const ASCII = new TextDecoder();

/** FNV-1a over [start, end), continuing from `h`. */
export function hashBytes(b: Uint8Array, start: number, end: number, h = 0x811c9dc5): number {
  for (let i = start; i < end; i++) h = Math.imul(h ^ (b[i] as number), 0x01000193);
  return h;
}

/** Whether [start, end) of `b` holds exactly `want`. */
export function bytesEqual(b: Uint8Array, start: number, end: number, want: Uint8Array, at = 0): boolean {
  if (end - start > want.length - at) return false;
  for (let i = start, k = at; i < end; i++, k++) if (b[i] !== want[k]) return false;
  return true;
}
