// StatsD against a running analyzer: the real client (hot-shots) over UDP and TCP, in the DogStatsD
// and Telegraf (InfluxDB) tag styles, the Librato and SignalFx styles and sample rates as raw lines,
// a statsd_exporter mapping file; exact values on /metrics, twice. Then kernel drops while the
// analyzer is stopped: every datagram is either counted as a line or as a drop.

import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import StatsD from 'hot-shots';
import { expect, it, vi } from 'vitest';
import { type Served, spawnServe, tempDir, useProcesses, WAIT } from './helpers.js';

const { running: servers, cleanups } = useProcesses();

/** A port free for TCP (and so, here, for UDP too): bound on 0 and let go. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

async function serve(args: string[]): Promise<{ s: Served; port: number; dir: string }> {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const port = await freePort();
  const s = spawnServe(['--watch', join(t.dir, '*.log'), '--no-positions', '--statsd-port', String(port), ...args]);
  servers.push(s);
  await s.url;
  return { s, port, dir: t.dir };
}

/** Raw lines in one datagram. */
async function sendUdp(port: number, lines: string[]): Promise<void> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) =>
    socket.send(`${lines.join('\n')}\n`, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
  );
  socket.close();
}

const MAPPING = `
mappings:
- match: "app.*.requests"
  name: "app_requests"
  labels:
    service: "$1"
    origin: "mapped"
- match: "noise.*"
  action: drop
- match: "app.*.latency"
  name: "app_latency_seconds"
  histogram_options:
    buckets: [0.1, 1]
  labels:
    service: "$1"
`;

/** What one round sends, and what /metrics shows after `rounds` of them. */
async function round(port: number): Promise<void> {
  const errors: unknown[] = [];
  const errorHandler = (error: unknown) => errors.push(error);
  const dog = new StatsD({ host: '127.0.0.1', port, datadog: false, errorHandler });
  const telegraf = new StatsD({ host: '127.0.0.1', port, telegraf: true, errorHandler });
  const tcp = new StatsD({ host: '127.0.0.1', port, protocol: 'tcp', datadog: false, errorHandler });
  dog.increment('hs.requests', 2, ['route:/users', 'method:get']);
  dog.gauge('hs.depth', 5);
  dog.gaugeDelta('hs.depth', -2);
  dog.timing('hs.latency', 250, ['route:/users']);
  dog.histogram('hs.size', 3);
  dog.distribution('hs.dist', 40);
  dog.increment('app.users.requests', 1, ['region:eu']);
  dog.timing('app.users.latency', 500);
  dog.increment('noise.chatter', 7);
  telegraf.increment('tg.requests', 4, ['region:eu']);
  telegraf.gauge('tg.temp', 21.5, ['room:a']);
  tcp.increment('tcp.requests', 3, ['via:tcp']);
  tcp.timing('tcp.latency', 2000);
  await new Promise<void>((resolve) => dog.close(() => resolve()));
  await new Promise<void>((resolve) => telegraf.close(() => resolve()));
  await new Promise<void>((resolve) => tcp.close(() => resolve()));
  expect(errors).toEqual([]);
  await sendUdp(port, [
    'lib.requests#region=eu,zone=a:1|c',
    'sfx[region=eu].requests:2|c',
    'rated.requests:1|c|@0.25',
    'rated.latency:100|ms|@0.5',
    'bad line',
    'x:1|s',
  ]);
}

/** After `n` rounds and `markers` marker lines. */
function wanted(n: number, markers: number): Record<string, number> {
  return {
    'hs_requests_total{method="get",route="/users"}': 2 * n,
    hs_depth: 3,
    'hs_latency_count{route="/users"}': n,
    'hs_latency_sum{route="/users"}': 0.25 * n,
    'hs_latency_bucket{route="/users",le="0.25"}': n,
    hs_size_sum: 3 * n,
    hs_dist_count: n,
    'app_requests_total{origin="mapped",region="eu",service="users"}': n,
    'app_latency_seconds_bucket{service="users",le="1"}': n,
    'app_latency_seconds_bucket{service="users",le="0.1"}': 0,
    'tg_requests_total{region="eu"}': 4 * n,
    'tg_temp{room="a"}': 21.5,
    'tcp_requests_total{via="tcp"}': 3 * n,
    tcp_latency_sum: 2 * n,
    'lib_requests_total{region="eu",zone="a"}': n,
    'sfx_requests_total{region="eu"}': 2 * n,
    rated_requests_total: 4 * n,
    rated_latency_count: 2 * n,
    noise_chatter_total: 0,
    'log_analyzer_statsd_samples_total{result="dropped",reason="mapping"}': n,
    'log_analyzer_statsd_samples_total{result="rejected",reason="statsd_malformed_line"}': n,
    'log_analyzer_statsd_samples_total{result="rejected",reason="statsd_invalid_type"}': n,
    'log_analyzer_statsd_samples_total{result="accepted"}': 17 * n + markers,
    'log_analyzer_statsd_lines_total{transport="tcp"}': 2 * n,
    'log_analyzer_statsd_lines_total{transport="udp"}': 17 * n + markers,
  };
}

