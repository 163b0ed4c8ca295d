// The queue source: drains a Redis list that senders LPUSH metric messages onto, exactly once.
//
// A batch is claimed atomically (a script pops up to --redis-batch messages from the queue's old
// end and pushes them onto this consumer's processing list for the batch), decoded on the decode
// threads (--redis-workers batches at a time), and applied to the store in claim order, so a gauge
// ends at the last value pushed. The batch's list is deleted only once the checkpoint that
// includes it is written; a start applies again the lists the checkpoint does not include and
// deletes those it does. So kill -9 at any moment neither loses nor doubles a message. A consumer
// holds a lease while alive; another takes over its lists once the lease has expired. Refused
// messages go to a bounded dead-letter list. Redis down: reconnects, says so, loses nothing.
// The decisions are pure, in queue-plan.ts; this file is the I/O.

import { createClient, RESP_TYPES, type RedisClientType } from '@redis/client';
import type { RejectReason } from '../../aggregate/metrics.js';
import { countByReason, type PushedFamilies } from '../../store/pushed-families.js';
import { type BatchContext, type DecodedBatch, decodeMessageBatch } from '../push/batch.js';
import type { Rejection } from '../push/decode.js';
import {
  deadKey,
  deadLetter,
  foreignBatches,
  leaseKey,
  planRecovery,
  processingKey,
  processingPattern,
  redactedUrl,
} from './queue-plan.js';

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
}

export const QUEUE_DEFAULTS = {
  key: 'prom-stream-gateway:metric-queue',
  workers: 2,
  db: 0,
  batch: 1000,
  deadMax: 10_000,
  leaseMs: 30_000,
};

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
  /** The clock (ms). */
  now?(): number;
}

/**
 * Pops up to ARGV[1] messages from the queue's old end onto the batch's processing list; returns
 * how many, and them joined by NUL bytes, oldest first (one string crosses, not one per message;
 * JSON text cannot hold a NUL, so the join splits back unless a message was not JSON anyway).
 */
const CLAIM = `local items = redis.call('RPOP', KEYS[1], ARGV[1])
if not items then return {0, ''} end
for i = 1, #items, 1000 do redis.call('RPUSH', KEYS[2], unpack(items, i, math.min(i + 999, #items))) end
return {#items, table.concat(items, '\\0')}`;

/** Replies whose strings stay bytes. */
const AS_BYTES = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } };
const NUL = Buffer.from([0]);

/** Renames another consumer's processing list to ours, only while that consumer's lease is still gone. */
const TAKE_OVER = `if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
redis.call('RENAME', KEYS[2], KEYS[3])
return 1`;

/** How long one blocking wait for a message lasts (then the loop looks around and waits again). */
const BLOCK_SECONDS = 1;
const DEPTH_EVERY_MS = 1000;

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

type Client = RedisClientType;

export class QueueSource {
  private readonly client: Client;
  /** Blocking waits get their own connection: nothing else waits behind them. */
  private readonly blocking: Client;
  private readonly scripts = new Map<string, string>();
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
  /** Turns of the claim loop (tests wait for one more after a count is reached). */
  loops = 0;
  private readonly now: () => number;

