// Push ingestion benchmark: noise-maker drives POST /api/metrics with 1,000-sample batches over
// several connections (accepted samples/s, p99 request latency, peak RSS, and the time of a
// /metrics scrape with 10,000 pushed series, gzipped as Prometheus asks, while it runs and after), then the same batches as Prometheus
// text go to prometheus-pushgateway, the reference, from a driver of the same shape.
// Medians of `repeats` interleaved runs. Run alone: node bench/push.mjs [seconds] [connections] [repeats]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, mb, mismatchesOf, NOISE_MAKER, peakRss, ROOT, sleep, start, startAnalyzer } from './lib.mjs';

const { MetricModel } = await import(join(ROOT, 'packages/noise-maker/dist/generate/metric-model.js'));
const SERIES = 10_000;
const BATCH = 1000;

/** One scrape as Prometheus makes it (gzip asked, body not unzipped here): ms to the last byte. */
function timedScrape(url) {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    request(url, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - t));
    })
      .on('error', reject)
      .end();
  });
}

/** noise-maker push against a running analyzer; its JSON summary, plus a scrape's time meanwhile. */
async function analyzerRun(seconds, connections, ack) {
  const dir = mkdtempSync(join(tmpdir(), 'push-bench-'));
  const checkpoint = ack === 'durable' ? ['--positions', join(dir, 'checkpoint.json')] : [];
  const analyzer = await startAnalyzer(['--push-ack', ack, ...checkpoint], { positions: ack === 'durable' });
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
    scrapes.push(await timedScrape(analyzer.url));
    await sleep(200);
  }
  await pusher.exited;
  // Idle: one pushed sample, then a scrape (so each scrape renders anew), ten times.
  const idle = [];
  for (let i = 0; i < 10; i++) {
    await fetch(`${base}/metrics/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench_tick', type: 'counter', value: 1 }),
    });
    idle.push(await timedScrape(analyzer.url));
  }
  idle.sort((a, b) => a - b);
  const rss = peakRss(analyzer.child.pid);
  // Exactly what noise-maker says it sent (and had acknowledged), family by family.
  const text = await (await fetch(analyzer.url)).text();
  const sent = JSON.parse(out || '{}').families ?? {};
  const mismatches = mismatchesOf(text, sent);
  const stats = await (await fetch(`${base}/metrics/stats`)).json();
  analyzer.child.kill('SIGTERM');
  await analyzer.exited;
  rmSync(dir, { recursive: true, force: true });
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
    scrapeUnderLoadMs: Number((scrapes[scrapes.length >> 1] ?? 0).toFixed(1)),
    scrapeIdleMs: Number((idle[idle.length >> 1] ?? 0).toFixed(1)),
    exact: mismatches.length === 0 && Object.keys(sent).length > 0,
    mismatches,
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
export async function pushgatewayRun(seconds, connections, series = SERIES) {
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
      const model = new MetricModel(1, series, c, connections);
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

/** The run whose samples/s is the median (so its other numbers come from the same run). */
function medianRun(runs) {
  const sorted = [...runs].sort((a, b) => a.samplesPerSecond - b.samplesPerSecond);
  return { ...sorted[sorted.length >> 1], runs: runs.map((r) => r.samplesPerSecond) };
}

export async function pushBench(seconds = 10, connections = 8, repeats = 3) {
  const hasGateway = spawnSync('sh', ['-c', 'command -v prometheus-pushgateway']).status === 0;
  const merged = [];
  const durable = [];
  const gateways = [];
  // Interleaved, so a noisy minute on this shared machine hits each alike.
  for (let i = 0; i < repeats; i++) {
    merged.push(await analyzerRun(seconds, connections, 'merged'));
    durable.push(await analyzerRun(seconds, connections, 'durable'));
    if (hasGateway) gateways.push(await pushgatewayRun(seconds, connections));
  }
  return collect(seconds, medianRun(merged), medianRun(durable), hasGateway ? medianRun(gateways) : null);
}

function collect(seconds, merged, durable, gateway) {
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
  const [seconds, connections, repeats] = process.argv.slice(2).map(Number);
  console.log(JSON.stringify(await pushBench(seconds || 10, connections || 8, repeats || 3), null, 2));
}
