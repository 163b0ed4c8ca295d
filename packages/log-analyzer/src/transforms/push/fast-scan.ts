// The fast decoder's first pass: a push body's or queue message's bytes → a table of items, each a
// row of byte ranges (name, type, labels, value …), without building a string or an object. Pure.
// It throws FALLBACK (fast-json.ts) for anything outside its subset; an item it cannot describe
// exactly (a key given twice, an item that is not an object) is marked DELEGATE: the second pass
// hands that one item to the exact checks (decode.ts decodeItem).
//
//   {"metrics":[{"name":"app_requests_total","metric_type":"counter","labels":{"code":"200"},"value":{"value":3}}],"source":"web"}

import { ABSENT, ARRAY, FALLBACK, OBJECT, type Scanner } from './fast-json.js';

/** The fields of an item (and of a body: METRICS, SOURCE), each three numbers in a row: kind, start, end. */
export const NAME = 0;
export const METRIC_TYPE = 1;
export const TYPE = 2;
export const HELP = 3;
export const LABELS = 4;
export const VALUE = 5;
export const TIMESTAMP = 6;
export const SERVICE = 7;
export const TENANT = 8;
export const BUCKETS = 9;
export const QUANTILES = 10;
export const EPSILONS = 11;
/** `value` and `timestamp` inside an object `value`. */
export const INNER_VALUE = 12;
export const INNER_TIMESTAMP = 13;
export const METRICS = 14;
export const SOURCE = 15;
const FIELDS = 16;

/** A row: the item's start and end, flags, then the fields. */
export const START = 0;
export const END = 1;
export const FLAGS = 2;
export const ROW = 4 + 3 * FIELDS;
/** The hash of the labels object's names and values, when LABELS_PLAIN. */
export const LABELS_HASH = ROW - 1;
/** The item is decoded by the exact checks (decode.ts), not from its ranges. */
export const DELEGATE = 1;
/** The labels are an object of strings, hashed into LABELS_HASH while scanned. */
export const LABELS_PLAIN = 2;

/** A field's kind is at row + at(field), its start and end after it. */
export const at = (field: number) => 3 + 3 * field;

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
/** The keys known, each with its field (an item's; a body also takes metrics and source). */
const WORDS: [Uint8Array, number][] = [
  [ascii('name'), NAME],
  [ascii('type'), TYPE],
  [ascii('help'), HELP],
  [ascii('value'), VALUE],
  [ascii('labels'), LABELS],
  [ascii('service'), SERVICE],
  [ascii('buckets'), BUCKETS],
  [ascii('epsilons'), EPSILONS],
  [ascii('timestamp'), TIMESTAMP],
  [ascii('tenant_id'), TENANT],
  [ascii('quantiles'), QUANTILES],
  [ascii('metric_type'), METRIC_TYPE],
  [ascii('metrics'), METRICS],
  [ascii('source'), SOURCE],
];
/** A key's slot: its length and first two bytes, which tell every known key apart. */
const slot = (length: number, b0: number, b1: number) => ((length & 15) << 12) | ((b0 & 63) << 6) | (b1 & 63);
/** The word at each slot, plus one (0: none). */
const SLOTS = new Uint8Array(1 << 16);
WORDS.forEach(([word], w) => {
  const at = slot(word.length, word[0] as number, word[1] as number);
  if (SLOTS[at] !== 0) throw new Error('two known keys share a slot');
  SLOTS[at] = w + 1;
});

/** Pure: the field the key bytes [from, to) name (METRICS and SOURCE only when `body`), or -1. */
export function fieldOf(b: Uint8Array, from: number, to: number, body: boolean): number {
  const length = to - from;
  if (length < 4 || length > 11) return -1;
  const w = SLOTS[slot(length, b[from] as number, b[from + 1] as number)] as number;
  if (w === 0) return -1;
  const [word, field] = WORDS[w - 1] as [Uint8Array, number];
  if (word.length !== length) return -1;
  for (let k = 2; k < length; k++) if (word[k] !== b[from + k]) return -1;
  return field < METRICS || body ? field : -1;
}

/** Pure: the field a key of an object `value` names (its value or timestamp), or -1. */
export function innerFieldOf(b: Uint8Array, from: number, to: number): number {
  const field = fieldOf(b, from, to, false);
  return field === VALUE ? INNER_VALUE : field === TIMESTAMP ? INNER_TIMESTAMP : -1;
}

/** The rows of one scan; reused from body to body (a pass over a body owns it until it returns). */
export class ItemTable {
  rows = new Int32Array(ROW * 1024);
  count = 0;

  clear(): void {
    this.count = 0;
  }

  /** A new row, all fields ABSENT. */
  row(): number {
    const r = this.count++ * ROW;
    if (r + ROW > this.rows.length) {
      const grown = new Int32Array(this.rows.length * 2);
      grown.set(this.rows);
      this.rows = grown;
    }
    this.rows.fill(0, r, r + ROW);
    return r;
  }
}

