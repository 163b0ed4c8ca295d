// Issue 27 item 4: tracing, from a real process to a local OTLP/HTTP receiver (JSON, as the SDK's
// http exporter sends it). A push carrying a W3C traceparent gives a server span in that trace,
// the child of the caller's span; checkpoint writes and queue batches (a real redis-server) give
// spans of their own, and so does each rule group's evaluation. Without the flag nothing is sent
// and the SDK is never loaded.
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { type Served, spawnServe, tempDir, useProcesses, WAIT } from './helpers.js';
import { startRedis, type TestRedis } from './redis.js';

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
}

/** An id as hex, whether the JSON carried hex (the OTLP/JSON spelling) or base64. */
const hex = (id: string | undefined) =>
  !id ? '' : /^[0-9a-f]+$/.test(id) ? id : Buffer.from(id, 'base64').toString('hex');

/** A local OTLP/HTTP trace receiver: every span posted to /v1/traces. */
async function receiver(): Promise<{ server: Server; url: string; spans: Span[]; posts: string[] }> {
  const spans: Span[] = [];
  const posts: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      posts.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      const body = JSON.parse(Buffer.concat(chunks).toString()) as {
        resourceSpans: { scopeSpans: { spans: Span[] }[] }[];
      };
      for (const r of body.resourceSpans) for (const s of r.scopeSpans) spans.push(...s.spans);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { server, url: `http://127.0.0.1:${port}`, spans, posts };
}

/**
 * NODE_OPTIONS that make the process say on stderr each @opentelemetry module it resolves (a
 * module hook, the way ESM imports can be seen).
 */
function sayingLoads(dir: string): Record<string, string> {
  const hook = `export async function resolve(specifier, context, next) {
    if (specifier.startsWith('@opentelemetry/')) process.stderr.write('resolving ' + specifier + '\\n');
    return next(specifier, context);
  }`;
  const file = join(dir, 'say-loads.mjs');
  writeFileSync(
    file,
    `import { register } from 'node:module';\nregister('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));\n`,
  );
  return { NODE_OPTIONS: `--import=${file}` };
}

const { running, cleanups } = useProcesses();
let redis: TestRedis | null = null;
let otlp: Server | null = null;
afterEach(async () => {
  await redis?.stop();
  redis = null;
  otlp?.close();
  otlp = null;
});

const push = (s: Served, headers: Record<string, string>) =>
  s.url.then((url) =>
    fetch(url.replace(/\/metrics$/, '/metrics/track'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify({ name: 'jobs_total', value: 1, type: 'counter' }),
    }),
  );

it('a push with a traceparent is a server span of that trace, child of the caller; checkpoints and queue batches are spans', async () => {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const received = await receiver();
  otlp = received.server;
  redis = await startRedis();
  const served = spawnServe(
    [
      '--watch',
      join(dir, '*.log'),
      '--positions',
      join(dir, 'checkpoint.json'),
      '--tracing-endpoint',
      received.url,
      '--redis-url',
      redis.url,
    ],
    [],
    { OTEL_BSP_SCHEDULE_DELAY: '100', ...sayingLoads(dir) },
  );
  running.push(served);
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const parent = '00f067aa0ba902b7';
  const answer = await push(served, { traceparent: `00-${traceId}-${parent}-01`, 'X-Request-Id': 'traced-1' });
  expect(answer.status).toBe(200);
  expect((await push(served, {})).status).toBe(200);
  await redis.client.lPush(
    'prom-stream-gateway:metric-queue',
    JSON.stringify({ type: 'counter', name: 'q', value: 1 }),
  );

  const named = (name: string) => received.spans.filter((s) => s.name === name);
  await vi.waitFor(() => {
    expect(named('POST /metrics/track')).toHaveLength(2);
    expect(named('queue batch').length).toBeGreaterThanOrEqual(1);
    expect(named('checkpoint write').length).toBeGreaterThanOrEqual(1);
  }, WAIT);
  const [traced, untraced] = named('POST /metrics/track').sort((a) => (hex(a.traceId) === traceId ? -1 : 1));
  expect([hex(traced?.traceId), hex(traced?.parentSpanId), traced?.kind]).toEqual([traceId, parent, 2]); // 2: server
  expect(traced?.attributes).toEqual(
    expect.arrayContaining([
      { key: 'request.id', value: { stringValue: 'traced-1' } },
      { key: 'http.response.status_code', value: { intValue: 200 } },
    ]),
  );
  // Without a traceparent: a trace of its own, no parent.
  expect(hex(untraced?.traceId)).not.toBe(traceId);
  expect(hex(untraced?.parentSpanId)).toBe('');
  expect(received.posts.every((p) => p === 'POST /v1/traces application/json')).toBe(true);
  served.child.kill('SIGTERM');
  expect(await served.exited).toBe(0);
  expect(served.stderr()).toMatch(/resolving @opentelemetry\/sdk-trace-base/);
});

it('each rule group evaluation is a rules.evaluate span naming the group, its rules and failures', async () => {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const received = await receiver();
  otlp = received.server;
  const rules = join(dir, 'rules.yml');
  writeFileSync(
    rules,
    'groups:\n  - name: http\n    rules:\n      - alert: Busy\n        expr: rate(http_requests_total[1m]) > 1e9\n      - alert: Up\n        expr: absent(no_such_metric_total)\n',
  );
  const served = spawnServe(
    [
      '--watch',
      join(dir, '*.log'),
      '--no-positions',
      '--rules',
      rules,
      '--evaluation-interval',
      '200ms',
      '--tracing-endpoint',
      received.url,
    ],
    [],
    { OTEL_BSP_SCHEDULE_DELAY: '100' },
  );
  running.push(served);
  await served.url;
  const evaluated = () => received.spans.filter((s) => s.name === 'rules.evaluate');
  await vi.waitFor(() => expect(evaluated().length).toBeGreaterThanOrEqual(2), WAIT);
  // Spans counted before the counter is read: a turn is counted before its span is recorded.
  const spans = evaluated().length;
  const evaluations = await served.value('log_analyzer_rule_evaluations_total');
  expect(evaluated()[0]?.attributes).toEqual(
    expect.arrayContaining([
      { key: 'group', value: { stringValue: 'http' } },
      { key: 'file', value: { stringValue: rules } },
      { key: 'rules', value: { intValue: 2 } },
      { key: 'failed', value: { intValue: 0 } },
    ]),
  );
  // One span per group turn (two rules each): never more spans than rule evaluations / 2.
  expect(spans).toBeLessThanOrEqual(evaluations / 2);
  served.child.kill('SIGTERM');
  expect(await served.exited).toBe(0);
});

it('off by default: nothing sent, and the OpenTelemetry SDK is not loaded', async () => {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const received = await receiver();
  otlp = received.server;
  // Were tracing on, OTEL_EXPORTER_OTLP_ENDPOINT would send it here.
  const served = spawnServe(['--watch', join(dir, '*.log'), '--no-positions'], [], {
    OTEL_EXPORTER_OTLP_ENDPOINT: received.url,
    OTEL_BSP_SCHEDULE_DELAY: '100',
    ...sayingLoads(dir),
  });
  running.push(served);
  expect((await push(served, { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' })).status).toBe(
    200,
  );
  served.child.kill('SIGTERM');
  expect(await served.exited).toBe(0);
  // The same hook saw the SDK load in the test above.
  expect(served.stderr()).not.toMatch(/@opentelemetry/);
  expect(received.posts).toEqual([]);
});
