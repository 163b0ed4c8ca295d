// Push ingestion benchmark: noise-maker drives POST /api/metrics with 1,000-sample batches over
// several connections (accepted samples/s, p99 request latency, peak RSS, and the time of a
// /metrics scrape with 10,000 pushed series while it runs), then the same batches as Prometheus
// text go to prometheus-pushgateway, the reference, from a driver of the same shape.
// Run alone: node bench/push.mjs [seconds] [connections]

import { spawnSync } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { freePort, mb, NOISE_MAKER, peakRss, ROOT, sleep, start, startAnalyzer } from './lib.mjs';

const { MetricModel } = await import(join(ROOT, 'packages/noise-maker/dist/generate/metric-model.js'));
const SERIES = 10_000;
const BATCH = 1000;

/** noise-maker push against a running analyzer; its JSON summary, plus a scrape's time meanwhile. */
async function analyzerRun(seconds, connections, ack) {
  const analyzer = await startAnalyzer(['--push-ack', ack], { positions: ack === 'durable' });
  const base = analyzer.url.replace(/\/metrics$/, '');
  const pusher = start(
    process.execPath,
    [
      NOISE_MAKER,
      'push',
      '--url',
      base,
      '--shape',
      'batch',
      '--rate',
      'max',
      '--duration',
      `${seconds}s`,
      '--batch',
      String(BATCH),
      '--series',
      String(SERIES),
      '--connections',
      String(connections),
      '--seed',
      '1',
    ],
    { stdout: 'pipe' },
  );
  let out = '';
  pusher.child.stdout.on('data', (d) => {
    out += d;
  });
  // Scrapes while pushes go on, once every series exists.
  const scrapes = [];
  await sleep(Math.min(2000, (seconds * 1000) / 3));
  const until = Date.now() + (seconds * 1000) / 2;
  while (Date.now() < until) {
    const t = performance.now();
    const res = await fetch(analyzer.url);
    await res.arrayBuffer();
    scrapes.push(performance.now() - t);
    await sleep(200);
  }
  await pusher.exited;
  const rss = peakRss(analyzer.child.pid);
  const stats = await (await fetch(`${base}/metrics/stats`)).json();
  analyzer.child.kill('SIGTERM');
  await analyzer.exited;
  const summary = JSON.parse(out || '{}');
  scrapes.sort((a, b) => a - b);
  return {
    ack,
    connections,
    samplesPerSecond: summary.samples_per_second ?? 0,
    p50Ms: Number((summary.latency_ms?.p50 ?? 0).toFixed(1)),
    p99Ms: Number((summary.latency_ms?.p99 ?? 0).toFixed(1)),
    peakRssMB: Number(mb(rss)),
    pushedSeries: stats.collector.total_series,
    scrapeMedianMs: Number((scrapes[scrapes.length >> 1] ?? 0).toFixed(1)),
    scrapeMaxMs: Number((scrapes[scrapes.length - 1] ?? 0).toFixed(1)),
  };
}

/** A batch as Prometheus text: one line per series (the last sample of each), as pushgateway stores. */
function toText(body) {
  const items = JSON.parse(body).metrics;
  const last = new Map();
  for (const m of items) {
    const labels = Object.entries(m.labels)
      .map(([k, v]) => `${k}="${v}"`)
      .join(',');
    last.set(`${m.name}{${labels}}`, m.value.value);
  }
  const byName = new Map();
  for (const [series, value] of last) {
    const name = series.slice(0, series.indexOf('{'));
    if (!byName.has(name)) byName.set(name, []);
    byName.get(name).push(`${series} ${value}`);
  }
  let text = '';
  for (const [name, lines] of byName) text += `# TYPE ${name} untyped\n${lines.join('\n')}\n`;
  return { text: Buffer.from(text), samples: last.size };
}

/** The same batches to prometheus-pushgateway, one group per connection, for `seconds`. */
async function pushgatewayRun(seconds, connections) {
  const port = await freePort();
  const gateway = start('prometheus-pushgateway', [`--web.listen-address=127.0.0.1:${port}`, '--log.level=warn']);
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/-/ready`);
      break;
    } catch {
      await sleep(100);
    }
  }
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies = [];
  let samples = 0;
  let failed = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      const model = new MetricModel(1, SERIES, c, connections);
      const bodies = Array.from({ length: 16 }, () => toText(model.body('batch', BATCH).body));
      for (let i = 0; performance.now() < end; i++) {
        const { text, samples: n } = bodies[i % bodies.length];
        const t = performance.now();
        const status = await new Promise((resolve) => {
          const req = request(
            `http://127.0.0.1:${port}/metrics/job/bench_c${c}`,
            {
              method: 'POST',
              agent,
              headers: { 'content-type': 'text/plain; version=0.0.4', 'content-length': text.length },
            },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode));
            },
          );
          req.on('error', () => resolve(0));
          req.end(text);
        });
        latencies.push(performance.now() - t);
        if (status === 200) samples += n;
        else failed++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const rss = peakRss(gateway.child.pid);
  agent.destroy();
  gateway.child.kill('SIGTERM');
  await gateway.exited;
  latencies.sort((a, b) => a - b);
  return {
    samplesPerSecond: Math.round(samples / elapsed),
    p99Ms: Number((latencies[Math.floor(latencies.length * 0.99)] ?? 0).toFixed(1)),
    peakRssMB: Number(mb(rss)),
    failedRequests: failed,
  };
}

export async function pushBench(seconds = 10, connections = 8) {
  const hasGateway = spawnSync('sh', ['-c', 'command -v prometheus-pushgateway']).status === 0;
  const merged = await analyzerRun(seconds, connections, 'merged');
  const durable = await analyzerRun(seconds, connections, 'durable');
  const gateway = hasGateway ? await pushgatewayRun(seconds, connections) : null;
  return {
    seconds,
    batch: BATCH,
    series: SERIES,
    merged,
    durable,
    pushgateway: gateway,
    ratioMerged: gateway ? Number((merged.samplesPerSecond / gateway.samplesPerSecond).toFixed(2)) : null,
    ratioDurable: gateway ? Number((durable.samplesPerSecond / gateway.samplesPerSecond).toFixed(2)) : null,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await pushBench(Number(process.argv[2] ?? 10), Number(process.argv[3] ?? 8)), null, 2));
}