  constructor(private readonly options: QueueSourceOptions) {
    const { config } = options;
    this.applied = options.applied;
    this.now = options.now ?? Date.now;
    const clientOptions = {
      url: config.url,
      database: config.db,
      disableOfflineQueue: true,
      socket: { reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 5000), connectTimeout: 5000 },
    };
    this.client = createClient(clientOptions) as Client;
    this.blocking = createClient(clientOptions) as Client;
    for (const client of [this.client, this.blocking]) {
      client.on('error', (error: unknown) => this.down(error));
      client.on('ready', () => {
        if (this.client.isReady && this.blocking.isReady) this.up = true;
      });
    }
  }

  private down(error: unknown): void {
    if (this.stopped) return;
    if (this.up) this.options.onError(`redis ${redactedUrl(this.options.config.url)}`, error);
    this.up = false;
  }

  /** Connects and drains until stopped; Redis being away is reported, never fatal. */
  start(): void {
    this.running = this.run();
    this.depthTimer = setInterval(() => {
      if (this.client.isReady) {
        this.client
          .lLen(this.options.config.key)
          .then((n) => {
            this.depth = n;
          })
          .catch(() => {});
      }
    }, DEPTH_EVERY_MS);
    this.depthTimer.unref();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        if (!this.client.isOpen) await this.client.connect();
        if (!this.blocking.isOpen) await this.blocking.connect();
        await this.ready();
        await this.holdLease();
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
    while (!(this.client.isReady && this.blocking.isReady)) {
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

  private async script(name: string, body: string, keys: string[], args: string[]): Promise<unknown> {
    let sha = this.scripts.get(name);
    if (!sha) {
      sha = (await this.client.sendCommand(['SCRIPT', 'LOAD', body])) as string;
      this.scripts.set(name, sha);
    }
    try {
      return await this.client.sendCommand(['EVALSHA', sha, String(keys.length), ...keys, ...args], AS_BYTES);
    } catch (error) {
      if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
      this.scripts.delete(name); // Redis restarted: load it again
      return this.script(name, body, keys, args);
    }
  }

  /** Our lease: taken if free or ours (a restart of this process), refused if another live owner holds it. */
  private async holdLease(): Promise<void> {
    const { config } = this.options;
    const lease = leaseKey(config.key, config.consumer);
    const px = String(config.leaseMs);
    const taken = await this.client.sendCommand(['SET', lease, this.options.owner, 'NX', 'PX', px]);
    if (taken !== null) return;
    const holder = await this.client.get(lease);
    if (holder !== null && holder !== this.options.owner) {
      throw new Error(
        `consumer ${config.consumer} is in use by ${holder}; give each replica its own --redis-consumer (waiting for its lease to expire)`,
      );
    }
    await this.client.sendCommand(['SET', lease, this.options.owner, 'PX', px]);
  }

  private async scan(pattern: string): Promise<string[]> {
    const names: string[] = [];
    let cursor = '0';
    do {
      const reply = (await this.client.sendCommand(['SCAN', cursor, 'MATCH', pattern, 'COUNT', '1000'])) as [
        string,
        string[],
      ];
      cursor = String(reply[0]);
      names.push(...reply[1].map(String));
    } while (cursor !== '0');
    return names;
  }

  /** On start: our lists the checkpoint includes are deleted; the others are applied again, in order. */
  private async recover(): Promise<void> {
    const { config } = this.options;
    const seqs: number[] = [];
    for (const name of await this.scan(processingPattern(config.key, config.consumer))) {
      const seq = Number(name.slice(name.lastIndexOf(':') + 1));
      if (Number.isSafeInteger(seq) && seq > 0) seqs.push(seq);
    }
    const plan = planRecovery(seqs, this.applied);
    if (plan.remove.length > 0) {
      await this.client.sendCommand(['DEL', ...plan.remove.map((s) => processingKey(config.key, config.consumer, s))]);
    }
    this.nextSeq = plan.next;
    for (const seq of plan.apply) await this.reclaim(seq);
    this.recovered = true;
  }

  /** A batch whose list is already ours: read it and apply it in its turn. */
  private async reclaim(seq: number): Promise<void> {
    const messages = await this.messagesOf(seq);
    this.unsure = null;
    if (messages.length > 0) {
      const bytes = Buffer.concat(messages.flatMap((m, i) => (i === 0 ? [m] : [NUL, m])));
      this.begin({ seq, bytes, count: messages.length, claimedAt: this.now() });
    }
  }

  private async messagesOf(seq: number): Promise<Buffer[]> {
    const list = processingKey(this.options.config.key, this.options.config.consumer, seq);
    return (await this.client.sendCommand(['LRANGE', list, '0', '-1'], AS_BYTES)) as Buffer[];
  }

  private async claim(list: string, n: number): Promise<{ count: number; bytes: Buffer }> {
    const reply = await this.script('claim', CLAIM, [this.options.config.key, list], [String(n)]);
    const [count, bytes] = reply as [number, Buffer];
    return { count: Number(count), bytes };
  }

  /** Claims batches while there are messages and room; waits (blocking, no polling) when the queue is empty. */
  private async drain(): Promise<void> {
    const { config } = this.options;
    while (!this.stopped) {
      this.loops++;
      if (this.inFlight >= config.workers) {
        await new Promise<void>((resolve) => this.settled.add(resolve));
        continue;
      }
      if (this.now() >= this.nextTakeOverAt) await this.takeOver();
      const seq = this.nextSeq++;
      const list = processingKey(config.key, config.consumer, seq);
      this.unsure = seq;
      let { count, bytes } = await this.claim(list, config.batch);
      if (count === 0) {
        // Empty: wait for the next message on the blocking connection; it lands in this batch's list.
        const first = (await this.blocking.sendCommand(
          ['BLMOVE', config.key, list, 'RIGHT', 'LEFT', String(BLOCK_SECONDS)],
          AS_BYTES,
        )) as Buffer | null;
        if (first === null) {
          this.unsure = null;
          this.nextSeq--; // nothing claimed: the number is used again
          continue;
        }
        const rest = config.batch > 1 ? await this.claim(list, config.batch - 1) : { count: 0, bytes: first };
        count = 1 + rest.count;
        bytes = rest.count > 0 ? Buffer.concat([first, NUL, rest.bytes]) : first;
      }
      this.unsure = null;
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
          const messages = (await this.messagesOf(batch.seq)).map(String);
          ready = decodeMessageBatch(messages, context);
          texts = () => messages;
        }
        this.apply(batch, ready, texts);
      } catch (error) {
        // Redis went away before the batch could be read again: it stays in its list, and the next
        // start applies it. Batches after it must not be applied before it: this source stops.
        this.options.onError('reading a batch again (it is applied at the next start)', error);
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
    const { accepted, rejected } = pushed.take(decoded, now);
    for (const [reason, n] of countByReason(rejected)) this.options.onMessages('rejected', reason, n);
    if (accepted > 0) this.options.onMessages('accepted', null, accepted);
    this.applied = batch.seq;
    this.options.onApplied();
    this.options.onBatch((now - batch.claimedAt) / 1000);
    // The list keeps the newest --redis-dead-max: so does the batch.
    const refused = config.deadMax > 0 ? rejected.slice(-config.deadMax) : [];
    const messages = refused.length > 0 ? texts() : [];
    const dead = refused.map((r: Rejection) =>
      deadLetter(messages[r.index] as string, r.reason, r.message, now, config.consumer),
    );
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
      if (done.length === 0 || !this.client.isReady) return;
      const dead = config.deadMax > 0 ? done.flatMap((p) => p.dead).slice(-config.deadMax) : [];
      const multi = this.client.multi();
      if (dead.length > 0) {
        multi.lPush(deadKey(config.key), dead);
        multi.lTrim(deadKey(config.key), 0, config.deadMax - 1);
      }
      multi.del(done.map((p) => processingKey(config.key, config.consumer, p.seq)));
      try {
        await multi.exec();
      } catch (error) {
        this.options.onError('deleting applied batches (tried again at the next checkpoint)', error);
        return;
      }
      if (dead.length > 0) this.options.onDeadLetters(dead.length);
      for (const p of done) {
        this.pending.splice(this.pending.indexOf(p), 1);
        this.processing -= p.messages;
      }
    });
    return this.releasing;
  }

  /** Renews our lease, and takes over the lists of consumers whose lease has expired. */
  private async takeOver(): Promise<void> {
    const { config } = this.options;
    this.nextTakeOverAt = this.now() + config.leaseMs / 3;
    await this.client.sendCommand([
      'SET',
      leaseKey(config.key, config.consumer),
      this.options.owner,
      'PX',
      String(config.leaseMs),
    ]);
    const foreign = foreignBatches(config.key, await this.scan(processingPattern(config.key, null)), config.consumer);
    let taken = 0;
    for (const [consumer, batches] of foreign) {
      if ((await this.client.exists(leaseKey(config.key, consumer))) === 1) continue;
      for (const { name } of batches) {
        const seq = this.nextSeq++;
        const ours = processingKey(config.key, config.consumer, seq);
        this.unsure = seq;
        const moved = await this.script('take-over', TAKE_OVER, [leaseKey(config.key, consumer), name, ours], []);
        if (moved === 1) {
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
    if (this.depthTimer) clearInterval(this.depthTimer);
    this.wake();
    // A blocking wait in progress is cut: a message it moved stays in its list for the next start.
    if (this.blocking.isOpen) this.blocking.destroy();
    await this.running?.catch(() => {});
    await this.idle();
  }

  /** After the last checkpoint: deletes what it includes, and disconnects. */
  async close(): Promise<void> {
    await this.stop();
    await this.releasing;
    if (this.client.isOpen) this.client.destroy();
  }
}
