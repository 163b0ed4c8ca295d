// Hostile values through both doors (HTTP pushes in-process, Redis queue messages against a real
// redis-server): sums that would overflow, tiny epsilons, huge names, far-future timestamps,
// deeply nested JSON, names that collide with served families. Each is refused with its reason,
// the rest goes on, /metrics passes promtool and a restart restores every count.

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Analyzer } from '../src/app.js';
import { createAnalyzer } from '../src/app.js';
import type { AnalyzerConfig } from '../src/config/analyzer-config.js';
import type { PushConfig } from '../src/sources/push/push-source.js';
import { expectSettled, lines, metricValue, queueCycle, tempDir, testConfig, WAIT } from './helpers.js';
import { startRedis, type TestRedis } from './redis.js';

const running: Analyzer[] = [];
const cleanups: (() => void)[] = [];
let redis: TestRedis | null = null;
afterEach(async () => {
  for (const a of running.splice(0)) await a.stop();
  await redis?.stop();
  redis = null;
  for (const c of cleanups.splice(0)) c();
});

function scratch(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

async function analyzer(overrides: Partial<AnalyzerConfig> = {}, push: Partial<PushConfig> = {}): Promise<Analyzer> {
  const a = await createAnalyzer(testConfig({ watch: [join(scratch(), '*.log')], push, ...overrides }));
  running.push(a);
  await a.ready;
  return a;
}

async function stop(a: Analyzer): Promise<void> {
  running.splice(running.indexOf(a), 1);
  await a.stop();
}

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field below
type Json = any;
async function post(a: Analyzer, path: string, body: unknown): Promise<{ status: number; json: Json }> {
  const res = await a.app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

async function scrape(a: Analyzer): Promise<string> {
  const res = await a.app.request('/metrics');
  expect(res.status).toBe(200);
  return res.text();
}

/** The value of one exposition line, by its exact series text (name and labels). */
function seriesValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** What promtool says about an exposition (empty: nothing). */
function promtool(text: string): string {
  const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return `${lint.stdout}${lint.stderr}`.trim() || `exit ${lint.status}`;
}
const CLEAN = 'exit 0';

const refused = (a: Analyzer, reason: string) =>
  metricValue(a, 'log_analyzer_push_samples_total', { result: 'rejected', reason });

describe('sums stay finite (overflow)', () => {
  it('1e308 twice, 1.7e308 observations twice: the second is refused; /metrics and a restart hold finite values', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'access.log'), lines(5));
    const overrides = {
      watch: [join(dir, '*.log')],
      from: 'beginning' as const,
      positionsFile: join(dir, 'checkpoint.json'),
    };
    const first = await analyzer(overrides, { cumulativeSources: new Set(['app']) });
    await expectSettled(first, () => metricValue(first, 'log_lines_total'), 5);
    const items = [
      { name: 'big', type: 'counter', value: 1e308 },
      { name: 'obs', type: 'histogram', value: 1.7e308 },
      { name: 'sz', type: 'summary', value: 1.7e308 },
      { name: 'neg', type: 'histogram', value: -1.7e308 },
    ];
    expect((await post(first, '/metrics/track/batch', items)).json).toMatchObject({ successful: 4 });
    const again = await post(first, '/metrics/track/batch', [...items, { name: 'ok', type: 'gauge', value: 1 }]);
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ successful: 1, failed: 4 });
    expect(again.json.errors.map((e: Json) => e.reason)).toEqual(['overflow', 'overflow', 'overflow', 'overflow']);
    // A running total that grew by more than is left: refused too, and its last total is kept.
    const total = (value: number) => ({ source: 'app', metrics: [{ name: 'runs', metric_type: 'counter', value }] });
    await post(first, '/api/metrics', total(1e308));
    expect((await post(first, '/api/metrics', total(1.7e308))).json).toMatchObject({ accepted: 1 });
    expect(
      (await post(first, '/api/metrics', { metrics: [{ name: 'runs', metric_type: 'counter', value: 1e308 }] })).json,
    ).toMatchObject({ errors: [{ reason: 'overflow' }] });
    expect(await refused(first, 'overflow')).toBe(5);

    const text = await scrape(first);
    expect(text).not.toMatch(/ [+-]?Inf\n/);
    expect(seriesValue(text, 'big_total')).toBe(1e308);
    expect(seriesValue(text, 'obs_sum')).toBe(1.7e308);
    expect(seriesValue(text, 'obs_count')).toBe(1);
    expect(seriesValue(text, 'sz_count')).toBe(1);
    expect(seriesValue(text, 'runs_total')).toBe(1.7e308);
    await stop(first);

    // The checkpoint was usable: the log's counts and every pushed value carry on.
    const second = await analyzer(overrides, { cumulativeSources: new Set(['app']) });
    expect(second.resumed).toBe(true);
    expect(await metricValue(second, 'log_lines_total')).toBe(5);
    const restored = await scrape(second);
    expect(seriesValue(restored, 'big_total')).toBe(1e308);
    expect(seriesValue(restored, 'obs_sum')).toBe(1.7e308);
    expect(seriesValue(restored, 'neg_sum')).toBe(-1.7e308);
    expect(promtool(restored)).toBe(CLEAN);
  });
});

