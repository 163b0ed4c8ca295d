// Scrape targets against local HTTP servers: a Prometheus target whose series come and go, one
// that is slow, one that answers garbage, one that answers 500, one that goes away; health and
// custom targets. Each failure is counted by target and reason; no target holds up another.
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { Registry } from 'prom-client';
import { afterEach, expect, it } from 'vitest';
import { parsePromText, withTarget } from '../src/sources/scrape/prom-text.js';
import { numericFields, ScrapeSource, type ScrapeTarget } from '../src/sources/scrape/scrape-source.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A local target; one that `hangs` takes the request and never answers (the scrape's timeout ends it). */
async function serve(answer: (path: string) => { status?: number; body: string; hangs?: boolean }): Promise<string> {
  const server = createServer((req, res) => {
    const a = answer(req.url ?? '/');
    if (a.hangs) return;
    res.writeHead(a.status ?? 200, { 'content-type': 'text/plain' });
    res.end(a.body);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

async function source(targets: ScrapeTarget[]) {
  const registry = new Registry();
  const s = new ScrapeSource({ intervalMs: 60_000, timeoutMs: 300, maxBodyBytes: 4096, targets }, registry, (n) =>
    n.startsWith('log_'),
  );
  const value = async (name: string, labels: Record<string, string>) => {
    const metric = registry.getSingleMetric(name);
    const { values } = (await metric?.get()) ?? { values: [] };
    return values.find((v) => Object.entries(labels).every(([k, w]) => v.labels[k] === w))?.value;
  };
  return { s, value };
}

it('re-exports a Prometheus target with a target label; a series gone from it is gone here; promtool is silent', async () => {
  let round = 0;
  const url = await serve(() => ({
    body: [
      '# HELP api_requests_total Requests.',
      '# TYPE api_requests_total counter',
      `api_requests_total{code="200"} ${100 + round}`,
      round === 0 ? 'api_requests_total{code="500"} 3' : '',
      '# TYPE api_latency_seconds histogram',
      'api_latency_seconds_bucket{le="0.1"} 5',
      'api_latency_seconds_bucket{le="+Inf"} 7',
      'api_latency_seconds_sum 1.5',
      'api_latency_seconds_count 7',
      'api_up{target="self"} 1',
    ].join('\n'),
  }));
  const { s, value } = await source([{ name: 'api', url: `${url}/metrics`, type: 'prometheus' }]);
  await s.scrapeAll();
  let text = s.exposition();
  expect(text).toContain('api_requests_total{target="api",code="200"} 100\n');
  expect(text).toContain('api_requests_total{target="api",code="500"} 3\n');
  expect(text).toContain('api_latency_seconds_bucket{target="api",le="+Inf"} 7\n');
  expect(text).toContain('api_up{target="api",exported_target="self"} 1');
  expect(await value('scrape_target_up', { target: 'api' })).toBe(1);
  const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  expect(`${lint.stdout}${lint.stderr}`.trim()).toBe('');
  round = 1;
  await s.scrapeAll();
  text = s.exposition();
  expect(text).toContain('api_requests_total{target="api",code="200"} 101\n');
  expect(text).not.toContain('code="500"');
});

it.each([
  ['slow', { body: 'x 1', hangs: true }, 'timeout'],
  ['garbage', { body: 'this is { not metrics' }, 'parse'],
  ['error', { status: 500, body: 'oops' }, 'http_status'],
  ['huge', { body: `x 1\n${'#'.repeat(10_000)}` }, 'body_too_large'],
])('a %s target is down, counted by reason; a good one beside it is not held up', async (name, answer, reason) => {
  const bad = await serve(() => answer);
  const good = await serve(() => ({ body: 'ok_metric 1\n' }));
  const { s, value } = await source([
    { name, url: bad, type: 'prometheus' },
    { name: 'good', url: good, type: 'prometheus' },
  ]);
  const started = performance.now();
  await s.scrapeAll();
  expect(performance.now() - started).toBeLessThan(1500); // the timeout (300 ms) ends a target that hangs
  expect(await value('scrape_target_up', { target: name })).toBe(0);
  expect(await value('scrape_target_failures_total', { target: name, reason })).toBe(1);
  expect(await value('scrape_target_up', { target: 'good' })).toBe(1);
  expect(s.exposition()).toContain('ok_metric{target="good"} 1');
});

it('a target that goes away: down (connection), and its series go', async () => {
  const url = await serve(() => ({ body: 'gone_metric 1\n' }));
  const { s, value } = await source([{ name: 'away', url, type: 'prometheus' }]);
  await s.scrapeAll();
  expect(s.exposition()).toContain('gone_metric{target="away"} 1');
  await new Promise((r) => servers.pop()?.close(r));
  await s.scrapeAll();
  expect(await value('scrape_target_up', { target: 'away' })).toBe(0);
  expect(await value('scrape_target_failures_total', { target: 'away', reason: 'connection' })).toBe(1);
  expect(s.exposition()).toBe('');
});

it('health targets read a JSON status; custom targets expose their JSON numbers', async () => {
  const url = await serve((path) =>
    path === '/ok'
      ? { body: '{"status":"ok"}' }
      : path === '/down'
        ? { body: '{"status":"degraded"}' }
        : path === '/plain'
          ? { body: 'fine' }
          : { body: '{"queue":{"depth":12,"workers":3},"ok":true,"name":"x"}' },
  );
  const { s, value } = await source([
    { name: 'ok', url: `${url}/ok`, type: 'health' },
    { name: 'down', url: `${url}/down`, type: 'health' },
    { name: 'plain', url: `${url}/plain`, type: 'health' },
    { name: 'stats', url: `${url}/stats`, type: 'custom' },
  ]);
  await s.scrapeAll();
  expect(await value('scrape_target_up', { target: 'ok' })).toBe(1);
  expect(await value('scrape_target_up', { target: 'down' })).toBe(0);
  expect(await value('scrape_target_up', { target: 'plain' })).toBe(1);
  expect(await value('scrape_target_value', { target: 'stats', field: 'queue_depth' })).toBe(12);
  expect(await value('scrape_target_value', { target: 'stats', field: 'ok' })).toBe(1);
  expect(await value('scrape_target_duration_seconds', { target: 'ok' })).toBeGreaterThan(0);
});

it('parses OpenMetrics too (a counter family named without _total, _created dropped, # EOF)', () => {
  const families = parsePromText(
    '# TYPE jobs counter\njobs_total{q="a"} 4\njobs_created{q="a"} 1.7e9\n# TYPE temp gauge\ntemp 21.5\n# EOF\n',
    100,
  );
  expect(families.map((f) => [f.name, f.type, f.samples.map((s) => s.metric)])).toEqual([
    ['jobs_total', 'counter', ['jobs_total']],
    ['temp', 'gauge', ['temp']],
  ]);
  expect(withTarget('', 'a"b')).toBe('target="a\\"b"');
  expect([...numericFields({ a: { b: 1, c: 'x' }, d: [1, 2] })]).toEqual([['a_b', 1]]);
});
