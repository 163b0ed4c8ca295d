// The queue source's applied batches that still have their Redis list: each waits until a durable
// checkpoint includes it, then its list is deleted (with its dead letters, in one transaction).
// Owns that list and the release order: releases run one after another, never two at once.

import type { RedisQueue } from './redis-queue.js';

export interface AppliedBatch {
  seq: number;
  /** Dead letters to write with the batch's deletion. */
  dead: string[];
  messages: number;
}

export interface AppliedBatchesOptions {
  /** Dead letters kept, newest first (0: none). */
  deadMax: number;
  onDeadLetters(n: number): void;
  onError(subject: string, error: unknown): void;
  /** These batches' lists are gone: `messages` are no longer being processed; claims may have room again. */
  onReleased(messages: number): void;
}

export class AppliedBatches {
  private readonly pending: AppliedBatch[] = [];
  private releasing: Promise<void> = Promise.resolve();
  /** The last batch a written checkpoint includes. */
  durableUpTo = 0;

  constructor(
    private readonly redis: Pick<RedisQueue, 'ready' | 'release'>,
    private readonly options: AppliedBatchesOptions,
  ) {}

  /** Applied, not yet deleted (waiting for a checkpoint, or for Redis). */
  get size(): number {
    return this.pending.length;
  }

  add(batch: AppliedBatch): void {
    this.pending.push(batch);
  }

  /** Every batch up to `upTo` is durable: their lists go now (or at the next release, when Redis is away). */
  durable(upTo: number): Promise<void> {
    this.durableUpTo = upTo;
    return this.release(upTo);
  }

  /** Deletes the lists of the batches up to `upTo`; a failure is said, and the next release tries again. */
  release(upTo: number = this.durableUpTo): Promise<void> {
    this.releasing = this.releasing.then(async () => {
      const { deadMax } = this.options;
      const done = this.pending.filter((p) => p.seq <= upTo);
      if (done.length === 0 || !this.redis.ready) return;
      const dead = deadMax > 0 ? done.flatMap((p) => p.dead).slice(-deadMax) : [];
      try {
        await this.redis.release(
          done.map((p) => p.seq),
          dead,
          deadMax,
        );
      } catch (error) {
        this.options.onError('deleting applied batches (tried again at the next checkpoint)', error);
        return;
      }
      if (dead.length > 0) this.options.onDeadLetters(dead.length);
      let messages = 0;
      for (const p of done) {
        this.pending.splice(this.pending.indexOf(p), 1);
        messages += p.messages;
      }
      this.options.onReleased(messages);
    });
    return this.releasing;
  }

  /** Resolves once every release asked for so far has run. */
  settled(): Promise<void> {
    return this.releasing;
  }
}
