// Hostile input for a bounded time against a real process: random and hostile push bodies on every
// push path and hostile queue messages on a real redis-server, interleaved with good samples whose
// totals are known. Afterwards the process is alive, /metrics passes `promtool check metrics`, and
// after kill -9 and a restart every acknowledged count is back, exactly.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, expect, it, vi } from 'vitest';
import { type Served, spawnServe, tempDir, useProcesses } from './helpers.js';
import { startRedis, type TestRedis } from './redis.js';

const KEY = 'prom-stream-gateway:metric-queue';
const LONG = { timeout: 60_000, interval: 50 };
/** The fuzzing stops after this many requests and messages, or this long, whichever comes first. */
const ROUNDS = 400;
const BUDGET_MS = 20_000;

let redis: TestRedis | null = null;
const { running, cleanups } = useProcesses();
afterEach(async () => {
  await redis?.stop();
  redis = null;
});

const hostileNumber = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 1000 }), weight: 4 },
  fc.constantFrom(1e308, -1e308, 1.7e308, Number.MAX_VALUE, 5e-324, -0, 0, 2 ** 53 + 1, 1e-300, 8.64e15),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constantFrom<unknown>('NaN', 'Infinity', '-Infinity', '1e309', '', null, true, [], {}),
);
const hostileName = fc.oneof(
  fc.string(),
  { arbitrary: fc.stringMatching(/^[a-z_][a-z0-9_]{0,12}$/), weight: 4 },
  { arbitrary: fc.constant('x'.repeat(300_000)), weight: 1 },
  fc.constantFrom(
    'node_cpu_seconds_total',
    'log_lines_total',
    'log_analyzer_errors_total',
    'scrape_target_up',
    'process_cpu_seconds_total',
    'container_memory_usage_bytes',
    'h',
    'h_sum',
    'h_count',
    'h_bucket',
    'c',
    'c_total',
    '__name__',
    'a:b',
    'é',
    '\u0000',
    'fuzz_ok',
  ),
);
const hostileLabelName = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom('le', 'quantile', '__name__', 'tenant_id', 'service', 'k'.repeat(40_000), 'target'),
);
const hostileLabels = fc.oneof(
  fc.dictionary(
    hostileLabelName,
    fc.oneof(
      { arbitrary: fc.string(), weight: 6 },
      fc.string({ unit: 'binary' }),
      fc.constant('v'.repeat(100_000)),
      fc.integer(),
    ),
    { maxKeys: 40 },
  ),
  fc.constantFrom<unknown>(null, 'labels', [1, 2], 7),
);
const hostileItem = fc.record(
  {
    name: hostileName,
    type: fc.oneof(
      { arbitrary: fc.constantFrom('counter', 'gauge', 'histogram', 'summary'), weight: 6 },
      fc.constantFrom<unknown>('untyped', 7, null),
    ),
    value: hostileNumber,
    labels: hostileLabels,
    help: fc.oneof({ arbitrary: fc.string(), weight: 8 }, fc.constant('h'.repeat(900_000)), fc.constant<unknown>(3)),
    timestamp: fc.constantFrom<unknown>(8.64e15, -1, Date.now(), 1e20, 'x', null),
    tenant_id: fc.constantFrom<unknown>('a', 'b', '', 'a'.repeat(500), 5),
    service: fc.oneof({ arbitrary: fc.string(), weight: 8 }, fc.constant('s'.repeat(50_000))),
    buckets: fc.array(hostileNumber, { maxLength: 20 }),
    quantiles: fc.array(fc.constantFrom<unknown>(0.5, 0.99, 0, 1, -1, 2, 'x'), { maxLength: 5 }),
    epsilons: fc.array(fc.constantFrom<unknown>(1e-12, 0, -1, 0.01, 2), { maxLength: 5 }),
  },
  { requiredKeys: [] },
);

/** One hostile body: structured items in every shape, raw garbage, deep nesting, non-UTF-8, huge. */
const hostileBody: fc.Arbitrary<Uint8Array> = fc.oneof(
  hostileItem.map((item) => Buffer.from(JSON.stringify(item))),
  fc.array(hostileItem, { maxLength: 30 }).map((items) => Buffer.from(JSON.stringify(items))),
  fc.array(hostileItem, { maxLength: 30 }).map((items) =>
    Buffer.from(
      JSON.stringify({
        metrics: items.map(({ name, type, help, labels, value, timestamp }) => ({
          name,
          metric_type: type,
          help,
          labels,
          value: { value, timestamp },
        })),
        source: 'fuzz',
      }),
    ),
  ),
  fc.json().map((text) => Buffer.from(text)),
  fc.uint8Array({ maxLength: 2000 }).map((bytes) => Buffer.from(bytes)),
  fc.integer({ min: 1, max: 200_000 }).map((depth) => Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth % 3)}`)),
  fc.integer({ min: 1, max: 100_000 }).map((depth) => Buffer.from(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`)),
  fc.constant(
    Buffer.concat([
      Buffer.from('{"name":"fuzz_'),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from('","value":1,"type":"counter"}'),
    ]),
  ),
  fc.constant(Buffer.alloc(3 * 1024 * 1024, 0x5b)),
  { arbitrary: fc.array(hostileItem, { maxLength: 10 }).map((items) => Buffer.from(JSON.stringify(items))), weight: 4 },
);

