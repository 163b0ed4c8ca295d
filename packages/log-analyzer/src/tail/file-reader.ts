// Reads one open file from an offset to EOF in newline-cut chunks and hands them to the pool.
// Owns the file's fd, its read offset and its partial last line. Shared by `scan` (read once)
// and the tailer (read again on every change), so both count lines the same way.

import { type FileHandle, open } from 'node:fs/promises';
import type { ChunkSummary } from '../parse/chunk-summary.js';
import { emptySummary } from '../parse/chunk-summary.js';
import type { ParsePool } from '../pool/parse-pool.js';
import { LineChunker } from './line-chunker.js';

export interface FileReaderOptions {
  pool: ParsePool;
  maxLineBytes: number;
  /** Receives every summary of this file, in file order. */
  onSummary: (summary: ChunkSummary) => void;
  onRead?: (bytes: number) => void;
  /**
   * Asked after every read, before its bytes are counted: is this still the file we were reading?
   * A file truncated and rewritten while a read was under way would otherwise have new content
   * counted from the old offset (and again from 0 once the truncation is noticed).
   */
  stillSameFile?: () => Promise<boolean>;
}

export class FileReader {
  /** Next byte to read. */
  offset: number;
  private readonly chunker: LineChunker;
  /** Chunks handed to the pool, oldest first: their end offsets and, once parsed, their summaries. */
  private readonly pending: Pending[] = [];
  private readonly merges = new Set<Promise<void>>();
  private committed: number;

  private constructor(
    readonly handle: FileHandle,
    offset: number,
    private readonly options: FileReaderOptions,
  ) {
    this.offset = offset;
    this.committed = offset;
    this.chunker = new LineChunker(options.maxLineBytes, (size) => options.pool.buffer(size));
  }

  static async open(path: string, offset: number, options: FileReaderOptions): Promise<FileReader> {
    return new FileReader(await open(path, 'r'), offset, options);
  }

  /**
   * The offset up to which every line has been merged into the metrics: what a saved
   * position may record. It never passes a partial line or a chunk still being parsed.
   */
  get committedOffset(): number {
    return this.pending.length > 0 ? this.committed : this.offset - this.chunker.pendingBytes;
  }

  /** Reads to the current end of file. Resolves once everything read is handed to the pool. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      // No fstat per read: a short read says we reached the end (it costs a thread-pool round trip).
      const want = this.options.pool.readBytes;
      await this.options.pool.acquire();
      const { buffer, carried } = this.chunker.prepare(want);
      let bytesRead: number;
      try {
        ({ bytesRead } = await this.handle.read(buffer, carried, want, this.offset));
        if (bytesRead === 0 || (this.options.stillSameFile && !(await this.options.stillSameFile()))) {
          this.options.pool.release(); // the caller notices the truncation and restarts at 0
          return total;
        }
      } catch (error) {
        this.options.pool.release(); // a slot lost here would stall every file after a few errors
        throw error;
      }
      this.offset += bytesRead;
      total += bytesRead;
      this.options.onRead?.(bytesRead);
      this.dispatch(this.chunker.accept(buffer, carried, bytesRead));
      if (bytesRead < want) return total;
    }
  }

  /** End of this file's data: its unterminated last line, if any, is counted now. */
  async flush(): Promise<void> {
    await this.options.pool.acquire();
    this.dispatch(this.chunker.flush());
  }

  /** Forget the partial line (the file was truncated): reading restarts at `offset`. */
  async restartAt(offset: number): Promise<void> {
    await this.settled(); // chunks of the old content must not move the committed offset afterwards
    this.chunker.reset();
    this.offset = offset;
  }

  /** Resolves when every chunk handed out so far is merged. */
  async settled(): Promise<void> {
    while (this.merges.size > 0) await Promise.all(this.merges);
  }

  async close(): Promise<void> {
    await this.settled();
    await this.handle.close();
  }

  /**
   * Called holding one pool slot, which the chunk's task (or this method) gives back.
   * Summaries are merged in file order, whatever order the workers finish in: that keeps
   * the committed offset exact and makes output (and golden files) deterministic.
   */
  private dispatch({ chunk, tooLong }: { chunk: Uint8Array | null; tooLong: number }): void {
    if (tooLong > 0) this.enqueue(Promise.resolve({ ...emptySummary(), lines: tooLong, tooLong }));
    if (!chunk) {
      this.options.pool.release();
      return;
    }
    this.enqueue(this.options.pool.run(chunk));
  }

  private enqueue(result: Promise<ChunkSummary>): void {
    const entry: Pending = { end: this.offset - this.chunker.pendingBytes, summary: null, done: false };
    this.pending.push(entry);
    const merge = result
      .then(
        (summary) => {
          entry.summary = summary;
        },
        (error: unknown) => {
          // Only a crashed worker gets here (parsing itself never throws): say so, keep going.
          console.error(
            `log-analyzer: a parse worker failed; lines before byte ${entry.end} were not counted: ${String(error)}`,
          );
        },
      )
      .then(() => {
        entry.done = true;
        while (this.pending[0]?.done) {
          const next = this.pending.shift() as Pending;
          if (next.summary) this.options.onSummary(next.summary);
          this.committed = next.end;
        }
      });
    this.merges.add(merge);
    void merge.finally(() => this.merges.delete(merge));
  }
}

interface Pending {
  end: number;
  summary: ChunkSummary | null;
  done: boolean;
}
