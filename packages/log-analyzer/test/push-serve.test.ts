// Push ingestion against a running server: the README's curl examples, promtool on the result,
// and kill -9 under load — every push answered 200 is still counted after the restart.

import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { noiseMakerArgs, type Served, spawnServe, tempDir, useProcesses } from './helpers.js';

const run = promisify(execFile);
const { running: servers, cleanups } = useProcesses();

function serve(args: string[]): Served {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const s = spawnServe(['--watch', join(t.dir, '*.log'), ...args]);
  servers.push(s);
  return s;
}

const base = async (s: Served) => (await s.url).replace(/\/metrics$/, '');

async function curl(url: string, body: string): Promise<{ status: number; body: string }> {
  const { stdout } = await run('curl', [
    '-sS',
    '-X',
    'POST',
    '-H',
    'Content-Type: application/json',
    '--data-binary',
    body,
    '-w',
    '\n%{http_code}',
    url,
  ]);
  const at = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) };
}

it('the README curl examples work against a running server, and promtool is silent', async () => {
  const s = serve(['--no-positions']);
  const url = await base(s);
  const batch = await curl(
    `${url}/api/metrics`,
    '{"metrics":[{"name":"request_count","metric_type":"counter","help":"Total number of requests","labels":{"service":"api_gateway","endpoint":"/users"},"value":{"value":42.0,"timestamp":null}}],"source":"my_application"}',
  );
  expect(batch).toEqual({ status: 200, body: '{"success":true,"accepted":1,"rejected":0,"errors":[]}' });
  const track = await curl(
    `${url}/metrics/track`,
    '{"name":"checkout_duration_seconds","value":0.42,"type":"histogram","labels":{"region":"eu"},"service":"shop"}',
  );
  expect(track).toEqual({ status: 200, body: '{"success":true,"message":"Metric tracked successfully"}' });
  const many = await curl(
    `${url}/metrics/track/batch`,
    '[{"name":"cart_items","value":3,"type":"gauge","service":"shop"},{"name":"rpc_latency_seconds","value":0.02,"type":"summary","service":"shop"}]',
  );
  expect(many).toEqual({ status: 200, body: '{"success":true,"total":2,"successful":2,"failed":0,"errors":[]}' });
  const update = await curl(
    `${url}/update`,
    '{"type":"counter","name":"demo_metric","value":10,"labels":{"source":"demo","category":"example"}}',
  );
  expect(update.status).toBe(200);
  const bad = await curl(`${url}/api/metrics`, '{"metrics": [');
  expect(bad.status).toBe(400);
  expect(JSON.parse(bad.body).reason).toBe('invalid_json');

  const text = await (await fetch(`${url}/metrics?format=prometheus`)).text();
  for (const line of [
    'request_count_total{endpoint="/users",service="api_gateway"} 42',
    'checkout_duration_seconds_bucket{region="eu",service="shop",le="0.5"} 1',
    'cart_items{service="shop"} 3',
    'rpc_latency_seconds{service="shop",quantile="0.99"} 0.02',
    'demo_metric_total{category="example",source="demo"} 10',
  ]) {
    expect(text).toContain(line);
  }
  const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  expect(`${lint.stdout}${lint.stderr}`.trim()).toBe('');
  expect(lint.status).toBe(0);
});

it('kill -9 under load: every push answered 200 survives, none is counted twice', async () => {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const checkpoint = join(t.dir, 'checkpoint.json');
  const args = ['--watch', join(t.dir, '*.log'), '--positions', checkpoint];
  let answered = 0;
  let sent = 0;
  const senders = 4;
  const ITEMS = 400;

  for (let round = 0; round < 3; round++) {
    const s = spawnServe(args);
    servers.push(s);
    const url = `${(await s.url).replace(/\/metrics$/, '')}/api/metrics`;
    if (round > 0) {
      // Everything answered before the kill is there; at most what was sent but never answered is extra.
      const restored = await s.value('pushed_jobs_total');
      expect(restored).toBeGreaterThanOrEqual(answered);
      expect(restored).toBeLessThanOrEqual(sent);
      answered = restored; // the unanswered pushes that made it are counted from here on
      sent = restored;
    }
    if (round === 2) break;
    let stop = false;
    const sender = async (id: number) => {
      for (let i = 0; !stop; i++) {
        const n = 1 + ((id + i) % 5);
        const body = JSON.stringify({
          // 400 items (~40 KB): decoded on a thread, then logged, as large pushes are.
          metrics: Array.from({ length: ITEMS }, (_, k) => ({
            name: 'pushed_jobs',
            metric_type: 'counter',
            labels: { sender: String(id), shard: String(k % 7) },
            value: { value: n },
          })),
          source: `sender-${id}`,
        });
        sent += ITEMS * n;
        try {
          const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
          if (res.status === 200) answered += ITEMS * n;
          await res.arrayBuffer();
        } catch {
          return; // killed under us
        }
      }
    };
    const running = Array.from({ length: senders }, (_, id) => sender(id));
    // Kill once a good number of pushes were answered, while more are in flight.
    const target = answered + 100_000;
    const deadline = Date.now() + 20_000;
    while (answered < target && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    s.child.kill('SIGKILL');
    stop = true;
    await Promise.all(running);
    await s.exited;
    servers.splice(servers.indexOf(s), 1);
    expect(answered).toBeGreaterThanOrEqual(target - 100_000 + 1);
  }
}, 90_000);

/** Sum of every line of a family in an exposition (the series' values). */
function familySum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

it('noise-maker push: what it says it sent is exactly what /metrics shows, in every shape', async () => {
  const s = serve(['--no-positions']);
  const url = await base(s);
  const shapes = ['batch', 'track-batch', 'queue', 'track'] as const;
  const totals = new Map<string, { type: string; samples: number; sum: number }>();
  for (const shape of shapes) {
    const { stdout } = await run(
      process.execPath,
      noiseMakerArgs([
        'push',
        '--url',
        url,
        '--shape',
        shape,
        '--rate',
        shape === 'track' ? '2000' : '20000',
        '--count',
        shape === 'track' ? '500' : '5000',
        '--batch',
        '250',
        '--series',
        '60',
        '--connections',
        '3',
        '--seed',
        '9',
      ]),
      { encoding: 'utf8' },
    );
    const summary = JSON.parse(stdout);
    expect(summary.samples).toBe(shape === 'track' ? 500 : 5000);
    expect(summary.failed_requests).toBe(0);
    // Gauges end at the last value sent per series, whatever the shape: take the latest run's.
    for (const [name, t] of Object.entries(summary.families) as [
      string,
      { type: string; samples: number; sum: number },
    ][]) {
      const mine = totals.get(name);
      if (!mine || t.type === 'gauge') totals.set(name, { ...t, samples: (mine?.samples ?? 0) + t.samples });
      else totals.set(name, { type: t.type, samples: mine.samples + t.samples, sum: mine.sum + t.sum });
    }
  }
  const text = await (await fetch(`${url}/metrics`)).text();
  expect([...totals.keys()].sort()).toEqual([
    'app_in_flight_requests',
    'app_payload_bytes',
    'app_request_duration_seconds',
    'app_requests_total',
  ]);
  for (const [name, t] of totals) {
    if (t.type === 'histogram' || t.type === 'summary') {
      expect(familySum(text, `${name}_count`), name).toBe(t.samples);
      expect(familySum(text, `${name}_sum`), name).toBeCloseTo(t.sum, 6);
    } else if (t.type === 'counter') {
      expect(familySum(text, name), name).toBe(t.sum);
    }
  }
}, 60_000);
