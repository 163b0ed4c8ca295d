// The contract every source keeps (files, push, the Redis queue). A source reads batches and hands
// each one to its sink; `sink.apply(batch)` resolves once the store has applied it, which is the
// acknowledgement. Its checkpoint position is a typed value that covers exactly the batches
// applied so far (fed in read order by InOrder, in-order.ts); the checkpointer reads it in the
// same synchronous section as the store's snapshot, and tells the source once a checkpoint that
// holds it is durable, so the source may let go of what it kept for a replay.

/** Where a source's batches go: the store (through a transform). Resolves once applied. */
export interface Sink<B> {
  apply(batch: B): void | Promise<void>;
}

/** A source as the checkpointer sees it. P is its position's own type (never `unknown`). */
export interface Checkpointed<P> {
  /** Its key in the checkpoint's `sources`. */
  readonly name: string;
  /** The position the store's counts include now; read in the checkpoint's synchronous section. */
  position(): P;
  /**
   * Moves whenever position() may have changed without the store changing (a file discovered or
   * forgotten): with the store's version it tells the checkpointer whether anything is new.
   */
  readonly positionVersion: number;
  /**
   * A checkpoint holding `newest` is durable; `oldestKept` is the position of the oldest
   * generation a start may still fall back to (`<file>.prev`). What both include may go.
   */
  durable(newest: P, oldestKept: P): void;
}

/**
 * Reads a saved position back: the typed value, or null when there is none (a first start).
 * `writtenAt` is when the checkpoint was written (ms since epoch), for positions saved by older
 * versions that lack a time of their own (the file source's `knownAt`).
 */
export type RestorePosition<P> = (saved: unknown, writtenAt: number) => P | null;
