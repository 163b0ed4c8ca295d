// The queue's keys in Redis and every command on them: claiming a batch atomically onto its
// processing list, reading a batch again, the lease, taking over another consumer's lists, and
// deleting applied batches with their dead letters. No message over the size limit ever crosses
// to this process: the claim script replaces it, in Redis, by a small marker (TOO_LARGE). So
// nothing here blocks on the queue (a blocking move returns a message of any size whole): an
// empty queue is claimed again after a short wait (queue-source.ts).

import { createClient, RESP_TYPES, type RedisClientType } from '@redis/client';
import { ClaimConnection } from './claim-connection.js';
import { deadKey, leaseKey, processingKey, processingPattern, TOO_LARGE, takenKey } from './queue-plan.js';
import { joinedOf, scalarOf } from './resp-reader.js';

export interface RedisQueueOptions {
  url: string;
  db: number;
  key: string;
  consumer: string;
  /** Who holds the lease: a restart of this process (same checkpoint) is the same owner. */
  owner: string;
  leaseMs: number;
  /** A message longer than this (bytes) is replaced by a TOO_LARGE marker in Redis. */
  maxMessageBytes: number;
}

/** A claim stops taking messages once it holds this many bytes (one message always fits). */
export const MAX_BATCH_BYTES = 16 * 2 ** 20;
/** How much of an over-size message its marker keeps (what its dead letter shows). */
export const MARKER_PREFIX_BYTES = 1024;

/** What renewing the lease found: ours (renewed or taken again), taken over, or another owner's. */
export type LeaseRenewal =
  | { result: 'renewed' }
  | { result: 'taken_over'; by: string }
  | { result: 'held_by_other'; by: string };

/**
 * Moves up to ARGV[1] messages from the queue's old end onto the batch's processing list, oldest
 * first, and returns how many; the caller reads the list right after, on the same connection
 * (claim()). Natively (SORT … STORE, LTRIM) when it may: a message made into a Lua string costs
 * Redis about 1 µs. A message over ARGV[2] bytes is replaced, here in Redis, by ARGV[4] .. its size
 * .. ' ' .. its first ARGV[5] bytes (NULs dropped): its bytes never reach the analyzer, and its
 * batch stays small at every later start. The claim stops once it holds ARGV[3] bytes (the rest
 * go back to the old end, the oldest of them last, so it is next). Those checks read the messages
 * one by one, unless the list's whole size (MEMORY USAGE: at least its messages' bytes) is within
 * both limits; ARGV[6] = '1' says that size can be trusted (lists are not compressed: claim()).
 * SORT or MEMORY refused (an ACL, a renamed command): RPOP and RPUSH, as before SORT was used.
 */
const CLAIM = `local max, budget, keep = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[5])
local n = redis.pcall('SORT', KEYS[1], 'BY', 'nosort', 'DESC', 'LIMIT', 0, ARGV[1], 'STORE', KEYS[2])
local items
if type(n) == 'number' then
  if n == 0 then return 0 end
  redis.call('LTRIM', KEYS[1], 0, -n - 1)
  if ARGV[6] == '1' then
    local size = redis.pcall('MEMORY', 'USAGE', KEYS[2], 'SAMPLES', '0')
    if type(size) == 'number' and size <= math.min(max, budget) then return n end
  end
  items = redis.call('LRANGE', KEYS[2], 0, -1)
else
  items = redis.call('RPOP', KEYS[1], ARGV[1])
  if not items then return 0 end
  for i = 1, #items, 1000 do redis.call('RPUSH', KEYS[2], unpack(items, i, math.min(i + 999, #items))) end
end
n = #items
local bytes = 0
for i = 1, n do
  if #items[i] > max then
    items[i] = ARGV[4] .. #items[i] .. ' ' .. (string.gsub(string.sub(items[i], 1, keep), '%z', ''))
    redis.call('LSET', KEYS[2], i - 1, items[i])
  end
  bytes = bytes + #items[i]
  if bytes >= budget and i < n then
    for j = n, i + 1, -1 do redis.call('RPUSH', KEYS[1], items[j]) end
    redis.call('LTRIM', KEYS[2], 0, i - 1)
    return i
  end
end
return n`;

/**
 * Renames another consumer's processing list to ours, only while that consumer's lease is still
 * gone, and leaves a note (KEYS[4], for a day) telling that consumer, should it come back, that
 * its lists were taken.
 */
const TAKE_OVER = `if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
redis.call('RENAME', KEYS[2], KEYS[3])
redis.call('SET', KEYS[4], ARGV[1], 'PX', 86400000)
return 1`;

/**
 * Renews the lease KEYS[1] for owner ARGV[1] (ARGV[2] ms). Another owner's: {-1, owner}. Gone (it
 * expired): taken again, unless the take-over note KEYS[2] says another consumer took our lists
 * ({0, taker}). ARGV[3] = '1' on a fresh start, which forgets an old note (what remains of our
 * lists is recovered against the checkpoint).
 */
