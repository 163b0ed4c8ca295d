// Where push bodies are decoded: large ones on decode threads (JSON.parse and the checks of a
// 1,000-sample body take about a millisecond; two threads do that while the main thread applies
// and answers), small ones inline, where a thread hop would cost more than it saves. Either way
// the same pure decodeBatch runs, so the result does not depend on where.

import { Piscina } from 'piscina';
import { type BatchContext, type BatchError, type DecodedBatch, decodeBatch } from './batch.js';
import type { DecodeTask } from './decode-worker.js';

const runningFromSource = import.meta.url.endsWith('.ts');
const workerFile = new URL(`./decode-worker.${runningFromSource ? 'ts' : 'js'}`, import.meta.url).href;

/** Bodies smaller than this are decoded inline. */
const INLINE_BELOW_BYTES = 32 * 1024;
/** Bodies waiting for a thread at most; past that they are decoded inline (the queue stays bounded). */
const MAX_QUEUE = 64;

export class DecodePool {
  private readonly piscina: Piscina<DecodeTask, DecodedBatch | BatchError>;
  /** Told when a decode thread failed (the body was then decoded inline). */
  onFailure: ((error: unknown) => void) | null = null;

  constructor(threads: number) {
    this.piscina = new Piscina({
      filename: workerFile,
      minThreads: 0,
      maxThreads: threads,
      idleTimeout: 30_000,
      ...(runningFromSource ? { execArgv: ['--import', 'tsx'] } : {}),
    });
  }

  get queued(): number {
    return this.piscina.queueSize;
  }

  /** `keep`: the caller still needs the bytes afterwards (the push log), so they are copied, not moved. */
  async decode(bytes: Uint8Array, context: BatchContext, keep = false): Promise<DecodedBatch | BatchError> {
    if (bytes.length < INLINE_BELOW_BYTES || this.piscina.queueSize >= MAX_QUEUE) return decodeBatch(bytes, context);
    // A body that owns its whole buffer is moved to the thread, not copied; if that thread then
    // dies, the body is gone and the request is answered 503 (nothing of it was applied: a retry
    // is safe). Otherwise the copy is decoded here.
    const movable = !keep && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    try {
      return await this.piscina.run({ bytes, context }, movable ? { transferList: [bytes.buffer as ArrayBuffer] } : {});
    } catch (error) {
      this.onFailure?.(error);
      if (movable) {
        return {
          error: {
            status: 503,
            reason: 'decode_failed',
            message: 'decoding failed; nothing was applied, try again',
            items: 0,
          },
        };
      }
      return decodeBatch(bytes, context);
    }
  }

  close(): Promise<void> {
    return this.piscina.destroy();
  }
}
