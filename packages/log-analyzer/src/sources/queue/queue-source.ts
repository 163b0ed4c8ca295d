// The queue source: drains a Redis list that senders LPUSH metric messages onto, exactly once.
//
// A batch is claimed atomically (moved onto this consumer's processing list for the batch, see
// redis-queue.ts), decoded on the decode threads (--redis-workers batches at a time), and applied
// to the store in claim order, so a gauge ends at the last value pushed. The batch's list is
// deleted only once the checkpoint that includes it is written; a start applies again the lists
// the checkpoint does not include and deletes those it does. So kill -9 at any moment neither
// loses nor doubles a message. A consumer holds a lease while alive, renewed on its own timer
// (lease-keeper.ts), and applies a batch only while the lease certainly holds; another takes over
// its lists once the lease has expired. Refused messages (and messages over the size limit, which
// never reach this process) go to a dead-letter list bounded in count and bytes. Redis down:
// reconnects, says so, loses nothing. The decisions are pure, in queue-plan.ts.

import type { RejectReason } from '../../metrics/catalog.js';
import type { DecodedBatch } from '../../store/push-batch.js';
import { countByReason, type PushedFamilies } from '../../store/pushed-families.js';
import { type BatchContext, decodeMessageBatch } from '../../transforms/push/batch.js';
import { type LeaseClock, LeaseKeeper, REAL_CLOCK } from './lease-keeper.js';
import { deadLetter, foreignBatches, planRecovery, redactedUrl, refusals } from './queue-plan.js';
import { NUL, RedisQueue } from './redis-queue.js';

export interface QueueConfig {
  /** redis://[user:password@]host:port[/db] */
  url: string;
  key: string;
  /** Batches claimed and decoding at once. */
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

/** What a checkpoint keeps of the queue: whose lists, and the last batch its counts include. */
export interface QueuePosition {
  consumer: string;
  applied: number;
}

export interface QueueSourceOptions {
  config: QueueConfig;
  pushed: PushedFamilies;
  context: BatchContext;
  /** `count` messages joined by NUL bytes → a batch (null: they did not split into `count`), and the bytes back. */
  decode(
    bytes: Uint8Array,
    count: number,
    context: BatchContext,
  ): Promise<{ batch: DecodedBatch | null; bytes: Uint8Array }>;
  /** The last batch the checkpoint includes (0: none). */
  applied: number;
  /** Whether a checkpoint makes batches durable; without one a batch is deleted once applied. */
  checkpointed: boolean;
  /** Who holds the lease: a restart of this process (same checkpoint) is the same owner. */
  owner: string;
  onApplied(): void;
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

interface Applied {
  seq: number;
  /** Dead letters to write with the batch's deletion. */
  dead: string[];
  messages: number;
}

export class QueueSource {
  private readonly redis: RedisQueue;
  private nextSeq = 1;
  /** The last batch applied: every batch up to it is in the store. */
  private applied: number;
  /** Applied, not yet deleted (waiting for a checkpoint, or for Redis). */
  private readonly pending: Applied[] = [];
  /** The seq of a claim whose answer was lost with the connection: its list may hold messages. */
  private unsure: number | null = null;
  /** Batches are applied in claim order: each waits for the one before. */
  private chain: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private readonly settled = new Set<() => void>();
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
    this.applied = options.applied;
    const clock = config.clock ?? REAL_CLOCK;
    this.now = clock.now;
    this.redis = new RedisQueue({ ...config, owner: options.owner }, (error) => this.down(error));
    this.lease = new LeaseKeeper(
      (fresh) => this.redis.renewLease(fresh),
      config.leaseMs,
      clock,
      (why) => this.halt(`${why}; draining stopped until the next start (the batches it took are counted there)`),
    );
  }

