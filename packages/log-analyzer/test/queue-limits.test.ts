// Queue messages over --redis-max-message-bytes against a real redis-server: dead-lettered as
// too_large with their size and a bounded prefix, the others counted exactly. (A 64 MiB message
// that never reaches the analyzer's memory: queue-serve.test.ts.)
import { afterEach, expect, it, vi } from 'vitest';
import type { Analyzer } from '../src/app.js';
import type { QueueConfig } from '../src/sources/queue/queue-source.js';
import { metricValue, startQueueAnalyzer, WAIT } from './helpers.js';
import { padded, startRedis, type TestRedis } from './redis.js';

const KEY = 'prom-stream-gateway:metric-queue';
let redis: TestRedis | null = null;
let analyzer: Analyzer | null = null;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  await analyzer?.stop();
  analyzer = null;
  await redis?.stop();
  redis = null;
  for (const c of cleanups.splice(0)) c();
});

/** A redis-server and an analyzer draining it (with a checkpoint file). */
async function start(queue: Partial<QueueConfig> & { consumer: string }): Promise<Analyzer> {
  redis = await startRedis();
  analyzer = await startQueueAnalyzer(cleanups, { url: redis.url, ...queue });
  return analyzer;
}

const good = JSON.stringify({ type: 'counter', name: 'jobs', value: 1 });

it('the limit is exact: a message of the limit (200,000 bytes here) counts, one byte more is dead-lettered; the dead list stays small', async () => {
  const a = await start({ consumer: 'limits', maxMessageBytes: 200_000 });
  if (!redis) throw new Error('no redis');
  const notJson = `not json ${'y'.repeat(100_000)}`;
  await redis.client.lPush(KEY, [padded(200_000), padded(200_001), good, notJson]);
  const rejected = (reason: string) =>
    metricValue(a, 'log_analyzer_redis_messages_total', { result: 'rejected', reason });
  await vi.waitFor(async () => expect(await redis?.client.lLen(`${KEY}:dead`)).toBe(2), WAIT);
  expect(await metricValue(a, 'log_analyzer_redis_messages_total', { result: 'accepted' })).toBe(2);
  expect(await rejected('too_large')).toBe(1);
  expect(await rejected('invalid_json')).toBe(1);
  const dead = (await redis.client.lRange(`${KEY}:dead`, 0, -1)).map((d) => JSON.parse(String(d)));
  expect(dead.map((d) => [d.reason, d.size])).toEqual([
    ['invalid_json', Buffer.byteLength(notJson)],
    ['too_large', 200_001],
  ]);
  // Each dead letter keeps a bounded prefix: a 100 KB message is not copied whole.
  expect(dead[0].message).toBe(notJson.slice(0, 4096));
});

it('a claim stops at 16 MiB: the rest stay queued in order (a gauge ends at the last value pushed)', async () => {
  const a = await start({ consumer: 'budget' });
  if (!redis) throw new Error('no redis');
  // 40 messages of 1 MiB (the default limit) each, oldest first: three claims at least.
  for (let i = 1; i <= 40; i++) {
    const text = JSON.stringify({ type: 'gauge', name: 'last', value: i });
    await redis.client.lPush(KEY, text + ' '.repeat(2 ** 20 - text.length));
  }
  await vi.waitFor(
    async () => expect(await metricValue(a, 'log_analyzer_redis_messages_total', { result: 'accepted' })).toBe(40),
    WAIT,
  );
  await a.checkpoint();
  expect(await metricValue(a, 'last')).toBe(40);
  const durations = await a.selfRegistry.getSingleMetric('log_analyzer_redis_batch_duration_seconds')?.get();
  const batches = durations?.values.find((v) => (v as { metricName?: string }).metricName?.endsWith('_count'))?.value;
  expect(batches).toBeGreaterThanOrEqual(3);
});
