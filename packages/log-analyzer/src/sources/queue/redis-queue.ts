// The queue's keys in Redis and every command on them: claiming a batch atomically onto its
// processing list, waiting for a message without polling, reading a batch again, the lease,
// taking over another consumer's lists, and deleting applied batches with their dead letters.
// Two connections: blocking waits get their own, so nothing else waits behind them.

import { createClient, RESP_TYPES, type RedisClientType } from '@redis/client';
import { deadKey, leaseKey, processingKey, processingPattern } from './queue-plan.js';

export interface RedisQueueOptions {
  url: string;
  db: number;
  key: string;
  consumer: string;
  /** Who holds the lease: a restart of this process (same checkpoint) is the same owner. */
  owner: string;
  leaseMs: number;
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

/** Renames another consumer's processing list to ours, only while that consumer's lease is still gone. */
const TAKE_OVER = `if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
redis.call('RENAME', KEYS[2], KEYS[3])
return 1`;

/** Replies whose strings stay bytes. */
const AS_BYTES = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } };
export const NUL = Buffer.from([0]);

/** How long one blocking wait for a message lasts (then the caller looks around and waits again). */
const BLOCK_SECONDS = 1;

export class RedisQueue {
  private readonly client: RedisClientType;
  private readonly blocking: RedisClientType;
  private readonly scripts = new Map<string, string>();

  constructor(
    private readonly options: RedisQueueOptions,
    onDown: (error: unknown) => void,
  ) {
    const clientOptions = {
      url: options.url,
      database: options.db,
      disableOfflineQueue: true,
      socket: { reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 5000), connectTimeout: 5000 },
    };
    this.client = createClient(clientOptions) as RedisClientType;
    this.blocking = createClient(clientOptions) as RedisClientType;
    for (const client of [this.client, this.blocking]) client.on('error', onDown);
  }

  get ready(): boolean {
    return this.client.isReady && this.blocking.isReady;
  }

  /** Opens both connections (once; the client reconnects by itself after that). */
  async connect(): Promise<void> {
    if (!this.client.isOpen) await this.client.connect();
    if (!this.blocking.isOpen) await this.blocking.connect();
  }

  private list(seq: number, consumer = this.options.consumer): string {
    return processingKey(this.options.key, consumer, seq);
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

  /** Moves up to `n` messages onto batch `seq`'s list; they come back joined by NUL bytes. */
  async claim(seq: number, n: number): Promise<{ count: number; bytes: Buffer }> {
    const reply = await this.script('claim', CLAIM, [this.options.key, this.list(seq)], [String(n)]);
    const [count, bytes] = reply as [number, Buffer];
    return { count: Number(count), bytes };
  }

  /** Waits (a second at most) for the next message and moves it onto batch `seq`'s list. */
  async waitForOne(seq: number): Promise<Buffer | null> {
    const command = ['BLMOVE', this.options.key, this.list(seq), 'RIGHT', 'LEFT', String(BLOCK_SECONDS)];
    return (await this.blocking.sendCommand(command, AS_BYTES)) as Buffer | null;
  }

  /** Batch `seq`'s messages, oldest first (empty when it has no list). */
  async batch(seq: number): Promise<Buffer[]> {
    return (await this.client.sendCommand(['LRANGE', this.list(seq), '0', '-1'], AS_BYTES)) as Buffer[];
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

  /** The sequence numbers of our processing lists. */
  async ownBatches(): Promise<number[]> {
    const names = await this.scan(processingPattern(this.options.key, this.options.consumer));
    return names.map((name) => Number(name.slice(name.lastIndexOf(':') + 1))).filter((s) => Number.isSafeInteger(s));
  }

  /** Every consumer's processing lists (names). */
  allBatches(): Promise<string[]> {
    return this.scan(processingPattern(this.options.key, null));
  }

  async remove(seqs: readonly number[]): Promise<void> {
    if (seqs.length > 0) await this.client.sendCommand(['DEL', ...seqs.map((s) => this.list(s))]);
  }

  /** Deletes applied batches and writes their dead letters, together (MULTI). */
  async release(seqs: readonly number[], dead: readonly string[], deadMax: number): Promise<void> {
    const multi = this.client.multi();
    if (dead.length > 0) {
      multi.lPush(deadKey(this.options.key), [...dead]);
      multi.lTrim(deadKey(this.options.key), 0, deadMax - 1);
    }
    multi.del(seqs.map((s) => this.list(s)));
    await multi.exec();
  }

  /** Takes our lease if it is free or ours (a restart of this process); refuses if another owner holds it. */
  async holdLease(): Promise<void> {
    const { key, consumer, owner, leaseMs } = this.options;
    const lease = leaseKey(key, consumer);
    const taken = await this.client.sendCommand(['SET', lease, owner, 'NX', 'PX', String(leaseMs)]);
    if (taken !== null) return;
    const holder = await this.client.get(lease);
    if (holder !== null && holder !== owner) {
      throw new Error(
        `consumer ${consumer} is in use by ${holder}; give each replica its own --redis-consumer (waiting for its lease to expire)`,
      );
    }
    await this.renewLease();
  }

  async renewLease(): Promise<void> {
    const { key, consumer, owner, leaseMs } = this.options;
    await this.client.sendCommand(['SET', leaseKey(key, consumer), owner, 'PX', String(leaseMs)]);
  }

  async leaseHeld(consumer: string): Promise<boolean> {
    return (await this.client.exists(leaseKey(this.options.key, consumer))) === 1;
  }

  /** Renames another consumer's list to our batch `seq`, if its lease is still gone; whether it did. */
  async takeOver(consumer: string, name: string, seq: number): Promise<boolean> {
    const keys = [leaseKey(this.options.key, consumer), name, this.list(seq)];
    return (await this.script('take-over', TAKE_OVER, keys, [])) === 1;
  }

  /** Messages waiting in the queue. */
  depth(): Promise<number> {
    return this.client.lLen(this.options.key);
  }

  /** Cuts a blocking wait in progress: a message it moved stays in its list (the next start applies it). */
  cutWaiting(): void {
    if (this.blocking.isOpen) this.blocking.destroy();
  }

  close(): void {
    this.cutWaiting();
    if (this.client.isOpen) this.client.destroy();
  }
}
