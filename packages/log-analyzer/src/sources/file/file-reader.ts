// Reads one open file from an offset to EOF in newline-cut chunks and hands each to its sink (the
// parse stage). Owns the file's fd, its read offset, its partial last line, and the committed
// offset: the byte up to which every line has been acknowledged (applied to the store), fed only
// from InOrder. Shared by `scan` (read once) and the tailer (read again on every change).

import { type FileHandle, open } from 'node:fs/promises';
import type { ChunkSummary } from '../../store/chunk-summary.js';
import type { ChunkSink } from '../../transforms/log/parse-stage.js';
import type { Lease } from '../../transforms/pool/parse-pool.js';
import { InOrder } from '../in-order.js';
import { type Fingerprint, fingerprintBytes } from './fingerprint.js';
import { fsPath } from './fs-names.js';
import { LineChunker } from './line-chunker.js';

/** How many bytes before the committed offset are fingerprinted (to recognise a copy of the file). */
export const TAIL_BYTES = 128;

export interface FileReaderOptions {
  /**
   * Where this file's chunks go: parsed in any order, applied in read order; once apply()
   * returns, the committed offset moves past the chunk (in the same synchronous section).
   */
  sink: ChunkSink;
  maxLineBytes: number;
  onRead?: (bytes: number) => void;
  /**
   * Asked after every read, before its bytes are counted: is this still the file we were reading?
   * A file truncated and rewritten while a read was under way would otherwise have new content
   * counted from the old offset (and again from 0 once the truncation is noticed).
   */
  stillSameFile?: () => Promise<boolean>;
  /** Lines that could be neither parsed nor read again (reported, never silent). */
  onError?: (error: unknown) => void;
}

export class FileReader {
  /** Next byte to read. */
  offset: number;
  /** Set to stop reading at the next chunk boundary (shutdown). */
  stopping = false;
  private readonly chunker: LineChunker;
  /** Chunks handed on and not yet applied, in read order; applying one commits its end. */
  private readonly acks = new InOrder<Parsed>((settled) => {
    if (settled.status !== 'fulfilled') return; // never: dispatch() turns a failed parse into a value
    const { end, tail, summary, error } = settled.value;
    if (summary) this.options.sink.apply(summary);
    // Parsing failed and the bytes could not be read again (the file went away): say so.
    else this.options.onError?.(error);
    this.committed = end;
    this.committedTail = fingerprintBytes(tail);
  });
  private committed: number;
  /** The last bytes of what was handed on, and the fingerprint of those before `committed`. */
  private lastBytes: Uint8Array = new Uint8Array(0);
  private committedTail: Fingerprint = { length: 0, sha256: '' };

  private constructor(
    readonly handle: FileHandle,
    offset: number,
    private readonly options: FileReaderOptions,
  ) {
    this.offset = offset;
    this.committed = offset;
    this.chunker = new LineChunker(options.maxLineBytes, (size) => options.sink.buffer(size));
  }

  static async open(path: string, offset: number, options: FileReaderOptions): Promise<FileReader> {
    return new FileReader(await open(fsPath(path), 'r'), offset, options);
  }

  /** A reader of a file already open; it owns the handle from now on. */
  static over(handle: FileHandle, offset: number, options: FileReaderOptions): FileReader {
    return new FileReader(handle, offset, options);
  }

  /**
   * The offset up to which every line has been merged into the store: what a checkpoint may
   * record. It never passes a partial line or a chunk still being parsed.
   */
  get committedOffset(): number {
    return this.acks.size > 0 ? this.committed : this.offset - this.chunker.pendingBytes;
  }

  /** Fingerprint of the bytes just before committedOffset (empty when unknown). */
  get tailFingerprint(): Fingerprint {
    return this.committedTail;
  }

  /**
   * Reads to the current end of file. `size`, when known, saves the work when there is nothing
   * new: no pool slot, no buffer. Resolves once everything read is handed to the sink.
   */
  async drain(size = Number.POSITIVE_INFINITY): Promise<number> {
    let total = 0;
    while (!this.stopping && this.offset < size) {
      // No fstat per read: a short read says we reached the end (it costs a thread-pool round trip).
      const want = this.options.sink.readBytes;
      const lease = await this.options.sink.ready();
      const { buffer, carried } = this.chunker.prepare(want);
      let bytesRead: number;
      try {
        ({ bytesRead } = await this.handle.read(buffer, carried, want, this.offset));
        if (bytesRead === 0 || (this.options.stillSameFile && !(await this.options.stillSameFile()))) {
          lease.release(); // the caller notices the truncation and restarts at 0
          return total;
        }
      } catch (error) {
        lease.release(); // a slot lost here would stall every file after a few errors
        throw error;
      }
      this.offset += bytesRead;
      total += bytesRead;
      this.options.onRead?.(bytesRead);
      this.dispatch(lease, this.chunker.accept(buffer, carried, bytesRead));
      if (bytesRead < want) return total;
    }
    return total;
  }

