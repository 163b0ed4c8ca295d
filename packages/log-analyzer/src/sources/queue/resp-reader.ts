// RESP2, the Redis wire protocol, for the claim connection (claim-connection.ts), pure: a command's
// bytes, where each reply ends in a stream of socket chunks, and a reply's value. A list of messages
// comes out as one buffer of the messages joined by NUL bytes, never as one object per message.
//
//   *3\r\n$4\r\nLLEN\r\n…   a command: an array of bulk strings
//   :1000\r\n               an integer       +OK\r\n   a status      -ERR …\r\n   an error
//   *2\r\n$5\r\nhello\r\n$-1\r\n   an array of bulk strings (a nil one: $-1)

const CR = 13;
const LF = 10;

/** A command as RESP: an array of bulk strings. */
export function encodeCommand(args: readonly string[]): string {
  let out = `*${args.length}\r\n`;
  for (const arg of args) out += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
  return out;
}

/** Where the next LF is at or after `from` (-1: none). A loop: header lines are a few bytes, shorter than a native call's cost. */
function lineEnd(buf: Uint8Array, from: number): number {
  for (let at = from; at < buf.length; at++) if (buf[at] === LF) return at;
  return -1;
}

/** The decimal integer in buf[from, to) (RESP lengths and integers; a sign allowed). */
function integerAt(buf: Uint8Array, from: number, to: number): number {
  let at = from;
  const negative = buf[at] === 45; // '-'
  if (negative) at++;
  let n = 0;
  for (; at < to; at++) n = n * 10 + ((buf[at] as number) - 48);
  return negative ? -n : n;
}

/**
 * Cuts a stream of socket chunks into whole replies. Scans each byte once (a bulk string's body
 * is skipped by its length, never looked at); a reply spanning chunks is joined into one buffer
 * (one copy), a reply within a chunk is a view of it.
 */
export class ReplyReader {
  private chunks: Buffer[] = [];
  /** Where the current reply starts in chunks[0]. */
  private first = 0;
  /** Where the scan is: chunks[chunk][at]. */
  private chunk = 0;
  private at = 0;
  /** Values of the current reply still to read (an array adds its elements). */
  private values = 1;
  /** Bytes of a bulk string (and its CRLF) still to pass. */
  private skip = 0;
  /** A header line split across chunks: its part in the earlier chunks. */
  private line: number[] = [];

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  /** The next whole reply, or null until more bytes come. */
  next(): Buffer | null {
    while (this.chunk < this.chunks.length) {
      const c = this.chunks[this.chunk] as Buffer;
      // Within the chunk: pass a bulk string's body, read a header line, until the reply is whole.
      while (true) {
        if (this.skip > 0) {
          const n = Math.min(this.skip, c.length - this.at);
          this.skip -= n;
          this.at += n;
          if (this.skip > 0) break; // the body goes on in the next chunk
        }
        if (this.values === 0) {
          const endAt = this.at;
          const end = this.chunk;
          if (endAt >= c.length) {
            this.chunk++;
            this.at = 0;
          }
          return this.cut(end, endAt);
        }
        const lf = lineEnd(c, this.at);
        if (lf < 0) {
          for (let i = this.at; i < c.length; i++) this.line.push(c[i] as number);
          this.at = c.length;
          break;
        }
        if (this.line.length > 0) {
          for (let i = this.at; i <= lf; i++) this.line.push(c[i] as number);
          this.header(Uint8Array.from(this.line), 0, this.line.length);
          this.line = [];
        } else {
          this.header(c, this.at, lf + 1);
        }
        this.at = lf + 1;
      }
      this.chunk++;
      this.at = 0;
    }
    return null;
  }

  /** A header line buf[from, to) (ending in CRLF): how many values and bytes follow. */
  private header(buf: Uint8Array, from: number, to: number): void {
    const type = buf[from];
    const end = buf[to - 2] === CR ? to - 2 : to - 1;
    this.values--;
    if (type === 36 /* $ */) {
      const length = integerAt(buf, from + 1, end);
      if (length >= 0) this.skip = length + 2;
    } else if (type === 42 /* * */) {
      const length = integerAt(buf, from + 1, end);
      if (length > 0) this.values += length;
    }
  }

  /** The reply that ends at chunks[end][endAt]; the scan goes on after it. */
  private cut(end: number, endAt: number): Buffer {
    const head = this.chunks[0] as Buffer;
    const reply =
      end === 0
        ? head.subarray(this.first, endAt)
        : Buffer.concat([
            head.subarray(this.first),
            ...this.chunks.slice(1, end),
            (this.chunks[end] as Buffer).subarray(0, endAt),
          ]);
    // Keep the chunk the next reply starts in (and those after it).
    this.chunks = this.chunks.slice(this.chunk);
    this.chunk = 0;
    this.first = this.at;
    this.values = 1;
    return reply;
  }
}

/** A reply that is no array: an integer, a status, a bulk string (null: nil), or an error. */
export type Scalar = number | string | Buffer | null | Error;

/** One whole reply that is no array (an array answers an Error). */
export function scalarOf(reply: Buffer): Scalar {
  const lf = lineEnd(reply, 0);
  const text = () => reply.toString('utf8', 1, lf - 1);
  switch (reply[0]) {
    case 58 /* : */:
      return integerAt(reply, 1, lf - 1);
    case 43 /* + */:
      return text();
    case 45 /* - */:
      return new Error(text());
    case 36 /* $ */:
      {
        const length = integerAt(reply, 1, lf - 1);
        return length < 0 ? null : reply.subarray(lf + 1, lf + 1 + length);
      }
    default:
      return new Error(`unexpected reply: ${reply.toString('latin1', 0, Math.min(lf, 40))}`);
  }
}

/**
 * One whole reply that is an array of bulk strings → how many, and them joined by NUL bytes in
 * one buffer of its own (the decode threads take it without a copy). An error reply: the Error.
 * The messages are moved together inside `reply` (it is spent), then copied out once.
 */
export function joinedOf(reply: Buffer): { count: number; bytes: Uint8Array } | Error {
  if (reply[0] !== 42 /* * */) {
    const scalar = scalarOf(reply);
    return scalar instanceof Error ? scalar : new Error('expected an array reply');
  }
  let lf = lineEnd(reply, 0);
  const count = Math.max(0, integerAt(reply, 1, lf - 1));
  // Each message moves left over the headers before it: `to` never passes where it is read from.
  let to = 0;
  let at = lf + 1;
  for (let i = 0; i < count; i++) {
    lf = lineEnd(reply, at);
    const length = integerAt(reply, at + 1, lf - 1);
    if (i > 0) reply[to++] = 0;
    if (length > 0) {
      reply.copyWithin(to, lf + 1, lf + 1 + length);
      to += length;
    }
    at = lf + 1 + (length >= 0 ? length + 2 : 0);
  }
  return { count, bytes: new Uint8Array(reply.buffer.slice(reply.byteOffset, reply.byteOffset + to)) };
}