const PATHS = ['/api/metrics', '/metrics/track', '/metrics/track/batch', '/update'];

/** Sample lines that must survive a restart: everything but the process's own live metrics and summary quantiles. */
function durableLines(text: string): string[] {
  return text
    .split('\n')
    .filter(
      (line) =>
        line !== '' &&
        !line.startsWith('#') &&
        !/^(log_analyzer_|process_|nodejs_|scrape_)/.test(line) &&
        !line.includes('quantile="'),
    )
    .sort();
}

/** The answer's status, or 0 when the server closed the connection while the body was still being sent. */
async function post(url: string, body: Uint8Array<ArrayBuffer>): Promise<number> {
  try {
    const answer = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await answer.arrayBuffer();
    return answer.status;
  } catch (error) {
    if (body.length > 1024 * 1024) return 0;
    throw error;
  }
}

function serve(dir: string): Served {
  const served = spawnServe([
    '--watch',
    join(dir, 'none.log'),
    '--positions',
    join(dir, 'checkpoint.json'),
    '--checkpoint-interval',
    '100ms',
    '--push-ack',
    'durable',
    '--redis-url',
    redis?.url ?? '',
  ]);
  running.push(served);
  return served;
}

it('hostile pushes and queue messages neither stop the process nor break /metrics, and a restart restores every acknowledged count', async () => {
  redis = await startRedis();
  const t = tempDir();
  cleanups.push(t.cleanup);
  let analyzer = serve(t.dir);
  const base = (await analyzer.url).replace(/\/metrics$/, '');

  const bodies = fc.sample(hostileBody, { numRuns: ROUNDS, seed: 21 }).map((body) => new Uint8Array(body));
  const messages = fc.sample(
    fc.oneof(
      hostileItem.map((item) => JSON.stringify(item)),
      fc.string({ unit: 'binary' }),
      fc.json(),
      fc.constant('m'.repeat(4 * 1024 * 1024)),
    ),
    { numRuns: ROUNDS, seed: 22 },
  );
  let acknowledged = 0;
  let queued = 0;
  const statuses = new Map<number, number>();
  const started = Date.now();
  for (let i = 0; i < ROUNDS && Date.now() - started < BUDGET_MS; i++) {
    const status = await post(`${base}${PATHS[i % PATHS.length]}`, bodies[i] as Uint8Array<ArrayBuffer>);
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    // A hostile body gets a clear answer, never a server error (0: the server answered 413 and
    // closed before the client was done sending an over-size body).
    expect(status, `body ${i} on ${PATHS[i % PATHS.length]}`).toBeLessThan(500);
    expect(analyzer.child.exitCode, `body ${i}`).toBeNull();

    const good = (i % 9) + 1;
    const ok = await fetch(`${base}/metrics/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'fuzz_ok', type: 'counter', value: good, labels: { s: `s${i % 5}` } }),
    });
    await ok.arrayBuffer();
    if (ok.status === 200) acknowledged += good;

    await redis.client.lPush(KEY, [
      messages[i] as string,
      JSON.stringify({ type: 'counter', name: 'fuzz_queue_ok', value: good, labels: { s: `s${i % 5}` } }),
    ]);
    queued += good;
  }
  // Every good push on the way was answered 200: the hostile ones did not disturb them.
  expect(acknowledged).toBeGreaterThan(0);
  expect(analyzer.child.exitCode).toBeNull();
  await vi.waitFor(async () => expect(await analyzer.value('fuzz_queue_ok_total')).toBe(queued), LONG);
  expect(await analyzer.value('fuzz_ok_total')).toBe(acknowledged);

  const text = await (await fetch(await analyzer.url)).text();
  // The text parses (promtool's exit code 1 is unparseable text, 3 lint only), and the only lint is
  // about names senders chose (camelCase, a gauge named x_count): nothing of the analyzer's own.
  const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  expect([0, 3], `${lint.stdout}${lint.stderr}`).toContain(lint.status);
  for (const problem of `${lint.stdout}${lint.stderr}`.split('\n').filter(Boolean)) {
    expect(problem).not.toMatch(/^(log_|http_|process_|nodejs_|scrape_|fuzz_)/);
  }
  const before = durableLines(text);

  analyzer.child.kill('SIGKILL');
  await analyzer.exited;
  running.splice(running.indexOf(analyzer), 1);
  analyzer = serve(t.dir);
  await vi.waitFor(async () => expect(await analyzer.value('fuzz_queue_ok_total')).toBe(queued), LONG);
  expect(await analyzer.value('fuzz_ok_total')).toBe(acknowledged);
  // One more good message through the queue shows the drain went round again after the restart.
  await redis.client.lPush(KEY, JSON.stringify({ type: 'counter', name: 'fuzz_queue_ok', value: 1 }));
  await vi.waitFor(async () => expect(await analyzer.value('fuzz_queue_ok_total')).toBe(queued + 1), LONG);
  const after = durableLines(await (await fetch(await analyzer.url)).text()).filter(
    (line) => !line.startsWith('fuzz_queue_ok_total '),
  );
  expect(after).toEqual(before.filter((line) => !line.startsWith('fuzz_queue_ok_total ')));
}, 180_000);
