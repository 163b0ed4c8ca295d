// Remote-write against running processes: a real Prometheus (Debian's) scraping a tiny target and
// forwarding with `remote_write` to the analyzer; and kill -9 right after requests were answered
// 204, with the checkpoint held back, so that only the push log has them.

import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { encodeWriteRequest, snappyCompress } from '../src/transforms/remote-write/encode.js';
import { type Served, spawnServe, tempDir, useProcesses } from './helpers.js';

const { running: servers, cleanups } = useProcesses();

const HEADERS = {
  'Content-Type': 'application/x-protobuf',
  'Content-Encoding': 'snappy',
  'X-Prometheus-Remote-Write-Version': '0.1.0',
};

function serve(args: string[]): Served {
  const s = spawnServe(args);
  servers.push(s);
  return s;
}

/** A scrape target whose exposition the test sets. */
async function target(): Promise<{ port: number; set(text: string): void }> {
  let text = '';
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => server.close());
  return { port: (server.address() as AddressInfo).port, set: (t) => (text = t) };
}

/** The value of one exposed line (name and label text exactly), or undefined when it is not there. */
async function line(s: Served, series: string): Promise<number | undefined> {
  const text = await (await fetch(await s.url)).text();
  const found = text.split('\n').find((l) => l.startsWith(`${series} `));
  return found === undefined ? undefined : Number(found.slice(series.length + 1));
}

it('a real Prometheus forwards what it scrapes: counters, gauges, a reset, with their values', async () => {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const s = serve(['--watch', join(t.dir, '*.log'), '--no-positions', '--checkpoint-interval', '200ms']);
  const analyzer = new URL(await s.url);
  const demo = await target();
  const histogram =
    '# TYPE demo_latency_seconds histogram\ndemo_latency_seconds_bucket{le="0.5"} 3\ndemo_latency_seconds_bucket{le="+Inf"} 4\ndemo_latency_seconds_sum 2.5\ndemo_latency_seconds_count 4\n';
  const counter = (n: number) =>
    `# TYPE demo_requests_total counter\ndemo_requests_total{path="/a"} ${n}\n# TYPE demo_temperature_celsius gauge\ndemo_temperature_celsius 21.5\n${histogram}`;
  demo.set(counter(5));
  writeFileSync(
    join(t.dir, 'prometheus.yml'),
    `global:
  scrape_interval: 1s
scrape_configs:
  - job_name: demo
    static_configs:
      - targets: ['127.0.0.1:${demo.port}']
remote_write:
  - url: http://${analyzer.host}/api/v1/write
    queue_config:
      batch_send_deadline: 200ms
      min_backoff: 50ms
      max_backoff: 200ms
`,
  );
  const prometheus: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${join(t.dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(t.dir, 'tsdb')}`,
      '--web.listen-address=127.0.0.1:0',
    ],
    { stdio: 'ignore' },
  );
  cleanups.unshift(() => prometheus.kill('SIGKILL'));

  const labels = `instance="127.0.0.1:${demo.port}",job="demo"`;
  const requests = `demo_requests_total{${labels},path="/a"}`;
  const WAIT = { timeout: 60_000, interval: 100 };
  await vi.waitFor(async () => {
    expect(await line(s, requests)).toBe(5);
    expect(await line(s, `demo_temperature_celsius{${labels}}`)).toBe(21.5);
    expect(await line(s, `up{${labels}}`)).toBe(1);
    // A classic histogram's parts: gauges under their own names, `le` kept.
    expect(await line(s, `demo_latency_seconds_bucket{${labels},le="0.5"}`)).toBe(3);
    expect(await line(s, `demo_latency_seconds_bucket{${labels},le="+Inf"}`)).toBe(4);
    expect(await line(s, `demo_latency_seconds_count{${labels}}`)).toBe(4);
  }, WAIT);

  demo.set(counter(8));
  await vi.waitFor(async () => expect(await line(s, requests)).toBe(8), WAIT);
  // The target restarted: 3 counted since its restart, added to the 8 (the counter never goes down).
  demo.set(counter(3));
  await vi.waitFor(async () => expect(await line(s, requests)).toBe(11), WAIT);
  // One more scrape forwarded (more samples accepted), and the values stand.
  const accepted = await s.value('log_analyzer_push_samples_total', 'result="accepted"');
  await vi.waitFor(
    async () => expect(await s.value('log_analyzer_push_samples_total', 'result="accepted"')).toBeGreaterThan(accepted),
    WAIT,
  );
  expect(await line(s, requests)).toBe(11);
  expect(await line(s, `demo_temperature_celsius{${labels}}`)).toBe(21.5);
  expect(await s.value('log_analyzer_push_requests_total', 'code="204"')).toBeGreaterThan(0);
  expect(await s.value('log_analyzer_push_samples_total', 'result="rejected"')).toBe(0);
}, 120_000);

it('kill -9 right after 204s: the push log has every answered request, applied again at the restart', async () => {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const args = ['--watch', join(t.dir, '*.log'), '--positions', join(t.dir, 'checkpoint.json')];
  // No checkpoint in this run after the first: what was answered is only in the push log.
  const s = serve([...args, '--checkpoint-interval', '1h']);
  const url = `${(await s.url).replace(/\/metrics$/, '')}/api/v1/write`;
  const now = Date.now();
  for (let i = 1; i <= 20; i++) {
    const body = snappyCompress(
      encodeWriteRequest([
        {
          labels: [
            ['__name__', 'jobs_done_total'],
            ['worker', 'w1'],
          ],
          samples: [{ value: i * 10, timestamp: now + i }],
        },
        {
          labels: [
            ['__name__', 'queue_depth'],
            ['worker', 'w1'],
          ],
          samples: [{ value: i, timestamp: now + i }],
        },
      ]),
    );
    const res = await fetch(url, { method: 'POST', headers: HEADERS, body });
    expect(res.status).toBe(204);
  }
  s.child.kill('SIGKILL');
  await s.exited;
  servers.splice(servers.indexOf(s), 1);

  const again = serve(args);
  await vi.waitFor(
    async () => {
      expect(await line(again, 'jobs_done_total{worker="w1"}')).toBe(200);
      expect(await line(again, 'queue_depth{worker="w1"}')).toBe(20);
    },
    { timeout: 15_000, interval: 50 },
  );
  // Replayed once: an older sample sent now is refused (the newest was kept), the value stands.
  const late = snappyCompress(
    encodeWriteRequest([
      {
        labels: [
          ['__name__', 'jobs_done_total'],
          ['worker', 'w1'],
        ],
        samples: [{ value: 5, timestamp: now + 1 }],
      },
    ]),
  );
  const res = await fetch(`${(await again.url).replace(/\/metrics$/, '')}/api/v1/write`, {
    method: 'POST',
    headers: HEADERS,
    body: late,
  });
  expect(res.status).toBe(400);
  expect(await res.text()).toMatch(/out_of_order: 1/);
  await vi.waitFor(
    async () => expect(await again.value('log_analyzer_push_samples_total', 'reason="out_of_order"')).toBe(1),
    { timeout: 15_000, interval: 50 },
  );
  expect(await line(again, 'jobs_done_total{worker="w1"}')).toBe(200);
}, 60_000);
