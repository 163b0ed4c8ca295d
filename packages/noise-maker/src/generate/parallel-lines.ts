// Lines for `--rate max`, rendered on worker threads ahead of the writer and handed out in
// order: rendering is what limits the rate, so the other cores render while this one writes.
// Block b is rendered by thread b mod n; the bytes are those LineSource gives for the same seed,
// whichever thread renders them (its draws restart per block).

import { Worker } from 'node:worker_threads';
import { BLOCK_LINES, type LineSource, type LineSourceOptions, type RenderedBlock } from './line-source.js';

/**
 * A thread running render-worker beside this module: the built .js, or from source (tsx) the .ts,
 * through tsx registered in the thread (a thread does not get the parent's loader hooks).
 */
function renderThread(options: LineSourceOptions): Worker {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./render-worker.js', import.meta.url), { workerData: options });
  const source = JSON.stringify(new URL('./render-worker.ts', import.meta.url).href);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  return new Worker(`import(${tsx}).then((t) => t.register()).then(() => import(${source}))`, {
    eval: true,
    workerData: options,
  });
}

interface Pending {
  resolve(block: RenderedBlock): void;
  reject(error: Error): void;
}

/** Where the writer gets its lines from: on this thread, or from ParallelLines. */
export interface Lines {
  /** Lines that can be taken now; waits for some when none are ready. */
  ready(): Promise<number>;
  /** The next `count` lines (at most what ready() said), stamped `nowMs` unless rendered ahead. */
  take(count: number, nowMs: number): Uint8Array;
  /** Malformed lines among those taken so far. */
  readonly malformed: number;
  close(): Promise<void>;
}

export class ParallelLines implements Lines {
  private readonly workers: Worker[];
  private readonly pending: Pending[][];
  /** Blocks asked for and not yet taken, in order. */
  private readonly ahead: Promise<RenderedBlock>[] = [];
  private nextBlock = 0;
  private current: RenderedBlock | null = null;
  private line = BLOCK_LINES;
  malformed = 0;

  /** `threads` workers, each with `depth` blocks asked of it at a time (bounds the memory). */
  constructor(options: LineSourceOptions, threads: number, depth = 4) {
    this.workers = Array.from({ length: threads }, () => renderThread(options));
    this.pending = this.workers.map(() => []);
    this.workers.forEach((worker, k) => {
      const queue = this.pending[k] as Pending[];
      worker.on('message', (block: RenderedBlock) => queue.shift()?.resolve(block));
      const fail = (error: Error) => {
        for (const p of queue.splice(0)) p.reject(error);
      };
      worker.on('error', fail);
      worker.on('exit', (code) => fail(new Error(`a rendering thread stopped (exit ${code})`)));
    });
    for (let i = 0; i < threads * depth; i++) this.ask();
  }

  async ready(): Promise<number> {
    if (this.line === BLOCK_LINES) {
      this.current = await (this.ahead.shift() as Promise<RenderedBlock>);
      this.line = 0;
      this.ask();
    }
    return BLOCK_LINES - this.line;
  }

  take(count: number): Uint8Array {
    const block = this.current as RenderedBlock;
    const first = this.line;
    const last = first + count; // exclusive
    for (const i of block.malformed) if (i >= first && i < last) this.malformed++;
    this.line = last;
    return block.bytes.subarray(first === 0 ? 0 : block.ends[first - 1], block.ends[last - 1]);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private ask(): void {
    const block = this.nextBlock++;
    const k = block % this.workers.length;
    const promise = new Promise<RenderedBlock>((resolve, reject) =>
      (this.pending[k] as Pending[]).push({ resolve, reject }),
    );
    promise.catch(() => {}); // awaited in turn by ready(); an unawaited one must not crash the process
    this.ahead.push(promise);
    (this.workers[k] as Worker).postMessage(block);
  }
}

/** Lines rendered on this thread as they are taken (stamped with the time they are written). */
export function linesOnThisThread(source: LineSource): Lines {
  return {
    ready: async () => Number.POSITIVE_INFINITY,
    take: (count, nowMs) => source.next(count, nowMs),
    get malformed() {
      return source.malformed;
    },
    close: async () => {},
  };
}
