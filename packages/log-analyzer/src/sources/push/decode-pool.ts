// Where push bodies and queue messages are decoded: large ones on decode threads (JSON.parse and the checks of a
// 1,000-sample body take about a millisecond; two threads do that while the main thread applies
// and answers), small ones inline, where a thread hop would cost more than it saves. Either way
// the same pure decodeBatch runs, so the result does not depend on where.

import { Piscina } from 'piscina';
import { type BatchContext, type DecodedBatch, decodeBatch, decodeMessageBatch } from './batch.js';
import type { DecodeResult, DecodeTask } from './decode-worker.js';

const runningFromSource = import.meta.url.endsWith('.ts');
const workerFile = new URL(`./decode-worker.${runningFromSource ? 'ts' : 'js'}`, import.meta.url).href;

/** Bodies smaller than this are decoded inline. */
const INLINE_BELOW_BYTES = 32 * 1024;
/** Queue batches with fewer messages than this are decoded inline. */
const INLINE_BELOW_MESSAGES = 64;
/** Bodies waiting for a thread at most; past that they are decoded inline (the queue stays bounded). */
const MAX_QUEUE = 64;

export class DecodePool {
  private readonly piscina: Piscina<DecodeTask, DecodeResult | DecodedBatch>;
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

  /** Queue messages → a batch; the thread gets a copy, so if it fails they are decoded here. */
  async decodeMessages(messages: string[], context: BatchContext): Promise<DecodedBatch> {
    if (messages.length < INLINE_BELOW_MESSAGES || this.piscina.queueSize >= MAX_QUEUE) {
      return decodeMessageBatch(messages, context);
    }
    try {
      return (await this.piscina.run({ messages, context })) as DecodedBatch;
    } catch (error) {
      this.onFailure?.(error);
      return decodeMessageBatch(messages, context);
    }
  }

  close(): Promise<void> {
    return this.piscina.destroy();
  }
}
