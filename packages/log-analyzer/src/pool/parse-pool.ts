// The thread boundary: owns the piscina pool and the cap on chunks in flight.
// Readers `await acquire()` before they read, so a busy pool pauses reading and memory
// stays bounded by maxInFlight × chunk size, whatever the file size or write rate.

import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { ChunkSummary } from '../parse/chunk-summary.js';
import type { ParseTask } from '../parse/worker.js';

export interface ParsePoolOptions {
  workers: number;
  format: string;
  maxLineBytes: number;
  /** Chunks read but not yet merged, across all files. Default: 4 per worker. */
  maxInFlight?: number;
}

// Under vitest/tsx this module is TypeScript and so is its worker; built, both are .js.
const runningFromSource = import.meta.url.endsWith('.ts');
const workerFile = new URL(`../parse/worker.${runningFromSource ? 'ts' : 'js'}`, import.meta.url).href;

export function defaultWorkers(): number {
  return availableParallelism();
}

export class ParsePool {
  private readonly piscina: Piscina<ParseTask, ChunkSummary>;
  private readonly maxInFlight: number;
  private inFlight = 0;
  private readonly waiters: (() => void)[] = [];
  /** Told how long each chunk took, hand-off to result, in seconds. */
  onTask: ((seconds: number) => void) | null = null;

  constructor(private readonly options: ParsePoolOptions) {
    this.maxInFlight = options.maxInFlight ?? options.workers * 4;
    this.piscina = new Piscina({
      filename: workerFile,
      minThreads: options.workers,
      maxThreads: options.workers,
      concurrentTasksPerWorker: 2,
      idleTimeout: 60_000,
      execArgv: runningFromSource ? ['--import', 'tsx'] : [],
    });
  }

  /** Resolves when a chunk may be read; the caller must then run() it or release(). */
  acquire(): Promise<void> {
    if (this.inFlight < this.maxInFlight) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next)
      next(); // the slot passes straight to the next reader
    else this.inFlight--;
  }

  /** Parses one chunk on a worker. `bytes` is moved there: the caller must not touch it again. */
  async run(bytes: Uint8Array): Promise<ChunkSummary> {
    const started = performance.now();
    try {
      const task: ParseTask = { bytes, format: this.options.format, maxLineBytes: this.options.maxLineBytes };
      return await this.piscina.run(task, { transferList: [bytes.buffer as ArrayBuffer] });
    } finally {
      this.onTask?.((performance.now() - started) / 1000);
      this.release();
    }
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
