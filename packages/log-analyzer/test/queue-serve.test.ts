// The queue source in real processes against a real redis-server: kill -9 mid-drain and restart,
// two replicas draining one queue, a dead replica's processing lists taken over by another, and
// noise-maker's queue pushes counted exactly, and a 64 MiB message that never reaches the analyzer.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { MARKER_PREFIX_BYTES } from '../src/sources/queue/redis-queue.js';
import { noiseMakerArgs, type Served, spawnServe, tempDir, useProcesses } from './helpers.js';
import { padded, startRedis, type TestRedis } from './redis.js';

const KEY = 'prom-stream-gateway:metric-queue';
const LONG = { timeout: 90_000, interval: 50 };
let redis: TestRedis | null = null;
const { running, cleanups } = useProcesses();
afterEach(async () => {
  await redis?.stop();
  redis = null;
});

/** Preloads `n` counter messages over 50 series; returns the expected total. */
async function preload(n: number): Promise<number> {
  let total = 0;
  for (let i = 0; i < n; i += 1000) {
    const batch: string[] = [];
    for (let j = i; j < Math.min(n, i + 1000); j++) {
      const value = (j % 5) + 1;
      total += value;
      batch.push(JSON.stringify({ type: 'counter', name: 'jobs', value, labels: { worker: `w${j % 50}` } }));
    }
    await redis?.client.lPush(KEY, batch);
  }
  return total;
}

function serve(dir: string, extra: string[] = []): Served {
  const served = spawnServe([
    '--watch',
    join(dir, 'none.log'),
    '--positions',
    join(dir, 'checkpoint.json'),
    '--checkpoint-interval',
    '100ms',
    '--redis-url',
    redis?.url ?? '',
    ...extra,
  ]);
  running.push(served);
  return served;
}

const accepted = (s: Served) => s.value('log_analyzer_redis_messages_total', 'result="accepted"');

/**
 * After the total is reached: one more message, pushed now and counted by one of `servers`, shows the drain
 * went round again (a late double count would have come before it); then the total again.
 */
async function settledAt(servers: Served[], read: () => Promise<number>, want: number): Promise<void> {
  await vi.waitFor(async () => expect(await read()).toBe(want), LONG);
  const markers = async () => (await Promise.all(servers.map((s) => s.value('marker_total')))).reduce((x, y) => x + y);
  const before = await markers();
  await redis?.client.lPush(KEY, JSON.stringify({ type: 'counter', name: 'marker', value: 1 }));
  await vi.waitFor(async () => expect(await markers()).toBe(before + 1), LONG);
  expect(await read()).toBe(want);
}

async function kill(s: Served): Promise<void> {
  s.child.kill('SIGKILL');
  await s.exited;
  running.splice(running.indexOf(s), 1);
}

it('kill -9 mid-drain, then a restart: every message counted exactly once', async () => {
  redis = await startRedis();
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const total = await preload(60_000);
  const first = serve(dir, ['--redis-batch', '50']);
  await vi.waitFor(async () => expect(await accepted(first)).toBeGreaterThan(5_000), LONG);
  await kill(first);
  expect(await redis.client.lLen(KEY)).toBeGreaterThan(0); // it was mid-drain
  const second = serve(dir, ['--redis-batch', '50']);
  await settledAt([second], () => second.value('jobs_total'), total);
  await vi.waitFor(async () => expect(await redis?.client.keys(`${KEY}:processing:*`)).toEqual([]), LONG);
}, 120_000);