  /** Start of the line that contains `size` (so a line being written when we start is read whole). */
  async lineStartAtOrBefore(size: number): Promise<number> {
    const window = Math.min(size, 64 * 1024);
    if (window === 0) return 0;
    const buffer = Buffer.alloc(window);
    const { bytesRead } = await this.handle.read(buffer, 0, window, size - window);
    const nl = buffer.subarray(0, bytesRead).lastIndexOf(0x0a);
    return nl < 0 ? (window === size ? 0 : size) : size - window + nl + 1;
  }

  /** End of this file's data: its unterminated last line, if any, is counted now. */
  async flush(): Promise<void> {
    const lease = await this.options.sink.ready();
    this.dispatch(lease, this.chunker.flush());
  }

  /**
   * Forget the partial line: reading restarts at `offset` (0 after a truncation; a saved offset on
   * start, with the fingerprint of the bytes before it when the checkpoint has one).
   */
  async restartAt(offset: number, tail: Fingerprint = { length: 0, sha256: '' }): Promise<void> {
    await this.settled(); // chunks of the old content must not move the committed offset afterwards
    this.chunker.reset();
    this.offset = offset;
    this.committed = offset;
    this.lastBytes = new Uint8Array(0);
    this.committedTail = tail;
  }

  /** Resolves when every chunk handed out so far is applied. */
  async settled(): Promise<void> {
    while (this.acks.size > 0) await this.acks.idle();
  }

  async close(): Promise<void> {
    this.stopping = true;
    await this.settled();
    await this.handle.close();
  }

  /**
   * Called holding one pool slot, which the sink's parse (or this method) gives back. Chunks are
   * applied in file order, whatever order the workers finish in: that keeps the committed offset
   * exact and makes output (and golden files) deterministic.
   */
  private dispatch(lease: Lease, { chunk, tooLong }: { chunk: Uint8Array | null; tooLong: number }): void {
    const end = this.offset - this.chunker.pendingBytes;
    // The skipped line's bytes are gone: what lies before the committed offset is unknown.
    if (tooLong > 0) this.lastBytes = new Uint8Array(0);
    if (!chunk && tooLong === 0) {
      lease.release();
      return;
    }
    if (chunk) this.lastBytes = lastBytesOf(this.lastBytes, chunk);
    const tail = this.lastBytes;
    // The chunk's bytes are the last `length` bytes before `end`; if a worker fails, read them again.
    const length = chunk?.length ?? 0;
    const again = async () => {
      const bytes = new Uint8Array(length);
      await this.handle.read(bytes, 0, length, end - length);
      return bytes;
    };
    const parsed = this.options.sink.parse({ bytes: chunk, tooLong, lease, again }).then(
      (summary): Parsed => ({ end, tail, summary, error: null }),
      (error: unknown): Parsed => ({ end, tail, summary: null, error }),
    );
    // A sink whose apply throws loses that chunk's counts, not the reader: say so, and go on.
    this.acks.add(parsed).catch((error: unknown) => this.options.onError?.(error));
  }
}

/** The last TAIL_BYTES of `previous` followed by `chunk` (copied: the chunk is about to move away). */
function lastBytesOf(previous: Uint8Array, chunk: Uint8Array): Uint8Array {
  if (chunk.length >= TAIL_BYTES) return chunk.slice(chunk.length - TAIL_BYTES);
  const keep = Math.min(previous.length, TAIL_BYTES - chunk.length);
  const out = new Uint8Array(keep + chunk.length);
  out.set(previous.subarray(previous.length - keep), 0);
  out.set(chunk, keep);
  return out;
}

/** A chunk back from its parse: where it ends, the bytes before that, and its counts (or why none). */
interface Parsed {
  end: number;
  tail: Uint8Array;
  summary: ChunkSummary | null;
  error: unknown;
}
