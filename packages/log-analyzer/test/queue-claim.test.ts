// The claim against a real redis-server, through RedisQueue: the batch's messages moved onto its
// list oldest first and read back joined by NUL bytes; natively (SORT … STORE) when the list's
// size can be trusted, one by one when lists are compressed or SORT is refused, and in every case
// no message over the limit crosses. Redis's own command counts say which way a claim went. And
// a drain whose claim connection is cut again and again (between a claim and its read-back too)
// counts every message once.
import { afterEach, expect, it, vi } from 'vitest';
import type { Analyzer } from '../src/app.js';
import { CLIENT_NAME } from '../src/sources/queue/claim-connection.js';
import { TOO_LARGE } from '../src/sources/queue/queue-plan.js';
import { RedisQueue } from '../src/sources/queue/redis-queue.js';
import { metricValue, queueCycle, startQueueAnalyzer, WAIT } from './helpers.js';
import { padded, startRedis, type TestRedis } from './redis.js';

const KEY = 'q';
let redis: TestRedis | null = null;
let analyzer: Analyzer | null = null;
const queues: RedisQueue[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const q of queues.splice(0)) q.close();
  await analyzer?.stop();
  analyzer = null;
  await redis?.stop();
  redis = null;
  for (const c of cleanups.splice(0)) c();
});

async function queue(url: string, db = 0): Promise<RedisQueue> {
  const q = new RedisQueue(
    { url, db, key: KEY, consumer: 'c', owner: 'test', leaseMs: 30_000, maxMessageBytes: 2 ** 20 },
    () => {},
  );
  queues.push(q);
  await q.connect();
  await q.checkSizes();
  return q;
}

/** Calls of each command since the last reset (INFO commandstats). */
async function calls(r: TestRedis): Promise<Record<string, number>> {
  const info = String(await r.client.sendCommand(['INFO', 'commandstats']));
  return Object.fromEntries([...info.matchAll(/^cmdstat_(\S+?):calls=(\d+)/gm)].map((m) => [m[1], Number(m[2])]));
}

const message = (i: number) => JSON.stringify({ type: 'gauge', name: 'g', value: i });
const texts = (bytes: Uint8Array) => Buffer.from(bytes).toString().split('\0');

it('a claim moves the oldest messages onto its list, oldest first, reads them back joined, and makes no message a Lua string', async () => {
  redis = await startRedis();
  for (let i = 1; i <= 2500; i += 500) {
    await redis.client.lPush(
      KEY,
      Array.from({ length: 500 }, (_, j) => message(i + j)),
    );
  }
  const q = await queue(redis.url);
  await redis.client.sendCommand(['CONFIG', 'RESETSTAT']);
  const first = await q.claim(1, 1000);
  expect(first.count).toBe(1000);
  expect(texts(first.bytes)).toEqual(Array.from({ length: 1000 }, (_, i) => message(i + 1)));
  // Natively: its size judged by MEMORY USAGE, its list read once (by the claim), never in Lua.
  const stats = await calls(redis);
  expect([stats['memory|usage'], stats.lrange, stats.sort]).toEqual([1, 1, 1]);
  expect((await redis.client.lRange(`${KEY}:processing:c:1`, 0, -1)).map(String)).toEqual(texts(first.bytes));
  expect(await redis.client.lLen(KEY)).toBe(1500);
  const second = await q.claim(2, 1000);
  const third = await q.claim(3, 1000);
  expect([second.count, third.count]).toEqual([1000, 500]);
  expect(texts(third.bytes).at(-1)).toBe(message(2500));
  expect(await q.claim(4, 1000)).toEqual({ count: 0, bytes: new Uint8Array(0) });
  expect(await redis.client.exists([KEY, `${KEY}:processing:c:4`])).toBe(0);
});

it('lists compressed: sizes are checked message by message, and one over the limit never crosses', async () => {
  redis = await startRedis();
  await redis.client.sendCommand(['CONFIG', 'SET', 'list-compress-depth', '1']);
  const huge = padded(3 * 2 ** 20); // compresses to almost nothing: its list's size says little
  await redis.client.lPush(KEY, [message(1), huge, huge, huge, message(2)]);
  const q = await queue(redis.url);
  await redis.client.sendCommand(['CONFIG', 'RESETSTAT']);
  const claimed = await q.claim(1, 1000);
  const got = texts(claimed.bytes);
  expect(got).toHaveLength(5);
  expect([got[0], got[4]]).toEqual([message(1), message(2)]);
  expect(got.slice(1, 4).every((t) => t.startsWith(`${TOO_LARGE}${3 * 2 ** 20} `) && t.length < 1100)).toBe(true);
  expect(claimed.bytes.length).toBeLessThan(4000);
  expect((await calls(redis))['memory|usage']).toBeUndefined();
});