  /** Stops draining for good (until a restart), and says why. */
  private halt(why: string): void {
    if (this.halted !== null) return;
    this.halted = why;
    this.options.onError(`queue consumer ${this.options.config.consumer}`, new Error(why));
    this.stopped = true;
    this.wake();
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
        void this.release(this.durableUpTo);
        failures = 0;
        await this.drain();
      } catch (error) {
        if (this.stopped) return;
        this.down(error);
        this.options.onError(`redis ${redactedUrl(this.options.config.url)}`, error);
        await this.sleep(Math.min(100 * 2 ** failures++, 5000));
      }
    }
  }

  private async ready(): Promise<void> {
    while (!this.redis.ready) {
      if (this.stopped) return;
      await this.sleep(50);
    }
    this.up = true;
  }

  /** Wakes whatever waits: the claim loop for room, a backoff sleep. */
  private wake(): void {
    const waiting = [...this.settled];
    this.settled.clear();
    for (const wake of waiting) wake();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.settled.delete(wake);
        resolve();
      }, ms);
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.settled.add(wake);
    });
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
      if (this.inFlight >= config.workers || this.pending.length >= (config.maxPending ?? MAX_PENDING_BATCHES)) {
        await new Promise<void>((resolve) => this.settled.add(resolve));
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
        await this.sleep(EMPTY_POLL_MS);
        continue;
      }
      this.begin({ seq, bytes, count, claimedAt: this.now() });
    }
  }

  /** Decodes a claimed batch (on a thread) and applies it after the batch before it. */
  private begin(batch: Claimed): void {
    this.inFlight++;
    this.processing += batch.count;
    const { context } = this.options;
    const decoded = this.options.decode(batch.bytes, batch.count, context);
    const previous = this.chain;
    this.chain = (async () => {
      await previous;
      try {
        const result = await decoded;
        let texts: () => string[] = () => new TextDecoder().decode(result.bytes).split('\0');
        let ready = result.batch;
        if (!ready) {
          // A message held a NUL (or the thread died): decode them one by one, from their list.
          const messages = (await this.redis.batch(batch.seq)).map(String);
          ready = decodeMessageBatch(messages, context);
          texts = () => messages;
        }
        // Never apply once the lease might have run out: another replica may be taking this batch.
        if (!(await this.lease.fence())) return;
        this.apply(batch, ready, texts);
      } catch (error) {
        // Redis went away before the batch could be read again: it stays in its list, and the next
        // start applies it. Batches after it must not be applied before it: this source stops.
        this.options.onError('reading a batch again (it is applied at the next start)', error);
        this.halted = 'a batch could not be read again from Redis; draining stopped until the next start';
        this.stopped = true;
      } finally {
        this.inFlight--;
        this.wake();
      }
    })();
  }

  private apply(batch: Claimed, decoded: DecodedBatch, texts: () => string[]): void {
    const { pushed, config } = this.options;
    const now = this.now();
    const taken = pushed.take(decoded, now);
    const rejected = refusals(taken.rejected, taken.rejected.length > 0 ? texts() : [], config.maxMessageBytes);
    for (const [reason, n] of countByReason(rejected)) this.options.onMessages('rejected', reason, n);
    if (taken.accepted > 0) this.options.onMessages('accepted', null, taken.accepted);
    this.applied = batch.seq;
    this.options.onApplied();
    this.options.onBatch((now - batch.claimedAt) / 1000);
    // The list keeps the newest --redis-dead-max: so does the batch.
    const refused = config.deadMax > 0 ? rejected.slice(-config.deadMax) : [];
    const dead = refused.map((r) => deadLetter(r.text, r.reason, r.message, now, config.consumer, r.size));
    this.pending.push({ seq: batch.seq, dead, messages: batch.count });
    if (!this.options.checkpointed) {
      this.durableUpTo = batch.seq;
      void this.release(batch.seq);
    }
  }

  /** Called in the checkpoint's synchronous section: which batches its counts include. */
  position(): QueuePosition {
    return { consumer: this.options.config.consumer, applied: this.applied };
  }

  /** A checkpoint with this position is written: the batches it includes can go (with their dead letters). */
  durable(position: unknown): void {
    const applied = (position as Partial<QueuePosition> | undefined)?.applied;
    if (typeof applied !== 'number') return;
    this.durableUpTo = applied;
    void this.release(applied);
  }

  private releasing: Promise<void> = Promise.resolve();
  /** The last batch a written checkpoint includes. */
  private durableUpTo = 0;

  private release(upTo: number): Promise<void> {
    this.releasing = this.releasing.then(async () => {
      const { config } = this.options;
      const done = this.pending.filter((p) => p.seq <= upTo);
      if (done.length === 0 || !this.redis.ready) return;
      const dead = config.deadMax > 0 ? done.flatMap((p) => p.dead).slice(-config.deadMax) : [];
      try {
        await this.redis.release(
          done.map((p) => p.seq),
          dead,
          config.deadMax,
        );
      } catch (error) {
        this.options.onError('deleting applied batches (tried again at the next checkpoint)', error);
        return;
      }
      if (dead.length > 0) this.options.onDeadLetters(dead.length);
      for (const p of done) {
        this.pending.splice(this.pending.indexOf(p), 1);
        this.processing -= p.messages;
      }
      this.wake(); // room for claims again
    });
    return this.releasing;
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
    let chain: Promise<void>;
    do {
      chain = this.chain;
      await chain;
    } while (chain !== this.chain);
  }

  /** Stops claiming and waits until every claimed batch is applied; the checkpoint after it includes them all. */
  async stop(): Promise<void> {
    this.stopped = true;
    // Batches already claimed are applied while the lease still holds; none after it could lapse.
    this.lease.stop();
    if (this.depthTimer) clearInterval(this.depthTimer);
    this.wake();
    await this.running?.catch(() => {});
    await this.idle();
  }

  /** After the last checkpoint: deletes what it includes, and disconnects. */
  async close(): Promise<void> {
    await this.stop();
    await this.releasing;
    this.redis.close();
  }
}