const RENEW = `local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return {-1, holder} end
if ARGV[3] == '1' then redis.call('DEL', KEYS[2]) end
if not holder then
  local taker = redis.call('GET', KEYS[2])
  if taker then return {0, taker} end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {1, ''}`;

/** Replies whose strings stay bytes. */
const AS_BYTES = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } };
export const NUL = Buffer.from([0]);

export class RedisQueue {
  private readonly client: RedisClientType;
  private readonly scripts = new Map<string, string>();
  /** Claims only: their replies are read as bytes (claim-connection.ts). */
  private readonly claims: ClaimConnection;
  /** Whether the claim may judge sizes by MEMORY USAGE (checkSizes). */
  private sizesTrusted = false;

  constructor(
    private readonly options: RedisQueueOptions,
    onDown: (error: unknown) => void,
  ) {
    this.client = createClient({
      url: options.url,
      database: options.db,
      disableOfflineQueue: true,
      socket: { reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 5000), connectTimeout: 5000 },
    }) as RedisClientType;
    this.client.on('error', onDown);
    this.claims = new ClaimConnection(options.url, options.db);
  }

  get ready(): boolean {
    return this.client.isReady;
  }

  /** Opens the connection (once; the client reconnects by itself after that). */
  async connect(): Promise<void> {
    if (!this.client.isOpen) await this.client.connect();
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

  /**
   * Moves up to `n` messages onto batch `seq`'s list; they come back joined by NUL bytes. The
   * script and the read of its list go in one write on the claim connection, so the read runs
   * right after the script (only a take-over, once our lease is gone, could come between).
   */
  async claim(seq: number, n: number): Promise<{ count: number; bytes: Uint8Array }> {
    const list = this.list(seq);
    const args = [n, this.options.maxMessageBytes, MAX_BATCH_BYTES, TOO_LARGE, MARKER_PREFIX_BYTES].map(String);
    const [moved, read] = (await this.claims.send([
      ['EVAL', CLAIM, '2', this.options.key, list, ...args, this.sizesTrusted ? '1' : '0'],
      ['LRANGE', list, '0', '-1'],
    ])) as [Buffer, Buffer];
    const count = scalarOf(moved);
    if (count instanceof Error) throw count;
    const joined = joinedOf(read);
    if (joined instanceof Error) throw joined;
    return joined;
  }

  /**
   * Whether the claim may judge sizes by a list's MEMORY USAGE: only while Redis says its lists
   * are not compressed (a compressed list's size says nothing of its messages'). Asked once
   * connected and with every depth sample (every second); unknown (CONFIG refused) is no.
   */
  async checkSizes(): Promise<void> {
    try {
      const reply = (await this.client.sendCommand(['CONFIG', 'GET', 'list-compress-depth'])) as unknown;
      // [name, value] in RESP2; the client makes it {name: value}.
      const value = Array.isArray(reply)
        ? reply[1]
        : (reply as Record<string, unknown> | null)?.['list-compress-depth'];
      this.sizesTrusted = value !== undefined && String(value) === '0';
    } catch {
      this.sizesTrusted = false;
    }
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

  /** Renews our lease (takes it on a fresh start): ours, taken over, or another owner's. */
  async renewLease(fresh: boolean): Promise<LeaseRenewal> {
    const { key, consumer, owner, leaseMs } = this.options;
    const keys = [leaseKey(key, consumer), takenKey(key, consumer)];
    const reply = await this.script('renew', RENEW, keys, [owner, String(leaseMs), fresh ? '1' : '0']);
    const [code, by] = reply as [number, Buffer];
    if (Number(code) === 1) return { result: 'renewed' };
    return { result: Number(code) === 0 ? 'taken_over' : 'held_by_other', by: String(by) };
  }

  async leaseHeld(consumer: string): Promise<boolean> {
    return (await this.client.exists(leaseKey(this.options.key, consumer))) === 1;
  }

  /** Renames another consumer's list to our batch `seq`, if its lease is still gone; whether it did. */
  async takeOver(consumer: string, name: string, seq: number): Promise<boolean> {
    const keys = [leaseKey(this.options.key, consumer), name, this.list(seq), takenKey(this.options.key, consumer)];
    return (await this.script('take-over', TAKE_OVER, keys, [this.options.consumer])) === 1;
  }

  /** Messages waiting in the queue (and whether sizes can still be trusted). */
  async depth(): Promise<number> {
    const [depth] = await Promise.all([this.client.lLen(this.options.key), this.checkSizes()]);
    return depth;
  }

  close(): void {
    this.claims.close();
    if (this.client.isOpen) this.client.destroy();
  }
}
