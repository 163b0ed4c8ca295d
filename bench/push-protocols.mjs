// Issue 24: every push protocol in one run, beside pushgateway. The same request shape for each:
// 1,000 samples a request, 8 connections, `--push-ack durable`, bodies rendered before the clock
// starts. JSON is noise-maker's batch case (bench/push.mjs); OTLP protobuf and OTLP JSON are the
// OpenTelemetry SDK's own serializations of 500 delta counters and 500 gauges per request (1,250
// series a connection, 10,000 in all, as the JSON case); remote-write is 1,000 series a request
// (500 counters, 500 gauges) stamped with a newer value and time each time (bench/remote-write.mjs).
// pushgateway takes the JSON case's batches as text (its reference). Per run: samples/s taken, p99
// latency, the analyzer's CPU seconds per million samples, and whether the totals are exact.
// Medians of `repeats` interleaved runs. Run alone: node bench/push-protocols.mjs [seconds] [repeats]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mb, peakRss, ROOT, sleep, startAnalyzer } from './lib.mjs';
import { analyzerRun, pushgatewayRun } from './push.mjs';
import { seriesOf, stamp, template } from './remote-write.mjs';

const BATCH = 1000;
const CONNECTIONS = 8;
/** Series a connection's OTLP requests cycle through (8 × 1,250 = the JSON case's 10,000). */
const OTLP_SERIES = 1250;
const BODIES = 16;

const require = createRequire(join(ROOT, 'packages/log-analyzer/package.json'));
const { JsonMetricsSerializer, ProtobufMetricsSerializer } = require('@opentelemetry/otlp-transformer');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { AggregationTemporality, MeterProvider, MetricReader } = require('@opentelemetry/sdk-metrics');

class OnDemandReader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}

/**
 * Connection `c`'s OTLP bodies, each as protobuf and JSON from one SDK collection: delta counters
 * (a request's increments are its own, so any body may be sent again) and gauges, 1,000 points.
 * `counterSum`: what one acknowledged body adds to bench_otlp_requests_total.
 */
async function otlpBodies(c) {
  const reader = new OnDemandReader({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench', 'service.instance.id': `c${c}` }),
    readers: [reader],
  });
  const meter = provider.getMeter('bench');
  const counter = meter.createCounter('bench.otlp.requests');
  const gauge = meter.createGauge('bench.otlp.memory', { unit: 'By' });
  const bodies = [];
  for (let b = 0; b < BODIES; b++) {
    let counterSum = 0;
    for (let j = 0; j < BATCH; j++) {
      const s = (b * 97 + j) % OTLP_SERIES; // 1,000 distinct series of the connection's 1,250
      const attrs = { code: String(200 + (s % 5)), handler: `/api/v1/thing/${s}`, conn: String(c) };
      if (j % 2) {
        const inc = 1 + ((s + b) % 7);
        counter.add(inc, attrs);
        counterSum += inc;
      } else gauge.record((s * 7 + b) % 1000, attrs);
    }
    const { resourceMetrics } = await reader.collect();
    const points = resourceMetrics.scopeMetrics.flatMap((m) => m.metrics).reduce((n, m) => n + m.dataPoints.length, 0);
    if (points !== BATCH) throw new Error(`an OTLP body has ${points} points, not ${BATCH}`);
    bodies.push({
      protobuf: Buffer.from(ProtobufMetricsSerializer.serializeRequest(resourceMetrics)),
      json: Buffer.from(JsonMetricsSerializer.serializeRequest(resourceMetrics)),
      counterSum,
    });
  }
  await provider.shutdown();
  return bodies;
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

/** `CONNECTIONS` senders for `seconds`; `bodyOf(c, k)` is request k of connection c; `acked(c, k)` on each 2xx. */
async function drive(url, headers, seconds, bodyOf, acked) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const latencies = [];
  let samples = 0;
  let failed = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, c) => {
      for (let k = 1; performance.now() < end; k++) {
        const body = bodyOf(c, k);
        const t = performance.now();
        const status = await post(url, agent, headers, body);
        latencies.push(performance.now() - t);
        if (status >= 200 && status < 300) {
          samples += BATCH;
          acked(c, k);
        } else failed++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    samples,
    failed,
    samplesPerSecond: Math.round(samples / elapsed),
    p99Ms: Number((latencies[Math.floor(latencies.length * 0.99)] ?? 0).toFixed(1)),
  };
}