it('SORT refused (an ACL): the claim pops and pushes instead, with the same result; AUTH and SELECT from the URL', async () => {
  redis = await startRedis();
  await redis.client.sendCommand(['ACL', 'SETUSER', 'claimer', 'on', '>secret', '~*', '&*', '+@all', '-sort']);
  await redis.client.select(3);
  await redis.client.lPush(KEY, [message(1), padded(2 ** 20 + 1), message(3)]);
  const q = await queue(`redis://claimer:secret@127.0.0.1:${redis.port}/3`, 3);
  const claimed = await q.claim(1, 10);
  const got = texts(claimed.bytes);
  expect(got[0]).toBe(message(1));
  expect(got[1]?.startsWith(`${TOO_LARGE}${2 ** 20 + 1} `)).toBe(true);
  expect(got[2]).toBe(message(3));
  expect((await redis.client.lRange(`${KEY}:processing:c:1`, 0, -1)).map(String)).toEqual(got);
});

it('the claim connection cut: the claim after it opens a new one, and nothing is lost', async () => {
  redis = await startRedis();
  await redis.client.lPush(KEY, [message(1), message(2), message(3)]);
  const q = await queue(redis.url);
  expect(texts((await q.claim(1, 1)).bytes)).toEqual([message(1)]);
  await redis.client.sendCommand(['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes']);
  let second: Awaited<ReturnType<RedisQueue['claim']>> | null = null;
  for (let tries = 0; second === null && tries < 50; tries++) second = await q.claim(2, 1).catch(() => null);
  expect(texts(second?.bytes ?? new Uint8Array())).toEqual([message(2)]);
  expect(await redis.client.lLen(KEY)).toBe(1);
});

/** Cuts the claim connection (found by its name); whether there was one. */
async function cutClaims(r: TestRedis): Promise<boolean> {
  const list = String(await r.client.sendCommand(['CLIENT', 'LIST']));
  const id = new RegExp(`^id=(\\d+) .*name=${CLIENT_NAME} `, 'm').exec(list)?.[1];
  if (id) await r.client.sendCommand(['CLIENT', 'KILL', 'ID', id]);
  return id !== undefined;
}

it('the claim connection cut again and again mid-drain: each batch is read again from its list, every message counted once', async () => {
  redis = await startRedis();
  const N = 20_000;
  for (let i = 0; i < N; i += 1000) {
    await redis.client.lPush(
      KEY,
      Array.from({ length: 1000 }, (_, j) =>
        JSON.stringify({ type: 'counter', name: 'hits', value: ((i + j) % 3) + 1 }),
      ),
    );
  }
  const expected = Array.from({ length: N }, (_, k) => (k % 3) + 1).reduce((x, y) => x + y, 0);
  const a = await startQueueAnalyzer(cleanups, { url: redis.url, key: KEY, consumer: 'cut', batch: 20 });
  analyzer = a;
  const accepted = () => metricValue(a, 'log_analyzer_redis_messages_total', { result: 'accepted' });
  let cuts = 0;
  while ((await accepted()) < N && (await redis.client.lLen(KEY)) > 0) {
    if (await cutClaims(redis)) cuts++;
    // The next cut once the claim loop has turned again (it reconnects, reads the unsure batch again).
    const loops = a.queue?.loops ?? 0;
    await vi.waitFor(() => expect(a.queue?.loops).toBeGreaterThan(loops), WAIT);
  }
  expect(cuts).toBeGreaterThan(3);
  await vi.waitFor(async () => expect(await accepted()).toBe(N), { ...WAIT, timeout: 60_000 });
  await queueCycle(a);
  await a.checkpoint();
  expect(await accepted()).toBe(N);
  const text = await (await a.app.request('/metrics')).text();
  expect(text).toContain(`hits_total ${expected}\n`);
}, 120_000);
