// The queue's lease against a real redis-server: renewed on its own timer while the drain is
// stalled, a fence that stops applying when it cannot be renewed, and a replica that comes back
// after its lists were taken over stops (each message counted once, by the replica that took it).
import { afterEach, expect, it, vi } from 'vitest';
import type { Analyzer } from '../src/app.js';
import type { LeaseClock } from '../src/sources/queue/lease-keeper.js';
import type { QueueConfig } from '../src/sources/queue/queue-source.js';
import { metricValue, startAnalyzer, tempDir, WAIT } from './helpers.js';
import { startRedis, type TestRedis } from './redis.js';

const KEY = 'prom-stream-gateway:metric-queue';
let redis: TestRedis | null = null;
const analyzers: Analyzer[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const a of analyzers.splice(0)) await a.stop();
  await redis?.stop();
  redis = null;
  for (const c of cleanups.splice(0)) c();
});

/** A clock the test moves, and a renewal timer that fires only when the test ticks it. */
function manualClock(): { clock: LeaseClock; advance(ms: number): void; tick(): void } {
  let now = Date.now();
  const ticks = new Set<() => void>();
  return {
    clock: {
      now: () => now,
      every: (_ms, tick) => {
        ticks.add(tick);
        return () => ticks.delete(tick);
      },
    },
    advance(ms) {
      now += ms;
    },
    tick() {
      for (const tick of ticks) tick();
    },
  };
}

async function start(queue: Partial<QueueConfig> & { consumer: string }, checkpointIntervalMs = 1000) {
  if (!redis) throw new Error('no redis');
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const a = await startAnalyzer({
    watch: [`${dir}/none.log`],
    positionsFile: `${dir}/checkpoint.json`,
    checkpointIntervalMs,
    queue: { url: redis.url, ...queue },
  });
  analyzers.push(a);
  return a;
}

const accepted = (a: Analyzer) => metricValue(a, 'log_analyzer_redis_messages_total', { result: 'accepted' });
const message = JSON.stringify({ type: 'counter', name: 'jobs', value: 1 });

it('a replica whose drain is stalled (checkpoints not written, pending batches at the cap) keeps its lease', async () => {
  redis = await startRedis();
  // No checkpoint within the test: the one applied batch stays pending, and the cap of 1 stops claiming.
  const a = await start({ consumer: 'stalled', leaseMs: 1500, maxPending: 1, batch: 1, workers: 1 }, 3_600_000);
  await redis.client.lPush(KEY, [message, message, message]);
  await vi.waitFor(async () => expect(await accepted(a)).toBe(1), WAIT);
  const renewals = a.queue?.lease.renewals ?? 0;
  // Four renewals take longer than the lease (one every third of it): the lease would have run out.
  await vi.waitFor(() => expect(a.queue?.lease.renewals).toBeGreaterThanOrEqual(renewals + 4), WAIT);
  expect(await redis.client.lLen(KEY)).toBe(2); // the drain claimed nothing more meanwhile
  expect(await redis.client.pTTL(`${KEY}:lease:stalled`)).toBeGreaterThan(0);
  expect(await redis.client.exists(`${KEY}:processing:stalled:1`)).toBe(1);
  // Another replica sees the lease and leaves the stalled one's applied batch alone.
  const b = await start({ consumer: 'other', leaseMs: 1500 });
  await vi.waitFor(async () => expect(await accepted(b)).toBe(2), WAIT);
  const bLoops = b.queue?.loops ?? 0;
  await vi.waitFor(() => expect(b.queue?.loops).toBeGreaterThan(bLoops + 1), WAIT);
  expect(await metricValue(b, 'log_analyzer_redis_batches_taken_over_total')).toBe(0);
  expect(await accepted(a)).toBe(1);
  expect(await accepted(b)).toBe(2);
});

it('a replica that cannot renew its lease stops applying before the lease can expire, and goes on once renewed', async () => {
  redis = await startRedis();
  const time = manualClock();
  const a = await start({ consumer: 'fenced', leaseMs: 30_000, clock: time.clock });
  await redis.client.lPush(KEY, message);
  await vi.waitFor(async () => expect(await accepted(a)).toBe(1), WAIT);
  // No renewal for 29.5 s of a 30 s lease: inside the margin, a batch might outlive the lease.
  time.advance(29_500);
  await redis.client.lPush(KEY, message);
  await vi.waitFor(async () => expect(await redis?.client.lLen(KEY)).toBe(0), WAIT); // claimed
  const loops = a.queue?.loops ?? 0;
  await vi.waitFor(() => expect(a.queue?.loops).toBeGreaterThan(loops + 1), WAIT);
  expect(await accepted(a)).toBe(1);
  expect(a.queue?.lease.mayApply()).toBe(false);
  time.tick(); // the renewal gets through: applying goes on
  await vi.waitFor(async () => expect(await accepted(a)).toBe(2), WAIT);
  expect(a.queue?.halted).toBeNull();
});

it('a replica whose lists were taken over while it could not renew stops and says so; every message counted once', async () => {
  redis = await startRedis();
  const time = manualClock();
  const a = await start({ consumer: 'a', leaseMs: 1000, clock: time.clock });
  await redis.client.lPush(
    KEY,
    Array.from({ length: 10 }, () => message),
  );
  await vi.waitFor(async () => expect(await accepted(a)).toBe(10), WAIT);
  await vi.waitFor(() => expect(a.queue?.processing).toBe(0), WAIT); // checkpointed and deleted
  // a's renewals stop (its timer is frozen) and its clock passes the lease: it claims, but must not apply.
  time.advance(1000);
  await redis.client.lPush(
    KEY,
    Array.from({ length: 5 }, () => message),
  );
  await vi.waitFor(async () => expect(await redis?.client.lLen(KEY)).toBe(0), WAIT);
  // The lease runs out in Redis; b takes a's lists over and applies them.
  const b = await start({ consumer: 'b', leaseMs: 1000 });
  await vi.waitFor(async () => expect(await accepted(b)).toBe(5), { ...WAIT, timeout: 30_000 });
  expect(await metricValue(b, 'log_analyzer_redis_batches_taken_over_total')).toBeGreaterThan(0);
  // a's next renewal finds the take-over note: it stops, says why, and never applies those five.
  time.tick();
  await vi.waitFor(() => expect(a.queue?.halted).toMatch(/consumer b took over/), WAIT);
  await redis.client.lPush(
    KEY,
    Array.from({ length: 3 }, () => message),
  );
  await vi.waitFor(async () => expect(await accepted(b)).toBe(8), WAIT);
  const loops = b.queue?.loops ?? 0;
  await vi.waitFor(() => expect(b.queue?.loops).toBeGreaterThan(loops + 1), WAIT);
  expect(await accepted(a)).toBe(10);
  expect(await accepted(b)).toBe(8);
});
