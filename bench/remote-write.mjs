// Remote-write ingestion benchmark: POST /api/v1/write with 2,000-series requests of one sample each
// (Prometheus' max_samples_per_send), over several connections, each with its own series (as
// Prometheus' shards), every request newer than the last: samples/s taken (204), the analyzer's CPU
// seconds per million samples, p99 latency; then the same samples as Prometheus text to
// prometheus-pushgateway, the reference, from a driver of the same shape. Medians of `repeats`
// interleaved runs. The totals are checked: every series' last value must be exposed.
// Run alone: node bench/remote-write.mjs [seconds] [connections] [repeats]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, mb, peakRss, ROOT, sleep, start, startAnalyzer } from './lib.mjs';

const { encodeWriteRequest } = await import(join(ROOT, 'packages/log-analyzer/dist/transforms/remote-write/encode.js'));
const SERIES = 2000;
/** A sample message at the end of each series: 0x12 0x10, then the 16 bytes 0x09 value(8) 0x10 timestamp (a 6-byte varint). */
const SAMPLE_TAIL = 16;

/** The `n` series of connection `c`: half counters, half gauges, labels as a node exporter's. */
export function seriesOf(c, n = SERIES) {
  return Array.from({ length: n }, (_, i) => ({
    labels: [
      ['__name__', i % 2 ? 'bench_rw_requests_total' : 'bench_rw_memory_bytes'],
      ['code', String(200 + (i % 5))],
      ['conn', String(c)],
      ['handler', `/api/v1/thing/${i}`],
      ['instance', `10.0.${c}.${i % 13}:9100`],
      ['job', 'bench'],
    ],
    samples: [{ value: 0, timestamp: 2 ** 41 }], // 2^41: a 6-byte varint, as every time until 2039
  }));
}

/**
 * A snappy block of the series' WriteRequest in which every sample's 16 bytes are a literal of
 * their own (no copy reads from or covers them): a request is then made by writing new values and
 * times into the compressed bytes, with no compression per request (the driver stays light). The
 * rest is compressed as snappy does (4-byte hash, copies up to 64 bytes).
 */
export function template(series) {
  const pieces = series.map((s) => encodeWriteRequest([s]));
  const input = Buffer.concat(pieces);
  const volatile = [];
  let at = 0;
  for (const p of pieces) {
    at += p.length;
    volatile.push(at - SAMPLE_TAIL);
  }
  const out = [];
  let n = input.length;
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  const table = new Map();
  const samples = [];
  const literal = (from, to) => {
    for (let f = from; f < to; f += 60) {
      const len = Math.min(60, to - f);
      out.push((len - 1) << 2);
      for (let k = f; k < f + len; k++) out.push(input[k]);
    }
  };
  let from = 0;
  for (const v of volatile) {
    // [from, v): stable bytes; copies only from earlier stable bytes (never past their own end).
    let lit = from;
    let i = from;
    while (i + 4 <= v) {
      const h = input.readUInt32LE(i);
      const cand = table.get(h);
      table.set(h, { at: i, end: v });
      if (cand && i - cand.at <= 0xffff) {
        let len = 4;
        while (len < 64 && i + len < v && cand.at + len < cand.end && input[cand.at + len] === input[i + len]) len++;
        literal(lit, i);
        const offset = i - cand.at;
        out.push(((len - 1) << 2) | 2, offset & 0xff, offset >>> 8);
        i += len;
        lit = i;
      } else i++;
    }
    literal(lit, v);
    out.push((SAMPLE_TAIL - 1) << 2);
    samples.push(out.length);
    for (let k = v; k < v + SAMPLE_TAIL; k++) out.push(input[k]);
    from = v + SAMPLE_TAIL;
  }
  return { body: Buffer.from(out), samples };
}

/** Writes request `k`'s values and time into a template (0x09 value(8) 0x10 varint(6)). */
export function stamp({ body, samples }, k, time) {
  for (let i = 0; i < samples.length; i++) {
    const at = samples[i];
    body.writeDoubleLE(i % 2 ? k : (i * 7 + k) % 1000, at + 1);
    let t = time;
    for (let b = 0; b < 6; b++) {
      body[at + 10 + b] = b < 5 ? (t % 128) | 0x80 : t % 128;
      t = Math.floor(t / 128);
    }
  }
  return body;
}

