// Snappy block decompression (the raw format, not the framed one): what remote-write bodies are
// compressed with. Pure and bounded: the declared length is checked against a cap before anything
// is allocated, and every literal and copy against the input's and the output's ends.
//
// Format (github.com/google/snappy format_description.txt): a varint, the uncompressed length;
// then elements, each a tag byte whose low 2 bits say: 00 literal (length in the tag, or in the
// next 1-4 bytes), 01 copy of 4-11 bytes from an 11-bit offset, 10 copy of 1-64 bytes from a
// 16-bit offset, 11 the same from a 32-bit offset.

export class SnappyError extends Error {}

/** The uncompressed length a block declares (its leading varint), or an error when it has none. */
export function snappyLength(input: Uint8Array): { length: number; at: number } {
  let length = 0;
  let shift = 0;
  for (let at = 0; at < input.length && at < 5; at++) {
    const b = input[at] as number;
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) {
      if (length > 0xffffffff) break;
      return { length, at: at + 1 };
    }
    shift += 7;
  }
  throw new SnappyError('not a snappy block: no length at its start');
}

/** Pure: a snappy block → its bytes; throws SnappyError when it is not one or would exceed `maxBytes`. */
export function snappyDecompress(input: Uint8Array, maxBytes: number): Uint8Array {
  const { length, at: start } = snappyLength(input);
  if (length > maxBytes) {
    throw new SnappyError(`the body declares ${length} bytes uncompressed, more than ${maxBytes}`);
  }
  const out = new Uint8Array(length);
  let o = 0;
  let i = start;
  const end = input.length;
  while (i < end) {
    const tag = input[i++] as number;
    const kind = tag & 3;
    if (kind === 0) {
      let n = tag >>> 2;
      if (n >= 60) {
        const bytes = n - 59;
        if (i + bytes > end) throw new SnappyError('a literal length runs past the end');
        n = 0;
        for (let k = 0; k < bytes; k++) n += (input[i + k] as number) * 2 ** (8 * k);
        i += bytes;
      }
      n += 1;
      if (i + n > end) throw new SnappyError('a literal runs past the end of the body');
      if (o + n > length) throw new SnappyError('a literal runs past the declared length');
      out.set(input.subarray(i, i + n), o);
      i += n;
      o += n;
      continue;
    }
    let n: number;
    let offset: number;
    if (kind === 1) {
      if (i >= end) throw new SnappyError('a copy runs past the end of the body');
      n = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | (input[i++] as number);
    } else if (kind === 2) {
      if (i + 2 > end) throw new SnappyError('a copy runs past the end of the body');
      n = (tag >>> 2) + 1;
      offset = (input[i] as number) | ((input[i + 1] as number) << 8);
      i += 2;
    } else {
      if (i + 4 > end) throw new SnappyError('a copy runs past the end of the body');
      n = (tag >>> 2) + 1;
      offset =
        ((input[i] as number) | ((input[i + 1] as number) << 8) | ((input[i + 2] as number) << 16)) +
        (input[i + 3] as number) * 0x1000000;
      i += 4;
    }
    if (offset === 0 || offset > o) throw new SnappyError('a copy refers to bytes before the start');
    if (o + n > length) throw new SnappyError('a copy runs past the declared length');
    if (offset >= n) {
      out.copyWithin(o, o - offset, o - offset + n);
      o += n;
    } else {
      // Overlapping: the copy repeats the bytes it is writing (a run), so byte by byte.
      for (let k = 0; k < n; k++, o++) out[o] = out[o - offset] as number;
    }
  }
  if (o !== length) throw new SnappyError(`the body holds ${o} bytes, not the ${length} it declares`);
  return out;
}
