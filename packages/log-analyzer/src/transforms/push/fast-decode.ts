// The fast decoder: a push body's or queue batch's UTF-8 bytes → the store's DecodedBatch in one
// scan (fast-scan.ts) and one pass over its rows, without an object, a labels object or a key
// string per sample. A series seen before (series-cache.ts, by raw bytes) costs a hash and a byte
// compare. Every item it does not take itself (first sight of a series, anything unusual, every
// refusal) goes to the exact checks (decode.ts decodeItem) on that item's own JSON, so the answer
// is the slow path's by construction; a body outside its subset returns null before anything is
// kept, and batch.ts decodes it the slow way. Pure apart from its caches (one set per thread).

import type { DecodedBatch } from '../../store/push-batch.js';
import { type BatchContext, Pass } from './fast-item.js';
import { ABSENT, ARRAY, Fallback, latin1, Scanner, STRING } from './fast-json.js';
import { at, METRICS, ROW, SOURCE, scanItem, scanItems } from './fast-scan.js';
import { FastCaches } from './series-cache.js';

const defaultCaches = new FastCaches();

function passFor(
  b: Uint8Array,
  context: BatchContext,
  caches: FastCaches,
  items: number,
  limits = context.limits,
): Pass {
  return new Pass(b, caches, limits, context.tenant, context, items);
}

/**
 * Pure: a push body's bytes → its batch, as batch.ts decodeBatch would make it; null when the body
 * is outside the fast subset or refused as a whole (the slow path then says exactly why).
 */
export function fastDecodeBatch(bytes: Uint8Array, context: BatchContext, caches = defaultCaches): DecodedBatch | null {
  const { table } = caches;
  table.clear();
  const s = new Scanner(bytes);
  try {
    s.ws();
    let top = -1;
    if (s.peek() === 0x5b) scanItems(s, table, 0);
    else {
      top = table.row();
      if (s.peek() !== 0x7b) return null;
      scanItem(s, table, top, true, 0);
    }
    s.ws();
    if (s.i !== s.end) return null;
    const rows = table.rows;
    const metrics = top >= 0 ? rows[top + at(METRICS)] : ABSENT;
    if (metrics !== ABSENT && metrics !== ARRAY) return null;
    const items = top < 0 ? table.count : metrics === ARRAY ? table.count - 1 : 1;
    if (items > context.limits.maxItems) return null;
    const pass = passFor(bytes, context, caches, items);
    let source = 'unknown';
    if (metrics === ARRAY && rows[top + at(SOURCE)] === STRING) {
      const start = (rows[top + at(SOURCE) + 1] as number) + 1;
      const end = (rows[top + at(SOURCE) + 2] as number) - 1;
      if (end > start) source = latin1(bytes, start, end);
    }
    const first = top < 0 || metrics === ABSENT ? 0 : 1;
    for (let index = 0; index < items; index++) pass.item((first + index) * ROW, index, source);
    const shape = top < 0 ? 'track-batch' : metrics === ARRAY ? 'batch' : 'track';
    return pass.grouper.finish(shape, items, pass.rejected);
  } catch (error) {
    if (error instanceof Fallback) return null;
    throw error;
  }
}

const withBom = new TextDecoder();
const keepBom = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Pure: `count` queue messages joined by NUL bytes → their batch, as batch.ts decodeJoinedBatch
 * would make it (null: they do not split into `count`). A message outside the fast subset is
 * decoded from its own text, exactly as it would be from the whole batch's (the first one's BOM
 * dropped, as TextDecoder drops it at the start of the bytes).
 */
export function fastDecodeJoined(
  bytes: Uint8Array,
  count: number,
  context: BatchContext,
  caches = defaultCaches,
): DecodedBatch | null {
  const { table } = caches;
  const pass = passFor(bytes, context, caches, count, {
    ...context.limits,
    maxItems: Math.max(context.limits.maxItems, count),
  });
  const s = new Scanner(bytes);
  const length = bytes.length;
  let index = 0;
  // A message ends at a NUL or the end: the scan stops there by itself (a NUL is never JSON), so
  // the bytes are read once; only a message handed over whole is searched for its end.
  for (let start = 0; ; index++) {
    if (index === count) return null;
    table.clear();
    s.range(start, length);
    let r = -1;
    let end = -1;
    try {
      s.ws();
      if (s.peek() === 0x7b) {
        r = table.row();
        scanItem(s, table, r, false, 0);
        s.ws();
        if (s.i === length || bytes[s.i] === 0) end = s.i;
        else r = -1;
      }
    } catch (error) {
      if (!(error instanceof Fallback)) throw error;
      r = -1;
    }
    if (r < 0) {
      end = bytes.indexOf(0, start);
      if (end < 0) end = length;
      pass.message((index === 0 ? withBom : keepBom).decode(bytes.subarray(start, end)), index);
    } else pass.item(r, index, 'unknown');
    if (end === length) break;
    start = end + 1;
  }
  if (index + 1 !== count) return null;
  return pass.grouper.finish('queue', count, pass.rejected);
}