/** Sum of a family's samples in Prometheus text. */
function familySum(text, name) {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** One durable analyzer under `protocol` ('otlp-protobuf' | 'otlp-json' | 'remote-write'). */
export async function protocolRun(seconds, protocol, inputs, { nodeArgs = [], bin } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'push-protocols-bench-'));
  const analyzer = await startAnalyzer(['--push-ack', 'durable', '--positions', join(dir, 'checkpoint.json')], {
    positions: true,
    nodeArgs,
    ...(bin ? { bin } : {}),
  });
  const base = analyzer.url.replace(/\/metrics$/, '');
  const cpuBefore = cpuSeconds(analyzer.child.pid);
  let run;
  let want;
  let family;
  if (protocol === 'remote-write') {
    const last = new Array(CONNECTIONS).fill(0);
    const t0 = Date.now() - 3_600_000;
    run = await drive(
      `${base}/api/v1/write`,
      {
        'content-type': 'application/x-protobuf',
        'content-encoding': 'snappy',
        'x-prometheus-remote-write-version': '0.1.0',
      },
      seconds,
      (c, k) => stamp(inputs[c], k, t0 + k),
      (c, k) => {
        last[c] = k;
      },
    );
    // Every counter series ends at its connection's last request number (half the series each).
    want = last.reduce((a, k) => a + k * (BATCH / 2), 0);
    family = 'bench_rw_requests_total';
  } else {
    const encoding = protocol === 'otlp-protobuf' ? 'protobuf' : 'json';
    const type = encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json';
    want = 0;
    run = await drive(
      `${base}/v1/metrics`,
      { 'content-type': type },
      seconds,
      (c, k) => inputs[c][k % BODIES][encoding],
      (c, k) => {
        want += inputs[c][k % BODIES].counterSum;
      },
    );
    family = 'bench_otlp_requests_total';
  }
  const cpu = cpuSeconds(analyzer.child.pid) - cpuBefore;
  const rss = peakRss(analyzer.child.pid);
  await sleep(1500); // one checkpoint interval: /metrics moves on at checkpoints
  const counted = familySum(await (await fetch(analyzer.url)).text(), family);
  analyzer.child.kill('SIGTERM');
  await analyzer.exited;
  rmSync(dir, { recursive: true, force: true });
  return {
    protocol,
    samplesPerSecond: run.samplesPerSecond,
    cpuSecondsPerMillion: Number(((cpu / Math.max(1, run.samples)) * 1e6).toFixed(2)),
    p99Ms: run.p99Ms,
    peakRssMB: Number(mb(rss)),
    failedRequests: run.failed,
    exact: run.samples > 0 && counted === want,
    counted,
    expected: want,
  };
}

function medianRun(runs) {
  const sorted = [...runs].sort((a, b) => a.samplesPerSecond - b.samplesPerSecond);
  return { ...sorted[sorted.length >> 1], runs: runs.map((r) => r.samplesPerSecond) };
}

/** The bodies every run sends: OTLP per connection (SDK-made), remote-write templates per connection. */
export async function protocolInputs() {
  const otlp = [];
  for (let c = 0; c < CONNECTIONS; c++) otlp.push(await otlpBodies(c));
  const rw = Array.from({ length: CONNECTIONS }, (_, c) => template(seriesOf(c, BATCH)));
  return { otlp, rw };
}

export async function pushProtocolsBench(seconds = 10, repeats = 3) {
  const hasGateway = spawnSync('sh', ['-c', 'command -v prometheus-pushgateway']).status === 0;
  const inputs = await protocolInputs();
  const rows = { json: [], 'otlp-protobuf': [], 'otlp-json': [], 'remote-write': [], pushgateway: [] };
  // Interleaved, so a noisy minute on this shared machine hits each alike.
  for (let i = 0; i < repeats; i++) {
    const j = await analyzerRun(seconds, CONNECTIONS, 'durable');
    rows.json.push({ protocol: 'json', ...j });
    rows['otlp-protobuf'].push(await protocolRun(seconds, 'otlp-protobuf', inputs.otlp));
    rows['otlp-json'].push(await protocolRun(seconds, 'otlp-json', inputs.otlp));
    rows['remote-write'].push(await protocolRun(seconds, 'remote-write', inputs.rw));
    if (hasGateway) rows.pushgateway.push(await pushgatewayRun(seconds, CONNECTIONS));
  }
  const out = { seconds, batch: BATCH, connections: CONNECTIONS, repeats, ack: 'durable', protocols: {} };
  for (const [name, runs] of Object.entries(rows)) if (runs.length) out.protocols[name] = medianRun(runs);
  const gateway = out.protocols.pushgateway?.samplesPerSecond;
  for (const r of Object.values(out.protocols)) {
    r.vsPushgateway = gateway ? Number((r.samplesPerSecond / gateway).toFixed(2)) : null;
  }
  return out;
}

/** The table rows of a pushProtocolsBench result. */
export function pushProtocolsTable(result) {
  const pad = (v, n) => String(v ?? '—').padStart(n);
  const lines = [
    `push protocols (issue 24): ${result.batch}-sample requests, ${result.connections} connections, ack ${result.ack}, ${result.seconds} s, median of ${result.repeats}`,
    '                    samples/s  CPU s per 1M   p99 ms  peak RSS  vs pushgateway',
  ];
  for (const [name, r] of Object.entries(result.protocols)) {
    const exact =
      r.exact === undefined ? '' : r.exact ? 'exact' : `NOT EXACT: ${r.counted ?? ''} of ${r.expected ?? ''}`;
    lines.push(
      `${name.padEnd(18)}${pad(r.samplesPerSecond.toLocaleString('en'), 11)}${pad(r.cpuSecondsPerMillion, 14)}${pad(r.p99Ms, 9)}${pad(`${r.peakRssMB} MB`, 10)}${pad(r.vsPushgateway ? `${r.vsPushgateway}×` : null, 16)}  ${exact}`,
    );
  }
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [seconds, repeats] = process.argv.slice(2).map(Number);
  const result = await pushProtocolsBench(seconds || 10, repeats || 3);
  console.log(pushProtocolsTable(result).join('\n'));
  console.log(JSON.stringify(result, null, 2));
}
