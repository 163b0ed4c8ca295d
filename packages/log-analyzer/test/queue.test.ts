// The Redis queue source against a real redis-server: exact totals for every type from concurrent
// senders, dead letters, Redis restarted mid-drain. (kill -9, replicas and take-over: queue-serve.test.ts.)
import { afterEach, expect, it, vi } from 'vitest';
import type { Analyzer } from '../src/app.js';
import { metricValue, queueCycle, startQueueAnalyzer, WAIT } from './helpers.js';
import { startRedis, type TestRedis } from './redis.js';

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

async function start(
  overrides: { batch?: number; deadMax?: number; maxSeriesPerFamily?: number; allowTenantId?: boolean } = {},
) {
  if (!redis) throw new Error('no redis');
  analyzer = await startQueueAnalyzer(
    cleanups,
    {
      url: redis.url,
      consumer: 'test',
      batch: overrides.batch ?? 1000,
      deadMax: overrides.deadMax ?? 10_000,
      allowTenantId: overrides.allowTenantId ?? false,
    },
    overrides.maxSeriesPerFamily ? { maxSeriesPerFamily: overrides.maxSeriesPerFamily } : {},
  );
  return analyzer;
}

/** The value of one exposed line (`name{labels}` exactly as exposed), from a fresh checkpoint. */
async function exposed(a: Analyzer, series: string): Promise<number> {
  await a.checkpoint();
  const text = await (await a.app.request('/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : Number.NaN;
}

const accepted = (a: Analyzer) => metricValue(a, 'log_analyzer_redis_messages_total', { result: 'accepted' });

/** Waits for `want` accepted messages, lets the claim loop turn twice more and checkpoints, then checks again. */
async function settled(a: Analyzer, want: number): Promise<void> {
  await vi.waitFor(async () => expect(await accepted(a)).toBe(want), { ...WAIT, timeout: 60_000 });
  await queueCycle(a);
  await a.checkpoint();
  expect(await accepted(a)).toBe(want);
}

it('exact totals for every type from concurrent senders; a gauge ends at the last value pushed', async () => {
  redis = await startRedis();
  const a = await start({ batch: 200 });
  const SENDERS = 4;
  const EACH = 2_000;
  const counters = new Map<string, number>();
  const buckets = [0.1, 1, 10];
  const histogram = { count: 0, sum: 0, le: [0, 0, 0] };
  const summary = { count: 0, sum: 0 };
  const lastGauge = new Map<number, number>();
  const send = async (sender: number) => {
    const client = redis?.client.duplicate();
    if (!client) throw new Error('no redis');
    await client.connect();
    for (let i = 0; i < EACH; i += 100) {
      const batch: string[] = [];
      for (let j = i; j < i + 100; j++) {
        const category = `c${j % 5}`;
        const value = (j % 7) + 1;
        const observed = ((j * 37 + sender) % 200) / 10; // 0 … 19.9
        switch (j % 4) {
          case 0:
            batch.push(
              JSON.stringify({ type: 'counter', name: 'orders', value, labels: { sender: `s${sender}`, category } }),
            );
            counters.set(`s${sender}/${category}`, (counters.get(`s${sender}/${category}`) ?? 0) + value);
            break;
          case 1:
            batch.push(
              JSON.stringify({ type: 'gauge', name: 'queue_size', value: j, labels: { sender: `s${sender}` } }),
            );
            lastGauge.set(sender, j);
            break;
          case 2:
            batch.push(JSON.stringify({ type: 'histogram', name: 'latency_seconds', value: observed, buckets }));
            histogram.count++;
            histogram.sum += observed;
            buckets.forEach((b, k) => {
              if (observed <= b) histogram.le[k] = (histogram.le[k] ?? 0) + 1;
            });
            break;
          default:
            batch.push(
              JSON.stringify({
                type: 'summary',
                name: 'payload_bytes',
                value: observed,
                quantiles: [0.5, 0.9],
                epsilons: [0.05, 0.01],
              }),
            );
            summary.count++;
            summary.sum += observed;
        }
      }
      // LPUSH a b c puts c nearest the head: the list's old end (popped first) is a, in send order.
      await client.lPush(KEY, batch);
    }
    client.destroy();
  };
  await Promise.all(Array.from({ length: SENDERS }, (_, s) => send(s)));
  await settled(a, SENDERS * EACH);
  for (const [series, total] of counters) {
    const [sender, category] = series.split('/');
    expect(await exposed(a, `orders_total{category="${category}",sender="${sender}"}`)).toBe(total);
  }
  for (const [sender, last] of lastGauge) expect(await exposed(a, `queue_size{sender="s${sender}"}`)).toBe(last);
  expect(await exposed(a, 'latency_seconds_count')).toBe(histogram.count);
  expect(await exposed(a, 'latency_seconds_sum')).toBeCloseTo(histogram.sum, 6);
  for (const [k, b] of buckets.entries()) {
    expect(await exposed(a, `latency_seconds_bucket{le="${b}"}`)).toBe(histogram.le[k]);
  }
  expect(await exposed(a, 'payload_bytes_count')).toBe(summary.count);
  expect(await exposed(a, 'payload_bytes_sum')).toBeCloseTo(summary.sum, 6);
  // Everything applied and checkpointed: the processing lists are gone.
  await vi.waitFor(async () => expect(await redis?.client.keys(`${KEY}:processing:*`)).toEqual([]), WAIT);
  expect(await redis.client.lLen(KEY)).toBe(0);
});

it('refused messages go to the bounded dead-letter list with their reason; the good ones count', async () => {
  redis = await startRedis();
  const a = await start({ deadMax: 3, maxSeriesPerFamily: 1 });
  const bad = [
    'not json',
    '{"type":"meter","name":"x","value":1}',
    '{"type":"counter","name":"x","value":-1}',
    '{"type":"counter","name":"bad name","value":1}',
    '{"type":"counter","name":"limited","value":1,"labels":{"n":"2"}}', // the family's second series
  ];
  await redis.client.lPush(KEY, '{"type":"counter","name":"limited","value":1,"labels":{"n":"1"}}');
  await redis.client.lPush(KEY, bad);
  await redis.client.lPush(KEY, '{"type":"counter","name":"good","value":5}');
  await settled(a, 2);
  const rejected = (reason: string) =>
    metricValue(a, 'log_analyzer_redis_messages_total', { result: 'rejected', reason });
  expect(await rejected('invalid_json')).toBe(1);
  expect(await rejected('invalid_type')).toBe(1);
  expect(await rejected('negative_counter')).toBe(1);
  expect(await rejected('invalid_name')).toBe(1);
  expect(await rejected('series_limit')).toBe(1);
  expect(await exposed(a, 'good_total')).toBe(5);
  // Written with the batch's deletion, after the checkpoint: the newest three are kept.
  await vi.waitFor(async () => expect(await redis?.client.lLen(`${KEY}:dead`)).toBe(3), WAIT);
  const dead = (await redis.client.lRange(`${KEY}:dead`, 0, -1)).map((d) => JSON.parse(String(d)));
  expect(dead.map((d) => d.reason)).toEqual(['series_limit', 'invalid_name', 'negative_counter']);
  expect(dead[0].message).toBe(bad[4]);
  expect(dead[0].consumer).toBe('test');
  expect(await metricValue(a, 'log_analyzer_redis_dead_letters_total')).toBe(3);
});

const TENANT_MESSAGES = [
  '{"type":"counter","name":"orders","value":1000,"tenant_id":"b"}',
  '{"type":"counter","name":"orders","value":1000,"labels":{"tenant_id":"b"}}',
  '{"type":"counter","name":"orders","value":5}',
];

it("a message's tenant_id is refused (tenant_not_allowed): anyone who can LPUSH is a sender", async () => {
  redis = await startRedis();
  await redis.client.lPush(KEY, TENANT_MESSAGES);
  const a = await start();
  await settled(a, 1);
  const refused = { result: 'rejected', reason: 'tenant_not_allowed' };
  expect(await metricValue(a, 'log_analyzer_redis_messages_total', refused)).toBe(2);
  expect(await exposed(a, 'orders_total')).toBe(5);
  expect(await exposed(a, 'orders_total{tenant_id="b"}')).toBeNaN();
});

it('a queue declared trusted (allowTenantId) honours tenant_id', async () => {
  redis = await startRedis();
  await redis.client.lPush(KEY, TENANT_MESSAGES);
  const a = await start({ allowTenantId: true });
  await settled(a, 3);
  expect(await exposed(a, 'orders_total{tenant_id="b"}')).toBe(2000);
});

it('Redis restarted mid-drain: the source says it was down, comes back, and nothing is lost or doubled', async () => {
  redis = await startRedis({ appendOnly: true });
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
  const a = await start({ batch: 5 }); // small batches: the drain takes a while
  await vi.waitFor(async () => expect(await accepted(a)).toBeGreaterThan(0), WAIT);
  let sawDown = false;
  const watch = setInterval(() => {
    if (a.queue && !a.queue.up) sawDown = true;
  }, 1);
  await redis.restart();
  await vi.waitFor(() => expect(sawDown).toBe(true), WAIT);
  clearInterval(watch);
  await vi.waitFor(async () => expect(await metricValue(a, 'log_analyzer_redis_up')).toBe(1), WAIT);
  expect(await accepted(a)).toBeLessThan(N); // it was mid-drain
  await settled(a, N);
  expect(await exposed(a, 'hits_total')).toBe(expected);
  // Degraded for a minute after the last error, like every stage, saying why.
  const health = (await (await a.app.request('/health')).json()) as {
    dependencies: { queue: string; collector: string };
    dependency_details: { queue: { status: string; reason?: string } };
  };
  expect(health.dependencies).toMatchObject({ queue: 'degraded', collector: 'degraded' });
  expect(health.dependency_details.queue.status).toBe('degraded');
  expect(health.dependency_details.queue.reason).toContain('redis');
});