it('kill -9 with batches claimed ahead of the decoding ones, twice, then a restart: every message counted exactly once', async () => {
  redis = await startRedis();
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  // Far more than the two kills' thresholds: batches of 2,000 drain fast, and the queue must still hold
  // messages at the second kill (it failed in CI with 100,000: the whole queue was claimed by then).
  const total = await preload(300_000);
  // One decode thread, big batches: at a kill, batches are claimed and read back but not applied.
  const args = ['--redis-workers', '1', '--workers', '1', '--redis-batch', '2000'];
  let killedAt = 0;
  for (const at of [20_000, 50_000]) {
    const s = serve(dir, args);
    await vi.waitFor(async () => expect(await accepted(s)).toBeGreaterThan(at - killedAt), LONG);
    await kill(s);
    killedAt = at;
    // More lists than the last checkpoint includes: what a start must apply again.
    expect((await redis.client.keys(`${KEY}:processing:*`)).length).toBeGreaterThan(0);
  }
  expect(await redis.client.lLen(KEY)).toBeGreaterThan(0); // it was mid-drain
  const last = serve(dir, args);
  await settledAt([last], () => last.value('jobs_total'), total);
  await vi.waitFor(async () => expect(await redis?.client.keys(`${KEY}:processing:*`)).toEqual([]), LONG);
}, 150_000);

it('two replicas drain one queue: each message is applied by exactly one of them', async () => {
  redis = await startRedis();
  const a = tempDir();
  const b = tempDir();
  cleanups.push(a.cleanup, b.cleanup);
  const first = serve(a.dir, ['--redis-batch', '100']);
  const second = serve(b.dir, ['--redis-batch', '100']);
  await Promise.all([first.url, second.url]);
  const total = await preload(60_000);
  const both = async () => (await first.value('jobs_total')) + (await second.value('jobs_total'));
  await vi.waitFor(async () => expect(await both()).toBe(total), LONG);
  await settledAt([first, second], both, total);
  // Both took part (Redis spread the work), and they are two consumers.
  expect(await first.value('jobs_total')).toBeGreaterThan(0);
  expect(await second.value('jobs_total')).toBeGreaterThan(0);
  expect(await redis.client.keys(`${KEY}:lease:*`)).toHaveLength(2);
}, 120_000);

it("a dead replica's processing lists are taken over once its lease expires", async () => {
  redis = await startRedis();
  const a = tempDir();
  const b = tempDir();
  cleanups.push(a.cleanup, b.cleanup);
  const total = await preload(30_000);
  const args = ['--redis-batch', '100', '--redis-lease', '1s'];
  // First a graceful stop, so the replica has a checkpoint with counts in it...
  const first = serve(a.dir, [...args, '--checkpoint-interval', '200ms']);
  await vi.waitFor(async () => expect(await accepted(first)).toBeGreaterThan(1_000), LONG);
  first.child.kill('SIGTERM');
  await first.exited;
  running.splice(running.indexOf(first), 1);
  // ...then it drains on without checkpointing (the interval never comes) and dies: everything it
  // claimed since is in processing lists no checkpoint includes. (Dying in the moment between a
  // checkpoint and the deletion it allows is the one case that is not exact; see the README.)
  const dead = serve(a.dir, [...args, '--checkpoint-interval', '1h']);
  await dead.url;
  const before = await accepted(dead);
  await vi.waitFor(async () => expect(await accepted(dead)).toBeGreaterThan(before + 2_000), LONG);
  await kill(dead);
  expect((await redis.client.keys(`${KEY}:processing:*`)).length).toBeGreaterThan(0); // left behind
  const taker = serve(b.dir, [...args, '--checkpoint-interval', '200ms']);
  await vi.waitFor(async () => expect(await redis?.client.lLen(KEY)).toBe(0), LONG);
  await vi.waitFor(async () => expect(await redis?.client.keys(`${KEY}:processing:*`)).toEqual([]), LONG);
  expect(await taker.value('log_analyzer_redis_batches_taken_over_total')).toBeGreaterThan(0);
  // The dead replica comes back with its checkpoint: what it counted before the graceful stop, and
  // nothing of what the other took over. Together they hold every message once.
  const back = serve(a.dir, [...args, '--checkpoint-interval', '200ms']);
  const both = async () => (await back.value('jobs_total')) + (await taker.value('jobs_total'));
  await settledAt([back, taker], both, total);
  expect(await back.value('jobs_total')).toBeGreaterThan(0);
}, 120_000);

