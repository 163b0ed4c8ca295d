// The queue source: drains a Redis list that senders LPUSH metric messages onto, exactly once.
//
// A batch is claimed atomically (moved onto this consumer's processing list for the batch, see
// redis-queue.ts), decoded on the decode threads (--redis-workers batches at a time, and one more
// claimed ahead, so a thread never waits for a claim), and applied
// to the store in claim order, so a gauge ends at the last value pushed. The batch's list is
// deleted only once the checkpoint that includes it is written; a start applies again the lists
// the checkpoint does not include and deletes those it does. So kill -9 at any moment neither
// loses nor doubles a message. A consumer holds a lease while alive, renewed on its own timer
// (lease-keeper.ts), and applies a batch only while the lease certainly holds; another takes over
// its lists once the lease has expired. Refused messages (and messages over the size limit, which
// never reach this process) go to a dead-letter list bounded in count and bytes. Redis down:
// reconnects, says so, loses nothing. The decisions are pure, in queue-plan.ts.

import type { RejectReason } from '../../metrics/catalog.js';
import type { DecodedBatch, Taken, TimedBatch } from '../../store/push-batch.js';
import { countByReason } from '../../store/pushed-families.js';
import { type BatchContext, decodeMessageBatch } from '../../transforms/push/batch.js';
import { InOrder } from '../in-order.js';
import type { Checkpointed, SyncSink } from '../source.js';
import { AppliedBatches } from './applied-batches.js';
import { type LeaseClock, LeaseKeeper, REAL_CLOCK } from './lease-keeper.js';
import {
  deadLetter,
  foreignBatches,
  mayClaim,
  planRecovery,
  type QueuePosition,
  redactedUrl,
  refusals,
} from './queue-plan.js';
import { NUL, RedisQueue } from './redis-queue.js';
import { Waiters } from './waiters.js';

export interface QueueConfig {
  /** redis://[user:password@]host:port[/db] */
  url: string;
  key: string;
  /** Batches decoding at once (mayClaim: one more is claimed ahead). */
  workers: number;
  db: number;
  /** Most messages claimed at once. */
  batch: number;
  /** Dead letters kept, newest first. */
  deadMax: number;
  /** Names this consumer's processing lists: a restart must use the same (it is kept in the checkpoint). */
  consumer: string;
  /** A consumer silent this long is taken over. */
  leaseMs: number;
  /** A message longer than this (bytes) is dead-lettered as too_large without being read. */
  maxMessageBytes: number;
  /** The clock (ms) and the lease's timer (tests drive them; default: the real ones). */
  clock?: LeaseClock;
  /** Applied batches waiting for a checkpoint at most: past that, claiming waits (a failing checkpoint stops the drain). */
  maxPending?: number;
}

export interface QueueSourceOptions {
  config: QueueConfig;
  /** Applies a batch to the store (and counts the store's refusals). */
  sink: SyncSink<TimedBatch, Taken>;
  context: BatchContext;
  /** `count` messages joined by NUL bytes → a batch (null: they did not split into `count`), and the bytes back. */
  decode(
    bytes: Uint8Array,
    count: number,
    context: BatchContext,
  ): Promise<{ batch: DecodedBatch | null; bytes: Uint8Array }>;
  /** The checkpoint's position at start, when it is this consumer's (null: none, every list is new). */
  restored: QueuePosition | null;
  /** Whether a checkpoint makes batches durable; without one a batch is deleted once applied. */
  checkpointed: boolean;
  /** Who holds the lease: a restart of this process (same checkpoint) is the same owner. */
  owner: string;
  onMessages(result: 'accepted' | 'rejected', reason: RejectReason | null, n: number): void;
  onDeadLetters(n: number): void;
  onBatch(seconds: number): void;
  onTakenOver(batches: number): void;
  onError(subject: string, error: unknown): void;
}

const DEPTH_EVERY_MS = 1000;
const MAX_PENDING_BATCHES = 10_000;
/** An empty queue is claimed again this often (a message waits at most this much longer). */
const EMPTY_POLL_MS = 100;