/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function post(url, agent, headers, body) {
  return new Promise((resolve) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-length': body.length } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/** `connections` senders for `seconds`, each its own series; per connection its requests in order. */
async function drive(url, headers, connections, seconds, bodyOf) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies = [];
  let samples = 0;
  let failed = 0;
  const last = new Array(connections).fill(0);
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      for (let k = 1; performance.now() < end; k++) {
        const body = bodyOf(c, k);
        const t = performance.now();
        const status = await post(url(c), agent, headers, body);
        latencies.push(performance.now() - t);
        if (status === 204 || status === 200) {
          samples += SERIES;
          last[c] = k;
        } else failed++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    samples,
    elapsed,
    last,
    failed,
    samplesPerSecond: Math.round(samples / elapsed),
    p99Ms: Number((latencies[Math.floor(latencies.length * 0.99)] ?? 0).toFixed(1)),
  };
}

async function analyzerRun(seconds, connections, ack) {
  const dir = mkdtempSync(join(tmpdir(), 'remote-write-bench-'));
  const checkpoint = ack === 'durable' ? ['--positions', join(dir, 'checkpoint.json')] : [];
  const analyzer = await startAnalyzer(['--push-ack', ack, ...checkpoint], { positions: ack === 'durable' });
  const base = analyzer.url.replace(/\/metrics$/, '');
  const templates = Array.from({ length: connections }, (_, c) => template(seriesOf(c)));
  const t0 = Date.now() - 3_600_000;
  const cpuBefore = cpuSeconds(analyzer.child.pid);
  const run = await drive(
    () => `${base}/api/v1/write`,
    {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
      'x-prometheus-remote-write-version': '0.1.0',
    },
    connections,
    seconds,
    (c, k) => stamp(templates[c], k, t0 + k),
  );
  const cpu = cpuSeconds(analyzer.child.pid) - cpuBefore;
  const rss = peakRss(analyzer.child.pid);
  // Exact: every counter series ends at its connection's last request number (half the series each).
  await sleep(1500); // one checkpoint interval: /metrics moves on at checkpoints
  const text = await (await fetch(analyzer.url)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('bench_rw_requests_total{')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  const want = run.last.reduce((a, k) => a + k * (SERIES / 2), 0);
  analyzer.child.kill('SIGTERM');
  await analyzer.exited;
  rmSync(dir, { recursive: true, force: true });
  return {
    ack,
    samplesPerSecond: run.samplesPerSecond,
    cpuSecondsPerMillion: Number(((cpu / run.samples) * 1e6).toFixed(2)),
    p99Ms: run.p99Ms,
    peakRssMB: Number(mb(rss)),
    failedRequests: run.failed,
    exact: sum === want,
    counted: sum,
    expected: want,
  };
}

/** The same samples as Prometheus text (one line per series), to prometheus-pushgateway. */
async function pushgatewayRun(seconds, connections) {
  const port = await freePort();
  const gateway = start('prometheus-pushgateway', [
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
    '--persistence.file=',
  ]);
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/-/ready`);
      break;
    } catch {
      await sleep(100);
    }
  }
  const texts = Array.from({ length: connections }, (_, c) =>
    Array.from({ length: 16 }, (_, k) => {
      const lines = seriesOf(c).map((s, i) => {
        const [name, ...rest] = s.labels;
        const labels = rest.map(([a, b]) => `${a}="${b}"`).join(',');
        return `${name[1]}{${labels}} ${i % 2 ? k : (i * 7 + k) % 1000}`;
      });
      const byName = new Map();
      for (const l of lines) {
        const name = l.slice(0, l.indexOf('{'));
        byName.set(name, [...(byName.get(name) ?? []), l]);
      }
      return Buffer.from([...byName].map(([n, ls]) => `# TYPE ${n} untyped\n${ls.join('\n')}\n`).join(''));
    }),
  );
  const cpuBefore = cpuSeconds(gateway.child.pid);
  const run = await drive(
    (c) => `http://127.0.0.1:${port}/metrics/job/bench_rw_c${c}`,
    { 'content-type': 'text/plain; version=0.0.4' },
    connections,
    seconds,
    (c, k) => texts[c][k % 16],
  );
  const cpu = cpuSeconds(gateway.child.pid) - cpuBefore;
  const rss = peakRss(gateway.child.pid);
  gateway.child.kill('SIGTERM');
  await gateway.exited;
  return {
    samplesPerSecond: run.samplesPerSecond,
    cpuSecondsPerMillion: Number(((cpu / Math.max(1, run.samples)) * 1e6).toFixed(2)),
    p99Ms: run.p99Ms,
    peakRssMB: Number(mb(rss)),
    failedRequests: run.failed,
  };
}

function medianRun(runs) {
  const sorted = [...runs].sort((a, b) => a.samplesPerSecond - b.samplesPerSecond);
  return { ...sorted[sorted.length >> 1], runs: runs.map((r) => r.samplesPerSecond) };
}

export async function remoteWriteBench(seconds = 10, connections = 4, repeats = 3) {
  const hasGateway = spawnSync('sh', ['-c', 'command -v prometheus-pushgateway']).status === 0;
  const merged = [];
  const durable = [];
  const gateways = [];
  for (let i = 0; i < repeats; i++) {
    merged.push(await analyzerRun(seconds, connections, 'merged'));
    durable.push(await analyzerRun(seconds, connections, 'durable'));
    if (hasGateway) gateways.push(await pushgatewayRun(seconds, connections));
  }
  const m = medianRun(merged);
  const d = medianRun(durable);
  const g = hasGateway ? medianRun(gateways) : null;
  return {
    seconds,
    connections,
    seriesPerRequest: SERIES,
    merged: m,
    durable: d,
    pushgateway: g,
    ratioMerged: g ? Number((m.samplesPerSecond / g.samplesPerSecond).toFixed(2)) : null,
    ratioDurable: g ? Number((d.samplesPerSecond / g.samplesPerSecond).toFixed(2)) : null,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [seconds, connections, repeats] = process.argv.slice(2).map(Number);
  console.log(JSON.stringify(await remoteWriteBench(seconds || 10, connections || 4, repeats || 3), null, 2));
}