/**
 * Scans the object at the cursor into row `r` (a body's top object also takes METRICS and SOURCE;
 * its metrics' items go to rows of their own). A known key given twice marks the row DELEGATE
 * (JSON.parse keeps the last; the exact checks see what it sees).
 */
export function scanItem(s: Scanner, table: ItemTable, r: number, body: boolean, depth: number): void {
  table.rows[r + START] = s.i;
  s.expect(0x7b);
  s.ws();
  if (s.peek() === 0x7d) s.i++;
  else {
    for (;;) {
      s.ws();
      s.string();
      const field = fieldOf(s.b, s.from, s.i - 1, body);
      s.ws();
      s.expect(0x3a);
      s.ws();
      const start = s.i;
      let kind: number;
      if (field === METRICS && s.peek() === 0x5b) {
        kind = ARRAY;
        scanItems(s, table, depth + 1);
      } else if (field === VALUE && s.peek() === 0x7b) {
        kind = OBJECT;
        scanValue(s, table, r, depth + 1);
      } else if (field === LABELS && s.peek() === 0x7b) {
        kind = OBJECT;
        scanLabels(s, table, r, depth + 1);
      } else kind = s.value(depth);
      if (field >= 0) {
        const rows = table.rows;
        const f = r + at(field);
        if (rows[f] !== ABSENT) {
          // A body's metrics or source twice: the exact path (they decide the whole body).
          if (field === METRICS || field === SOURCE) throw FALLBACK;
          rows[r + FLAGS] = (rows[r + FLAGS] as number) | DELEGATE;
        }
        rows[f] = kind;
        rows[f + 1] = start;
        rows[f + 2] = s.i;
      }
      s.ws();
      if (s.peek() === 0x2c) s.i++;
      else {
        s.expect(0x7d);
        break;
      }
    }
  }
  table.rows[r + END] = s.i;
}

/**
 * A labels object: plain (LABELS_PLAIN, hashed) when every value is a string; a value of another
 * kind is skipped (the item is refused: the exact checks say why).
 */
function scanLabels(s: Scanner, table: ItemTable, r: number, depth: number): void {
  let h = 0x811c9dc5;
  let plain = true;
  s.expect(0x7b);
  s.ws();
  if (s.peek() === 0x7d) s.i++;
  else {
    for (;;) {
      s.ws();
      h = s.hashedString(h);
      s.ws();
      s.expect(0x3a);
      s.ws();
      if (s.peek() === 0x22) h = s.hashedString(h);
      else {
        s.value(depth);
        plain = false;
      }
      s.ws();
      if (s.peek() === 0x2c) s.i++;
      else {
        s.expect(0x7d);
        break;
      }
    }
  }
  const rows = table.rows;
  rows[r + LABELS_HASH] = h;
  // A second labels key: the first one's flag must not stay (the row is DELEGATE then anyway).
  rows[r + FLAGS] = plain ? (rows[r + FLAGS] as number) | LABELS_PLAIN : (rows[r + FLAGS] as number) & ~LABELS_PLAIN;
}

/** An object `value`: its own `value` and `timestamp` into row `r`. */
function scanValue(s: Scanner, table: ItemTable, r: number, depth: number): void {
  s.expect(0x7b);
  s.ws();
  if (s.peek() === 0x7d) {
    s.i++;
    return;
  }
  for (;;) {
    s.ws();
    s.string();
    const field = innerFieldOf(s.b, s.from, s.i - 1);
    s.ws();
    s.expect(0x3a);
    s.ws();
    const start = s.i;
    const kind = s.value(depth);
    if (field >= 0) {
      const rows = table.rows;
      const f = r + at(field);
      if (rows[f] !== ABSENT) rows[r + FLAGS] = (rows[r + FLAGS] as number) | DELEGATE;
      rows[f] = kind;
      rows[f + 1] = start;
      rows[f + 2] = s.i;
    }
    s.ws();
    if (s.peek() === 0x2c) s.i++;
    else {
      s.expect(0x7d);
      return;
    }
  }
}

/** An array of items: one row each (an element that is not an object is a DELEGATE row). */
export function scanItems(s: Scanner, table: ItemTable, depth: number): void {
  s.expect(0x5b);
  s.ws();
  if (s.peek() === 0x5d) {
    s.i++;
    return;
  }
  for (;;) {
    s.ws();
    const r = table.row();
    if (s.peek() === 0x7b) scanItem(s, table, r, false, depth + 1);
    else {
      table.rows[r + START] = s.i;
      s.value(depth);
      table.rows[r + END] = s.i;
      table.rows[r + FLAGS] = DELEGATE;
    }
    s.ws();
    if (s.peek() === 0x2c) s.i++;
    else {
      s.expect(0x5d);
      return;
    }
  }
}