interface Claimed {
  seq: number;
  /** The messages, joined by NUL bytes. */
  bytes: Uint8Array;
  count: number;
  claimedAt: number;
}

/** A claimed batch, decoded on a thread: what InOrder hands on in claim order. */
interface Decoded {
  claimed: Claimed;
  /** null: the messages did not split (a NUL in one, or the thread died); read again one by one. */
  batch: DecodedBatch | null;
  bytes: Uint8Array;
}

export class QueueSource implements Checkpointed<QueuePosition> {
  readonly name = 'queue';
  readonly restored: QueuePosition | null;
  private readonly redis: RedisQueue;
  private nextSeq = 1;
  /** The last batch applied: every batch up to it is in the store. */
  private applied: number;
  /** Applied, not yet deleted (waiting for a checkpoint, or for Redis). */
  private readonly pending: AppliedBatches;
  /** The seq of a claim whose answer was lost with the connection: its list may hold messages. */
  private unsure: number | null = null;
  /** Batches are applied in claim order, whatever order their decodes finish in. */
  private readonly ordered = new InOrder<Decoded>((result) => this.handOn(result));
  /** A batch could not be read again: none after it may be applied (the next start applies it first). */
  private readFailed = false;
  /** Batches claimed and not yet applied (decoding, or waiting for their turn): at most workers + CLAIMED_AHEAD. */
  inFlight = 0;
  /** The claim loop waiting for room, backoff and empty-queue sleeps: woken by a change. */
  private readonly waiters = new Waiters();
  private stopped = false;
  private running: Promise<void> | null = null;
  private recovered = false;
  private nextTakeOverAt = 0;
  private depthTimer: NodeJS.Timeout | null = null;
  /** Sampled: messages waiting in the queue. */
  depth = 0;
  /** Messages claimed and not yet deleted. */
  processing = 0;
  up = false;
  /** Why draining stopped for good (until a restart); null while it goes on. */
  halted: string | null = null;
  /** Turns of the claim loop (tests wait for one more after a count is reached). */
  loops = 0;
  private readonly now: () => number;
  /** Our lease: renewed on its own timer; it fences applying. */
  readonly lease: LeaseKeeper;

  constructor(private readonly options: QueueSourceOptions) {
    const { config } = options;
    this.restored = options.restored;
    this.applied = options.restored?.applied ?? 0;
    const clock = config.clock ?? REAL_CLOCK;
    this.now = clock.now;
    this.redis = new RedisQueue({ ...config, owner: options.owner }, (error) => this.down(error));
    this.lease = new LeaseKeeper(
      (fresh) => this.redis.renewLease(fresh),
      config.leaseMs,
      clock,
      (why) => this.halt(`${why}; draining stopped until the next start (the batches it took are counted there)`),
    );
    this.pending = new AppliedBatches(this.redis, {
      deadMax: config.deadMax,
      onDeadLetters: options.onDeadLetters,
      onError: options.onError,
      onReleased: (messages) => {
        this.processing -= messages;
        this.waiters.wake(); // room for claims again
      },
    });
  }

  /** Stops draining for good (until a restart), and says why. */
  private halt(why: string): void {
    if (this.halted !== null) return;
    this.halted = why;
    this.options.onError(`queue consumer ${this.options.config.consumer}`, new Error(why));
    this.stopped = true;
    this.waiters.wake();
  }

  private down(error: unknown): void {
    if (this.stopped) return;
    if (this.up) this.options.onError(`redis ${redactedUrl(this.options.config.url)}`, error);
    this.up = false;
  }

