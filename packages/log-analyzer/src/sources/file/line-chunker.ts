// Cuts a byte stream into chunks that end on a newline, carrying the partial last line
// into the next read. Pure: the file tailer and `scan` feed it buffers; it never touches fs.
// A line longer than maxLineBytes is dropped as it streams past (counted, never held whole).

const NEWLINE = 0x0a;

export interface ChunkerOutput {
  /** Whole lines to parse (ends with "\n", or is the final flush), or null. Freshly allocated: safe to transfer. */
  chunk: Uint8Array | null;
  /** Lines that ended while being skipped for length. */
  tooLong: number;
}

export class LineChunker {
  private carry: Uint8Array = new Uint8Array(0);
  /** Bytes of the current over-long line dropped so far; 0 when not skipping. */
  private skipped = 0;

  /** `allocate` supplies read buffers: they are transferred to a worker, so never from Node's shared pool. */
  constructor(
    private readonly maxLineBytes: number,
    private readonly allocate: (size: number) => Uint8Array = (size) => new Uint8Array(size),
  ) {}

  /**
   * Bytes accepted but not yet emitted in a chunk or counted: a saved position
   * must stay before them so that a restart reads them again.
   */
  get pendingBytes(): number {
    return this.carry.length + this.skipped;
  }

  /**
   * A fresh buffer for the next read with the carried bytes already at its front;
   * read up to `readBytes` bytes into it at `carried`.
   */
  prepare(readBytes: number): { buffer: Uint8Array; carried: number } {
    const buffer = this.allocate(this.carry.length + readBytes);
    buffer.set(this.carry, 0);
    return { buffer, carried: this.carry.length };
  }

  /** Takes the buffer from prepare() after `read` new bytes landed at `carried`. */
  accept(buffer: Uint8Array, carried: number, read: number): ChunkerOutput {
    let start = 0;
    let tooLong = 0;
    const filled = carried + read;
    if (this.skipped > 0) {
      const nl = buffer.indexOf(NEWLINE, carried);
      if (nl < 0 || nl >= filled) {
        this.skipped += read;
        return { chunk: null, tooLong: 0 };
      }
      this.skipped = 0;
      tooLong = 1;
      start = nl + 1;
    }
    const last = buffer.lastIndexOf(NEWLINE, filled - 1);
    if (last < start) {
      this.keep(buffer, start, filled);
      return { chunk: null, tooLong };
    }
    const chunk = buffer.subarray(start, last + 1);
    this.keep(buffer, last + 1, filled);
    return { chunk, tooLong };
  }

  /** End of input (scan, or a file rotated away): the unterminated last line becomes a chunk. */
  flush(): ChunkerOutput {
    const tooLong = this.skipped > 0 ? 1 : 0;
    const chunk = this.carry.length > 0 ? this.carry : null;
    this.reset();
    return { chunk, tooLong };
  }

  /** Forget everything held (the file was truncated under us). */
  reset(): void {
    this.carry = new Uint8Array(0);
    this.skipped = 0;
  }

  private keep(buffer: Uint8Array, from: number, to: number): void {
    const rest = to - from;
    // One byte of slack: the limit is on the line without its "\r\n" / "\n".
    if (rest > this.maxLineBytes + 1) {
      this.carry = new Uint8Array(0);
      this.skipped = rest;
      return;
    }
    // A copy, not a view: `buffer` is about to be transferred to a worker.
    this.carry = rest > 0 ? new Uint8Array(buffer.subarray(from, to)) : new Uint8Array(0);
  }
}
