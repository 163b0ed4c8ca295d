// The `route` label of the access-log request families (--route-label): the path bytes a parser
// found (ParsedLine.pathStart/pathEnd) made a bounded label value in the parse worker. route.ts
// decides templates and ids; this adds what raw bytes from a log need first. Pure.

import { type RouteTemplate, routeOf } from './route.js';

/** Longest route label value, in characters (as rule labels are cut). */
export const MAX_ROUTE = 128;
/** Bytes of a path read at most: a longer path is cut there (its route is cut anyway). */
const MAX_PATH_BYTES = 2048;
const QUERY = 0x3f; // ?
const FRAGMENT = 0x23; // #
const decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * The route of buf[start, end): "" when the line has no path (start < 0, or `-`, or not starting
 * with `/`: `*`, a full URL of a proxy request keeps its text through routeOf).
 * Query and fragment dropped on the bytes; invalid UTF-8 decodes to U+FFFD; `.` and `..` segments
 * resolved as a URL's are (never above the root); percent-escapes kept as written (no decoding:
 * `%2F` is not a segment break); then templates, ids, and the length cut.
 */
export function routeOfBytes(buf: Uint8Array, start: number, end: number, templates: readonly RouteTemplate[]): string {
  if (start < 0 || end <= start) return '';
  let stop = Math.min(end, start + MAX_PATH_BYTES);
  let ascii = true;
  for (let i = start; i < stop; i++) {
    const c = buf[i] as number;
    if (c === QUERY || c === FRAGMENT) {
      stop = i;
      break;
    }
    if (c > 0x7f) ascii = false;
  }
  // ASCII (nearly every path): a latin1 slice, several times cheaper per call than TextDecoder.
  const path = ascii ? asBuffer(buf).toString('latin1', start, stop) : decoder.decode(buf.subarray(start, stop));
  if (path === '-' || path === '') return '';
  const route = routeOf(resolveDots(path), templates);
  return route.length > MAX_ROUTE ? route.slice(0, MAX_ROUTE) : route;
}

function asBuffer(buf: Uint8Array): Buffer {
  return Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** `/a/./b/../c` → `/a/c`; `..` past the root stays at the root. */
function resolveDots(path: string): string {
  if (!path.includes('/.')) return path; // no segment starts with a dot: nothing to resolve
  const out: string[] = [];
  for (const s of path.split('/')) {
    if (s === '.' || s === '') continue;
    if (s === '..') out.pop();
    else out.push(s);
  }
  return `/${out.join('/')}`;
}