describe('summary epsilons', () => {
  it('20 batches of 10,000 observations with epsilon 1e-12 are refused (they took 279 s); the default path takes them all', async () => {
    const a = await analyzer();
    const batch = (over: object) =>
      Array.from({ length: 10_000 }, (_, i) => ({ name: 'lat_seconds', type: 'summary', value: i / 1000, ...over }));
    for (let b = 0; b < 20; b++) {
      const { status, json } = await post(a, '/metrics/track/batch', batch({ quantiles: [0.5], epsilons: [1e-12] }));
      expect(status).toBe(400);
      expect(json.errors[0]).toMatchObject({ reason: 'epsilon_too_small' });
    }
    expect(await refused(a, 'epsilon_too_small')).toBe(200_000);
    for (let b = 0; b < 20; b++) {
      expect((await post(a, '/metrics/track/batch', batch({}))).json).toMatchObject({ successful: 10_000 });
    }
    const text = await scrape(a);
    expect(seriesValue(text, 'lat_seconds_count')).toBe(200_000);
    expect(seriesValue(text, 'lat_seconds{quantile="0.5"}')).toBeCloseTo(5, 0);
  });
});

describe('length limits', () => {
  it('the 900 KB name, the 900 KB help and 30 label names of 30 KB are refused; /metrics stays small', async () => {
    const a = await analyzer();
    const before = (await scrape(a)).length;
    const cases: [object, string][] = [
      [{ name: 'n'.repeat(900_000), type: 'gauge', value: 1 }, 'name_too_long'],
      [{ name: 'helpful', type: 'gauge', value: 1, help: 'h'.repeat(900_000) }, 'help_too_long'],
      [
        {
          name: 'labelled',
          type: 'gauge',
          value: 1,
          labels: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`l${i}_${'x'.repeat(30_000)}`, 'v'])),
        },
        'label_name_too_long',
      ],
    ];
    for (const [body, reason] of cases) {
      const { status, json } = await post(a, '/metrics/track', body);
      expect(status, reason).toBe(400);
      expect(json, reason).toMatchObject({ success: false, reason });
      expect(JSON.stringify(json).length, reason).toBeLessThan(500);
    }
    expect((await scrape(a)).length - before).toBeLessThan(2_000);
  });
});

describe('timestamps', () => {
  it('a sample at 8.64e15 ms is refused (too_far_in_future) and no longer freezes the gauge', async () => {
    const a = await analyzer();
    const gauge = (value: number, timestamp?: number) => ({
      metrics: [{ name: 'temp', metric_type: 'gauge', value: { value, timestamp } }],
    });
    expect((await post(a, '/api/metrics', gauge(1, Date.now()))).json).toMatchObject({ accepted: 1 });
    expect((await post(a, '/api/metrics', gauge(99, 8.64e15))).json).toMatchObject({
      errors: [{ reason: 'too_far_in_future' }],
    });
    expect((await post(a, '/api/metrics', gauge(2, Date.now()))).json).toMatchObject({ accepted: 1 });
    expect((await post(a, '/api/metrics', gauge(3))).json).toMatchObject({ accepted: 1 });
    // An hour-old sample is fine on its own (a backlog), but older than the value set: out of order.
    expect((await post(a, '/api/metrics', gauge(4, Date.now() - 3_600_000))).json).toMatchObject({
      errors: [{ reason: 'out_of_order' }],
    });
    expect(seriesValue(await scrape(a), 'temp')).toBe(3);
  });
});

