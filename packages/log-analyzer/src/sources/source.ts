// The contract every source keeps (files, push, the Redis queue). A source reads batches and hands
// each one to its sink; `sink.apply(batch)` resolves once the store has applied it, which is the
// acknowledgement. Its checkpoint position is a typed value that covers exactly the batches
// applied so far (fed in read order by InOrder, in-order.ts); the checkpointer reads it in the
// same synchronous section as the store's snapshot, and tells the source once a checkpoint that
// holds it is durable, so the source may let go of what it kept for a replay.

export type { Checkpointed } from '../store/checkpointer.js';

/**
 * Where a source's batches go: the store (through a transform). apply resolves once the store has
 * applied the batch, with what the store made of it (R: refusals to count or answer).
 */
export interface Sink<B, R = void> {
  apply(batch: B): R | Promise<R>;
}

/**
 * A sink whose apply has applied the batch when it returns. The push and queue sources move their
 * position right after it, in the same synchronous section, so a checkpoint sees both or neither;
 * a replay at start applies in order without waiting.
 */
export interface SyncSink<B, R = void> extends Sink<B, R> {
  apply(batch: B): R;
}

/**
 * Reads a saved position back: the typed value, or null when there is none (a first start) or
 * it is not one this source wrote. Called once, at the edge; nothing after it sees `unknown`.
 * `writtenAt` is when the checkpoint was written (ms since epoch), for positions saved by older
 * versions that lack a time of their own (the file source's `knownAt`).
 */
export type RestorePosition<P> = (saved: unknown, writtenAt: number) => P | null;