it('noise-maker push --redis-url: what it says it queued is exactly what /metrics shows, every type', async () => {
  redis = await startRedis();
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const analyzer = serve(dir);
  await analyzer.url;
  const run = spawnSync(
    process.execPath,
    noiseMakerArgs([
      'push',
      '--redis-url',
      redis.url,
      '--rate',
      '50000',
      '--count',
      '20000',
      '--batch',
      '500',
      '--series',
      '300',
      '--connections',
      '4',
      '--seed',
      '11',
    ]),
    { encoding: 'utf8' },
  );
  expect(run.status).toBe(0);
  const sent = JSON.parse(run.stdout) as {
    shape: string;
    samples: number;
    families: Record<string, { type: string; samples: number; sum: number }>;
  };
  expect(sent.shape).toBe('queue');
  expect(sent.samples).toBe(20_000);
  const families = Object.entries(sent.families);
  expect(families.map(([, t]) => t.type).sort()).toEqual(['counter', 'gauge', 'histogram', 'summary']);
  const counted = async (name: string, t: { type: string }) =>
    t.type === 'histogram' || t.type === 'summary'
      ? [await analyzer.value(`${name}_count`), await analyzer.value(`${name}_sum`)]
      : [null, await analyzer.value(name)];
  const want = (t: { type: string; samples: number; sum: number }) =>
    t.type === 'histogram' || t.type === 'summary' ? [t.samples, t.sum] : [null, t.sum];
  const all = async () =>
    Promise.all(families.map(async ([name, t]) => (await counted(name, t)).map((v) => v?.toFixed(6))));
  const expected = families.map(([, t]) => want(t).map((v) => v?.toFixed(6)));
  await settledAt([analyzer], async () => (JSON.stringify(await all()) === JSON.stringify(expected) ? 1 : 0), 1);
}, 120_000);

/** The process's peak resident set (VmHWM), in bytes. */
function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1]) * 1024;
}

it('a 64 MiB message is dead-lettered as too_large without reaching the analyzer; the others count', async () => {
  redis = await startRedis();
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const served = serve(dir);
  const accepted = () => served.value('log_analyzer_redis_messages_total', 'result="accepted"');
  await redis.client.lPush(
    KEY,
    Array.from({ length: 100 }, () => JSON.stringify({ type: 'counter', name: 'jobs', value: 1 })),
  );
  await vi.waitFor(async () => expect(await accepted()).toBe(100), LONG);
  const before = peakRss(served.child.pid as number);
  const size = 64 * 2 ** 20;
  await redis.client.lPush(KEY, padded(size));
  await redis.client.lPush(
    KEY,
    Array.from({ length: 50 }, () => JSON.stringify({ type: 'counter', name: 'jobs', value: 2 })),
  );
  await vi.waitFor(async () => expect(await accepted()).toBe(150), LONG);
  await vi.waitFor(async () => expect(await redis?.client.lLen(`${KEY}:dead`)).toBe(1), LONG);
  expect(await served.value('log_analyzer_redis_messages_total', 'reason="too_large"')).toBe(1);
  expect(await served.value('jobs_total')).toBe(200);
  // The bytes stayed in Redis: the peak grew by far less than the message.
  expect(peakRss(served.child.pid as number) - before).toBeLessThan(size / 4);
  const [letter] = await redis.client.lRange(`${KEY}:dead`, 0, -1);
  expect(String(letter).length).toBeLessThan(8 * 1024);
  const dead = JSON.parse(String(letter));
  expect(dead).toMatchObject({ reason: 'too_large', size, truncated: true });
  expect(dead.message).toBe(padded(size).slice(0, MARKER_PREFIX_BYTES));
  expect(dead.error).toContain('--redis-max-message-bytes');
});
