// File names that are not UTF-8. Linux allows any bytes in a name; Node decodes names as UTF-8
// and replaces what is not, so such a file could be listed but never opened. Names are decoded
// here the way Python's "surrogateescape" does: every byte that is not part of valid UTF-8
// becomes the lone surrogate U+DC80 + byte, which no valid UTF-8 can produce, so the way back to
// the exact bytes is unambiguous. Paths stay strings everywhere; fsPath() turns one back into
// the bytes the file system knows, at each file system call. Pure.

/** Whether a path holds escaped bytes (and so needs fsPath's Buffer). */
const ESCAPED = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/;

function sequenceLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i] as number;
  const need = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
  if (need === 0 || i + need > bytes.length) return 0;
  const second = bytes[i + 1] as number;
  // No overlong forms, no UTF-16 surrogates, nothing past U+10FFFF.
  const low = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
  const high = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
  if (second < low || second > high) return 0;
  for (let k = 2; k < need; k++) {
    const c = bytes[i + k] as number;
    if (c < 0x80 || c > 0xbf) return 0;
  }
  return need;
}

/** A name's bytes → a string: UTF-8 where it is, each other byte as U+DC80 + byte. */
export function decodeName(bytes: Uint8Array): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = buffer.toString('utf8');
  // U+FFFD marks a replaced byte, unless the name holds a real one (then the bytes match again).
  if (!text.includes('\uFFFD') || Buffer.from(text).equals(buffer)) return text;
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      out += String.fromCharCode(b);
      i++;
      continue;
    }
    const length = sequenceLength(bytes, i);
    if (length === 0) {
      out += String.fromCharCode(0xdc00 + b);
      i++;
    } else {
      out += buffer.toString('utf8', i, i + length);
      i += length;
    }
  }
  return out;
}

/** A path as the file system takes it: the string itself, or its exact bytes when it holds escaped ones. */
export function fsPath(path: string): string | Buffer {
  if (!ESCAPED.test(path)) return path;
  const parts: Buffer[] = [];
  let run = '';
  for (const ch of path) {
    const c = ch.charCodeAt(0);
    if (ch.length === 1 && c >= 0xdc80 && c <= 0xdcff) {
      if (run) parts.push(Buffer.from(run));
      run = '';
      parts.push(Buffer.from([c - 0xdc00]));
    } else run += ch;
  }
  if (run) parts.push(Buffer.from(run));
  return Buffer.concat(parts);
}
