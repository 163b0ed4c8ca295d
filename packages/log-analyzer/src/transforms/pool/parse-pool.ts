// The thread boundary: owns the piscina pool, the cap on chunks in flight, and the chunk buffers.
// Readers `await acquire()` before they read, so a busy pool pauses reading. Buffers travel to a
// worker and back by transfer (moved, never copied) and are reused, so memory stays bounded by
// maxInFlight × bufferBytes whatever the file size or write rate, and no garbage piles up in
// the workers' heaps waiting for a collection.

import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { type ChunkSummary, emptySummary } from '../../store/chunk-summary.js';
import type { ParseResult, ParseTask } from '../log/worker.js';
import { workerExecArgv, workerUrl } from './worker-url.js';

/** One pool slot, owned by whoever acquired it until run() or release() gives it back (once). */
export interface Lease {
  release(): void;
}

/** How many times a chunk is tried before its lines are counted as worker failures. */
const ATTEMPTS = 3;

export interface ParsePoolOptions {
  workers: number;
  format: string;
  maxLineBytes: number;
  /** Bytes read per chunk (default 1 MiB: fewer, larger tasks measured fastest); raised to hold at least two maximal lines. */
  readBytes?: number;
  /** Chunks read but not yet merged, across all files. Default: 4 per worker. */
  maxInFlight?: number;
  /** A worker module other than the parser (tests use small fixtures that fail on purpose). */
  workerFile?: string;
  /** The `app` format's continuation pattern (RE2 syntax), or none. */
  continuation?: string | null;
  /** --route-label: the route templates requests are counted by (null: no route label, the default). */
  routes?: string[] | null;
}

const workerFile = workerUrl('../log/worker');
const DEFAULT_READ_BYTES = 1024 * 1024;

export function defaultWorkers(): number {
  return availableParallelism();
}

export class ParsePool {
  /** Bytes a reader may ask for in one read. */
  readonly readBytes: number;
  /** Size of every chunk buffer: one read plus a carried partial line. */
  private readonly bufferBytes: number;
  private readonly piscina: Piscina<ParseTask, ParseResult>;
  private readonly maxInFlight: number;
  private inFlight = 0;
  private readonly waiters: (() => void)[] = [];
  private readonly spare: ArrayBuffer[] = [];
  /** Told how long each chunk took, hand-off to result, in seconds. */
  onTask: ((seconds: number) => void) | null = null;
  /** Told of every failed attempt at a chunk (a worker threw or died). */
  onFailure: ((error: unknown) => void) | null = null;

  constructor(private readonly options: ParsePoolOptions) {
    this.maxInFlight = options.maxInFlight ?? options.workers * 4;
    this.readBytes = Math.max(options.readBytes ?? DEFAULT_READ_BYTES, 2 * (options.maxLineBytes + 2));
    this.bufferBytes = this.readBytes + options.maxLineBytes + 2;
    this.piscina = new Piscina({
      filename: options.workerFile ?? workerFile,
      minThreads: options.workers,
      maxThreads: options.workers,
      concurrentTasksPerWorker: 2,
      idleTimeout: 60_000,
      // Built, a parse thread takes none of the process's flags.
      execArgv: workerExecArgv ?? [],
    });
  }

  /** Resolves with a slot when a chunk may be read; the holder then run()s it or releases it. */
  async acquire(): Promise<Lease> {
    if (this.inFlight < this.maxInFlight) this.inFlight++;
    else await new Promise<void>((resolve) => this.waiters.push(resolve));
    let held = true;
    return {
      release: () => {
        if (!held) return; // a lease gives its slot back once, whoever calls
        held = false;
        const next = this.waiters.shift();
        if (next)
          next(); // the slot passes straight to the next reader
        else this.inFlight--;
      },
    };
  }

  /** A buffer of at least `size` bytes (at most readBytes + maxLineBytes + 2), reused when possible. */
  buffer(size: number): Uint8Array {
    if (size > this.bufferBytes) return new Uint8Array(size);
    return new Uint8Array(this.spare.pop() ?? new ArrayBuffer(this.bufferBytes), 0, size);
  }

  /**
   * Parses one chunk on a worker and gives the lease back. `bytes` is moved there: the caller
   * must not touch it again. A failed attempt moved the bytes away with it, so `again` supplies
   * them anew (the reader reads them from the file again); after ATTEMPTS failures the chunk's
   * lines are counted as worker failures, never dropped. `format`: the file's own (default --format).
   */
  async run(
    lease: Lease,
    bytes: Uint8Array,
    again: () => Promise<Uint8Array>,
    format = this.options.format,
    /** The user rules that read this chunk's file (worker.ts RuleSet as JSON text), or none. */
    rules: string | null = null,
  ): Promise<ChunkSummary> {
    const started = performance.now();
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.attempt(bytes, format, rules);
        } catch (error) {
          this.onFailure?.(error);
          bytes = await again();
          if (attempt >= ATTEMPTS) return failedSummary(bytes);
        }
      }
    } finally {
      this.onTask?.((performance.now() - started) / 1000);
      lease.release();
    }
  }

  private async attempt(bytes: Uint8Array, format: string, rules: string | null): Promise<ChunkSummary> {
    const { maxLineBytes, continuation = null, routes = null } = this.options;
    const task: ParseTask = { bytes, format, maxLineBytes, continuation, rules, ...(routes ? { routes } : {}) };
    const result = await this.piscina.run(task, { transferList: [bytes.buffer as ArrayBuffer] });
    const back = result.bytes.buffer as ArrayBuffer;
    if (back.byteLength === this.bufferBytes && this.spare.length < this.maxInFlight) this.spare.push(back);
    return result.summary;
  }

  /** Chunks handed on from now on are parsed with this (compiled) format; those in flight keep theirs. */
  setFormat(format: string): void {
    this.options.format = format;
  }

  /** The format chunks are parsed with when their file has none of its own. */
  get format(): string {
    return this.options.format;
  }

  stats(): { workers: number; queued: number; inFlight: number; maxInFlight: number; waitingReaders: number } {
    return {
      workers: this.piscina.threads.length,
      queued: this.piscina.queueSize,
      inFlight: this.inFlight,
      maxInFlight: this.maxInFlight,
      waitingReaders: this.waiters.length,
    };
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}

/** A chunk no worker could parse: every line in it is counted, as an error of its own kind. */
function failedSummary(bytes: Uint8Array): ChunkSummary {
  let lines = 0;
  for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, i + 1)) lines++;
  if (bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a) lines++; // a final unterminated line
  return { ...emptySummary(), lines, workerFailures: lines };
}
