// The bounded set of method label values. Anything else a client sends is `OTHER`,
// so a scanner spraying random verbs cannot grow the number of series.

export const METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'CONNECT',
  'TRACE',
  'OTHER',
] as const;
export const OTHER = METHODS.length - 1;

const BY_LENGTH: readonly (readonly [number, Uint8Array][])[] = (() => {
  const table: [number, Uint8Array][][] = [];
  METHODS.forEach((name, index) => {
    if (index === OTHER) return;
    const bucket = table[name.length] ?? [];
    bucket.push([index, new TextEncoder().encode(name)]);
    table[name.length] = bucket;
  });
  return table;
})();

/** Index into METHODS of the token buf[start, end), compared case-sensitively as HTTP requires. */
export function methodIndex(buf: Uint8Array, start: number, end: number): number {
  const candidates = BY_LENGTH[end - start];
  if (candidates === undefined) return OTHER;
  outer: for (const [index, name] of candidates) {
    for (let i = 0; i < name.length; i++) {
      if (buf[start + i] !== name[i]) continue outer;
    }
    return index;
  }
  return OTHER;
}