describe('deeply nested JSON', () => {
  it('answers 400 with the line and column, inline and on the decode threads, and keeps serving', async () => {
    const a = await analyzer();
    const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    // 100,000 deep is 100 KB: decoded on a thread (bodies of 32 KiB and more); 1,000 deep inline.
    for (const n of [1_000, 100_000]) {
      const bad = await post(a, '/api/metrics', `{"metrics": ${'['.repeat(n)}}`);
      expect(bad.status).toBe(400);
      expect(bad.json.error).toBe(
        `invalid JSON at position ${12 + n} (line 1, column ${13 + n}): Unexpected token '}'`,
      );
      const valid = await post(a, '/metrics/track/batch', deep(n));
      expect(valid.status).toBe(400);
      expect(valid.json.errors).toEqual([{ index: 0, reason: 'invalid_body', message: 'an item must be an object' }]);
      const name = await post(
        a,
        '/metrics/track',
        `{"name":${deep(n)},"type":"gauge","value":1,"pad":"${'x'.repeat(40_000)}"}`,
      );
      expect(name.status).toBe(400);
      expect(name.json).toMatchObject({
        reason: 'invalid_name',
        message: 'name an array is not a Prometheus metric name',
      });
    }
    expect((await post(a, '/metrics/track', { name: 'ok', type: 'gauge', value: 1 })).status).toBe(200);
  });
});

describe('names of served families', () => {
  it('reserved prefixes and suffix collisions are refused in either order; promtool stays clean', async () => {
    const a = await analyzer();
    const first = [
      { name: 'req_seconds', type: 'histogram', value: 0.1 },
      { name: 'rpc_seconds', type: 'summary', value: 0.1 },
      { name: 'jobs', type: 'counter', value: 1 },
    ];
    expect((await post(a, '/metrics/track/batch', first)).json).toMatchObject({ successful: 3 });
    const cases: [object, string][] = [
      [{ name: 'req_seconds_sum', type: 'gauge', value: 1 }, 'name_conflict'],
      [{ name: 'req_seconds_count', type: 'gauge', value: 1 }, 'name_conflict'],
      [{ name: 'req_seconds_bucket', type: 'gauge', value: 1 }, 'name_conflict'],
      [{ name: 'rpc_seconds_sum', type: 'counter', value: 1 }, 'name_conflict'],
      [{ name: 'rpc_seconds_count', type: 'gauge', value: 1 }, 'name_conflict'],
      [{ name: 'jobs', type: 'gauge', value: 1 }, 'name_conflict'],
      [{ name: 'jobs_total', type: 'gauge', value: 1 }, 'type_conflict'],
      [{ name: 'node_load1', type: 'gauge', value: 1 }, 'reserved_name'],
      [{ name: 'node_anything', type: 'gauge', value: 1 }, 'reserved_name'],
      [{ name: 'container_spec_memory_limit_bytes', type: 'gauge', value: 1 }, 'reserved_name'],
      [{ name: 'scrape_target_up', type: 'gauge', value: 1 }, 'reserved_name'],
      [{ name: 'process_cpu_seconds', type: 'counter', value: 1 }, 'reserved_name'],
      [{ name: 'nodejs_heap_size_bytes', type: 'gauge', value: 1 }, 'reserved_name'],
      [{ name: 'log_analyzer_build_info', type: 'gauge', value: 1 }, 'reserved_name'],
      [{ name: 'http_requests', type: 'gauge', value: 1 }, 'reserved_name'],
      [{ name: 'http_request_duration_seconds_sum', type: 'gauge', value: 1 }, 'reserved_name'],
      // Exposed log_lines_per_second_total: its OpenMetrics family would be the self gauge's name.
      [{ name: 'log_lines_per_second', type: 'counter', value: 1 }, 'reserved_name'],
      [{ name: 'http_requests', type: 'histogram', value: 1 }, 'reserved_name'],
    ];
    for (const [body, reason] of cases) {
      expect((await post(a, '/metrics/track', body)).json, JSON.stringify(body)).toMatchObject({ reason });
    }
    expect(promtool(await scrape(a))).toBe(CLEAN);

    // The other order: the gauge came first, the histogram is refused. (promtool's lint dislikes a
    // gauge named *_sum, but the exposition still parses: one TYPE per name.)
    await post(a, '/metrics/track', { name: 'queue_sum', type: 'gauge', value: 1 });
    await post(a, '/metrics/track', { name: 'load', type: 'gauge', value: 1 });
    expect((await post(a, '/metrics/track', { name: 'queue', type: 'summary', value: 1 })).json).toMatchObject({
      reason: 'name_conflict',
    });
    expect((await post(a, '/metrics/track', { name: 'load', type: 'counter', value: 1 })).json).toMatchObject({
      reason: 'name_conflict',
    });
    expect(promtool(await scrape(a))).toBe(
      'queue_sum non-histogram and non-summary metrics should not have "_sum" suffix',
    );
  });
});