  /** Connects and drains until stopped; Redis being away is reported, never fatal. */
  start(): void {
    this.lease.start();
    this.running = this.run();
    this.depthTimer = setInterval(() => {
      if (!this.redis.ready) return;
      this.redis
        .depth()
        .then((n) => {
          this.depth = n;
        })
        .catch(() => {});
    }, DEPTH_EVERY_MS);
    this.depthTimer.unref();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        await this.redis.connect();
        await this.ready();
        await this.redis.checkSizes();
        try {
          await this.lease.hold(!this.recovered);
        } catch (error) {
          throw new Error(
            `consumer ${this.options.config.consumer} is ${(error as Error).message}; give each replica its own --redis-consumer (waiting for its lease to expire)`,
          );
        }
        if (this.stopped) return;
        if (!this.recovered) await this.recover();
        if (this.unsure !== null) await this.reclaim(this.unsure);
        void this.pending.release();
        failures = 0;
        await this.drain();
      } catch (error) {
        if (this.stopped) return;
        this.down(error);
        this.options.onError(`redis ${redactedUrl(this.options.config.url)}`, error);
        await this.waiters.sleep(Math.min(100 * 2 ** failures++, 5000));
      }
    }
  }

  private async ready(): Promise<void> {
    while (!this.redis.ready) {
      if (this.stopped) return;
      await this.waiters.sleep(50);
    }
    this.up = true;
  }

  /** On start: our lists the checkpoint includes are deleted; the others are applied again, in order. */
  private async recover(): Promise<void> {
    const plan = planRecovery(await this.redis.ownBatches(), this.applied);
    await this.redis.remove(plan.remove);
    this.nextSeq = plan.next;
    for (const seq of plan.apply) await this.reclaim(seq);
    this.recovered = true;
  }

  /** A batch whose list is already ours: read it and apply it in its turn. */
  private async reclaim(seq: number): Promise<void> {
    const messages = await this.redis.batch(seq);
    this.unsure = null;
    if (messages.length > 0) {
      const bytes = Buffer.concat(messages.flatMap((m, i) => (i === 0 ? [m] : [NUL, m])));
      this.begin({ seq, bytes, count: messages.length, claimedAt: this.now() });
    }
  }

  /** Claims batches while there are messages and room; waits (blocking, no polling) when the queue is empty. */
  private async drain(): Promise<void> {
    const { config } = this.options;
    while (!this.stopped) {
      this.loops++;
      if (!mayClaim(this.inFlight, config.workers, this.pending.size, config.maxPending ?? MAX_PENDING_BATCHES)) {
        await this.waiters.next();
        continue;
      }
      if (this.now() >= this.nextTakeOverAt) await this.takeOver();
      const seq = this.nextSeq++;
      this.unsure = seq;
      const { count, bytes } = await this.redis.claim(seq, config.batch);
      this.unsure = null;
      if (count === 0) {
        // Empty: look again shortly (no blocking move: it would hand over a message of any size).
        this.nextSeq--; // nothing claimed: the number is used again
        await this.waiters.sleep(EMPTY_POLL_MS);
        continue;
      }
      this.begin({ seq, bytes, count, claimedAt: this.now() });
    }
  }

  /** Decodes a claimed batch (on a thread); InOrder applies it after the batch before it. */
  private begin(batch: Claimed): void {
    this.inFlight++;
    this.processing += batch.count;
    const decoded = this.options.decode(batch.bytes, batch.count, this.options.context);
    void this.ordered.add(decoded.then((result) => ({ claimed: batch, ...result })));
  }

  /** A batch's turn, in claim order: read again if it did not split, fenced by the lease, applied. */
  private async handOn(result: PromiseSettledResult<Decoded>): Promise<void> {
    try {
      // After a batch that could not be read again, applying a later one would let the checkpoint
      // include it and so lose the earlier one: they all wait in their lists for the next start.
      if (this.readFailed) return;
      if (result.status === 'rejected') throw result.reason;
      const { claimed, bytes } = result.value;
      const { context } = this.options;
      let texts: () => string[] = () => new TextDecoder().decode(bytes).split('\0');
      let ready = result.value.batch;
      if (!ready) {
        // A message held a NUL (or the thread died): decode them one by one, from their list.
        const messages = (await this.redis.batch(claimed.seq)).map(String);
        ready = decodeMessageBatch(messages, context);
        texts = () => messages;
      }
      // Never apply once the lease might have run out: another replica may be taking this batch.
      if (!(await this.lease.fence())) return;
      this.apply(claimed, ready, texts);
    } catch (error) {
      // Redis went away before the batch could be read again: it stays in its list, and the next
      // start applies it. Batches after it must not be applied before it: this source stops.
      this.options.onError('reading a batch again (it is applied at the next start)', error);
      this.halted = 'a batch could not be read again from Redis; draining stopped until the next start';
      this.readFailed = true;
      this.stopped = true;
    } finally {
      this.inFlight--;
      this.waiters.wake();
    }
  }

  /** The store applies the batch and its position moves in one synchronous section (a checkpoint sees both or neither). */
  private apply(batch: Claimed, decoded: DecodedBatch, texts: () => string[]): void {
    const { config } = this.options;
    const now = this.now();
    const taken = this.options.sink.apply({ batch: decoded, at: now });
    const rejected = refusals(taken.rejected, taken.rejected.length > 0 ? texts() : [], config.maxMessageBytes);
    for (const [reason, n] of countByReason(rejected)) this.options.onMessages('rejected', reason, n);
    if (taken.accepted > 0) this.options.onMessages('accepted', null, taken.accepted);
    this.applied = batch.seq;
    this.options.onBatch((now - batch.claimedAt) / 1000);
    // The list keeps the newest --redis-dead-max: so does the batch.
    const refused = config.deadMax > 0 ? rejected.slice(-config.deadMax) : [];
    const dead = refused.map((r) => deadLetter(r.text, r.reason, r.message, now, config.consumer, r.size));
    this.pending.add({ seq: batch.seq, dead, messages: batch.count });
    if (!this.options.checkpointed) void this.pending.durable(batch.seq);
  }

  /** Called in the checkpoint's synchronous section: which batches its counts include. */
  position(): QueuePosition {
    return { consumer: this.options.config.consumer, applied: this.applied };
  }

  /** Moves with every batch applied (even one whose messages were all refused). */
  get positionVersion(): number {
    return this.applied;
  }

  /** A checkpoint with this position is written: the batches it includes can go (with their dead letters). */
  durable(newest: QueuePosition): void {
    void this.pending.durable(newest.applied);
  }

  /** Takes over the lists of consumers whose lease has expired. */
  private async takeOver(): Promise<void> {
    const { config } = this.options;
    this.nextTakeOverAt = this.now() + config.leaseMs / 3;
    let taken = 0;
    for (const [consumer, batches] of foreignBatches(config.key, await this.redis.allBatches(), config.consumer)) {
      if (await this.redis.leaseHeld(consumer)) continue;
      for (const { name } of batches) {
        const seq = this.nextSeq++;
        this.unsure = seq;
        if (await this.redis.takeOver(consumer, name, seq)) {
          await this.reclaim(seq);
          taken++;
        } else {
          this.unsure = null;
          this.nextSeq--;
        }
      }
    }
    if (taken > 0) this.options.onTakenOver(taken);
  }

  /** Waits until every claimed batch is applied (tests, shutdown). */
  async idle(): Promise<void> {
    do await this.ordered.idle();
    while (this.ordered.size > 0);
  }

  /** Stops claiming and waits until every claimed batch is applied; the checkpoint after it includes them all. */
  async stop(): Promise<void> {
    this.stopped = true;
    // Batches already claimed are applied while the lease still holds; none after it could lapse.
    this.lease.stop();
    if (this.depthTimer) clearInterval(this.depthTimer);
    this.waiters.wake();
    await this.running?.catch(() => {});
    await this.idle();
  }

  /** After the last checkpoint: deletes what it includes, and disconnects. */
  async close(): Promise<void> {
    await this.stop();
    await this.pending.settled();
    this.redis.close();
  }
}