async function expectRound(s: Served, port: number, n: number): Promise<void> {
  const read = async (want: Record<string, number>) => {
    const text = await (await fetch(await s.url)).text();
    const got: Record<string, number> = {};
    for (const series of Object.keys(want)) {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      got[series] = line ? Number(line.slice(series.length + 1)) : 0;
    }
    return got;
  };
  const before = wanted(n, n - 1);
  await vi.waitFor(async () => expect(await read(before)).toEqual(before), WAIT);
  // One more cycle: a marker sent after everything, seen, and nothing else has moved.
  await sendUdp(port, [`marker:${n}|g`]);
  await vi.waitFor(async () => expect(await s.value('marker')).toBe(n), WAIT);
  const after = wanted(n, n);
  expect(await read(after)).toEqual(after);
}

it('takes every type and tag style from hot-shots over UDP and TCP, and a mapping file, exactly', async () => {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const mapping = join(t.dir, 'mapping.yml');
  writeFileSync(mapping, MAPPING);
  const { s, port } = await serve(['--statsd-mapping-config', mapping]);
  await round(port);
  await expectRound(s, port, 1);
  await round(port);
  await expectRound(s, port, 2);
  expect(await s.value('log_analyzer_statsd_udp_receive_buffer_bytes')).toBeGreaterThan(0);
});

it('counts what the kernel dropped while the analyzer could not read: lines + drops = datagrams sent', async () => {
  const { s, port } = await serve([]);
  const sent = 60_000;
  s.child.kill('SIGSTOP');
  try {
    // A separate sender (this process's loop is free, the analyzer's stopped): one line a datagram.
    const sender = `
      const socket = require('node:dgram').createSocket('udp4');
      let sent = 0;
      let open = 0;
      const more = () => {
        while (open < 256 && sent < ${sent}) {
          open++;
          sent++;
          socket.send('flood:1|c', ${port}, '127.0.0.1', (error) => {
            if (error) throw error;
            open--;
            if (sent < ${sent}) more();
            else if (open === 0) socket.close();
          });
        }
      };
      more();`;
    const result = spawnSync(process.execPath, ['-e', sender]);
    expect(result.status).toBe(0);
  } finally {
    s.child.kill('SIGCONT');
  }
  const counted = async () =>
    (await s.value('log_analyzer_statsd_lines_total', 'udp')) + (await s.value('log_analyzer_statsd_udp_drops_total'));
  await vi.waitFor(async () => expect(await counted()).toBe(sent), WAIT);
  const drops = await s.value('log_analyzer_statsd_udp_drops_total');
  expect(drops).toBeGreaterThan(0);
  expect(await s.value('flood_total')).toBe(sent - drops);
  await sendUdp(port, ['marker:1|g']);
  await vi.waitFor(async () => expect(await s.value('marker')).toBe(1), WAIT);
  expect(await counted()).toBe(sent + 1);
  expect(await s.value('flood_total')).toBe(sent - drops);
});

it('refuses a mapping file it cannot follow at start, naming the key', async () => {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const mapping = join(t.dir, 'mapping.yml');
  writeFileSync(mapping, 'mappings:\n- match: "a.(.*)"\n  match_type: regex\n  name: a\n');
  const s = spawnServe([
    '--watch',
    join(t.dir, '*.log'),
    '--no-positions',
    '--statsd-port',
    String(await freePort()),
    '--statsd-mapping-config',
    mapping,
  ]);
  servers.push(s);
  expect(await s.exited).toBe(2);
  expect(s.stderr()).toBe(
    'log-analyzer: --statsd-mapping-config: mappings[0].match_type: regex is not supported (only glob: * for one dot-separated part)\n',
  );
});

it('keeps StatsD counts across kill -9 once /metrics shows them: counters carry on, a delta adds to the restored gauge', async () => {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const args = async () => [
    '--watch',
    join(t.dir, '*.log'),
    '--positions',
    join(t.dir, 'checkpoint.json'),
    '--statsd-port',
    String(await freePort()),
  ];
  const first = await args();
  const a = spawnServe(first);
  servers.push(a);
  await a.url;
  await sendUdp(Number(first.at(-1)), ['kept.count:5|c|#k:v', 'kept.gauge:3|g']);
  await vi.waitFor(async () => expect(await a.value('kept_count_total')).toBe(5), WAIT);
  await vi.waitFor(async () => expect(await a.value('kept_gauge')).toBe(3), WAIT);
  a.child.kill('SIGKILL');
  await a.exited;
  const second = await args();
  const b = spawnServe(second);
  servers.push(b);
  await b.url;
  expect(await b.value('kept_count_total', 'k="v"')).toBe(5);
  await sendUdp(Number(second.at(-1)), ['kept.count:2|c|#k:v', 'kept.gauge:+1|g']);
  await vi.waitFor(async () => expect(await b.value('kept_count_total', 'k="v"')).toBe(7), WAIT);
  await vi.waitFor(async () => expect(await b.value('kept_gauge')).toBe(4), WAIT);
  await sendUdp(Number(second.at(-1)), ['marker:1|g']);
  await vi.waitFor(async () => expect(await b.value('marker')).toBe(1), WAIT);
  expect([await b.value('kept_count_total'), await b.value('kept_gauge')]).toEqual([7, 4]);
});