describe('the same refusals for queue messages', () => {
  it('overflow, bounds, future timestamps and collisions go to the dead letters with their reason', async () => {
    redis = await startRedis();
    const dir = scratch();
    const a = await analyzer({
      positionsFile: join(dir, 'checkpoint.json'),
      queue: { url: redis.url, consumer: 'test', batch: 1000, deadMax: 100 },
    });
    const KEY = 'prom-stream-gateway:metric-queue';
    const good = [
      '{"type":"counter","name":"sent","value":1e308}',
      '{"type":"histogram","name":"q_seconds","value":1}',
      '{"type":"gauge","name":"temp","value":1}',
    ];
    const bad: [string, string][] = [
      ['{"type":"counter","name":"sent","value":1e308}', 'overflow'],
      ['{"type":"gauge","name":"g","value":1e999}', 'overflow'],
      [`{"type":"gauge","name":"${'n'.repeat(300)}","value":1}`, 'name_too_long'],
      [`{"type":"gauge","name":"g","value":1,"help":"${'h'.repeat(2000)}"}`, 'help_too_long'],
      [`{"type":"gauge","name":"g","value":1,"labels":{"${'l'.repeat(200)}":"v"}}`, 'label_name_too_long'],
      ['{"type":"summary","name":"s","value":1,"quantiles":[0.5],"epsilons":[1e-12]}', 'epsilon_too_small'],
      ['{"type":"gauge","name":"temp","value":9,"timestamp":8640000000000000}', 'too_far_in_future'],
      ['{"type":"gauge","name":"q_seconds_bucket","value":1}', 'name_conflict'],
      ['{"type":"gauge","name":"node_load1","value":1}', 'reserved_name'],
      [`{"type":"gauge","name":${'['.repeat(100_000)}${']'.repeat(100_000)},"value":1}`, 'invalid_name'],
      [`${'['.repeat(100_000)}`, 'invalid_json'],
    ];
    await redis.client.lPush(KEY, good);
    await redis.client.lPush(
      KEY,
      bad.map(([m]) => m),
    );
    const accepted = () => metricValue(a, 'log_analyzer_redis_messages_total', { result: 'accepted' });
    await vi.waitFor(async () => expect(await accepted()).toBe(3), WAIT);
    await vi.waitFor(async () => expect(await redis?.client.lLen(`${KEY}:dead`)).toBe(bad.length), WAIT);
    // One more round of the drain: nothing counted late or twice.
    await queueCycle(a);
    expect(await accepted()).toBe(3);
    expect(await redis.client.lLen(`${KEY}:dead`)).toBe(bad.length);
    const dead = (await redis.client.lRange(`${KEY}:dead`, 0, -1)).map((d) => JSON.parse(String(d)));
    expect(dead.map((d) => d.reason).sort()).toEqual(bad.map(([, reason]) => reason).sort());
    expect(dead.find((d) => d.reason === 'invalid_json').error).toMatch(
      /^invalid JSON at position 100000 \(line 1, column 100001\)/,
    );
    await a.checkpoint();
    const text = await scrape(a);
    expect(seriesValue(text, 'sent_total')).toBe(1e308);
    expect(seriesValue(text, 'temp')).toBe(1);
    expect(promtool(text)).toBe(CLEAN);
  });
});
