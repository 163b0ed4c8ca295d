// Where push bodies and queue messages are decoded: large ones on decode threads (JSON.parse and the checks of a
// 1,000-sample body take about a millisecond; two threads do that while the main thread applies
// and answers), small ones inline, where a thread hop would cost more than it saves. Either way
// the same pure decodeBatch runs, so the result does not depend on where.

import { Piscina } from 'piscina';
import { type BatchContext, decodeBatch, decodeJoinedBatch } from '../push/batch.js';
import type { DecodeResult, DecodeTask, JoinedResult } from '../push/decode-worker.js';
import { workerExecArgv, workerUrl } from './worker-url.js';

const workerFile = workerUrl('../push/decode-worker');

/** Bodies smaller than this are decoded inline. */
const INLINE_BELOW_BYTES = 32 * 1024;
/** Queue batches with fewer messages than this are decoded inline. */
const INLINE_BELOW_MESSAGES = 64;

/** Bytes the thread may take: moved when they own their buffer, else copied once into one that does. */
function movable(bytes: Uint8Array): Uint8Array {
  // Uint8Array's slice copies (a Buffer's would not: it is a view).
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes
    : Uint8Array.prototype.slice.call(bytes);
}
/** Bodies waiting for a thread at most; past that they are decoded inline (the queue stays bounded). */
const MAX_QUEUE = 64;

export class DecodePool {
  private readonly piscina: Piscina<DecodeTask, DecodeResult | JoinedResult>;
  /** Told when a decode thread failed (the body was then decoded inline). */
  onFailure: ((error: unknown) => void) | null = null;

  constructor(threads: number) {
    this.piscina = new Piscina({
      filename: workerFile,
      minThreads: 0,
      maxThreads: threads,
      idleTimeout: 30_000,
      ...(workerExecArgv ? { execArgv: workerExecArgv } : {}),
    });
  }

  /**
   * The batch, and the body's bytes (the same, or moved back from the thread: the push log writes
   * them). A body that owns its whole buffer is moved to the thread and back, never copied; if that
   * thread dies, the body is gone and the push is answered 503 (nothing of it was applied: a retry
   * is safe). Otherwise the thread gets a copy, and the body is decoded here if the thread fails.
   */
  async decode(bytes: Uint8Array, context: BatchContext): Promise<DecodeResult> {
    if (bytes.length < INLINE_BELOW_BYTES || this.piscina.queueSize >= MAX_QUEUE) {
      return { batch: decodeBatch(bytes, context), bytes };
    }
    const movable = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    try {
      return (await this.piscina.run(
        { bytes, context },
        movable ? { transferList: [bytes.buffer as ArrayBuffer] } : {},
      )) as DecodeResult;
    } catch (error) {
      this.onFailure?.(error);
      if (!movable) return { batch: decodeBatch(bytes, context), bytes };
      const message = 'decoding failed; nothing was applied, try again';
      return { batch: { error: { status: 503, reason: 'decode_failed', message, items: 0 } }, bytes };
    }
  }

  /**
   * `count` queue messages joined by NUL bytes → a batch (null: they do not split into `count`),
   * and the bytes, moved back. If the thread dies with them, the batch is null too: the caller
   * decodes the messages again from where they are kept (their processing list).
   */
  async decodeJoined(bytes: Uint8Array, count: number, context: BatchContext): Promise<JoinedResult> {
    if (count < INLINE_BELOW_MESSAGES || this.piscina.queueSize >= MAX_QUEUE) {
      return { batch: decodeJoinedBatch(bytes, count, context), bytes };
    }
    const own = movable(bytes);
    try {
      return (await this.piscina.run(
        { bytes: own, context, count },
        { transferList: [own.buffer as ArrayBuffer] },
      )) as JoinedResult;
    } catch (error) {
      this.onFailure?.(error);
      return { batch: null, bytes: new Uint8Array(0) };
    }
  }

  close(): Promise<void> {
    return this.piscina.destroy();
  }
}
