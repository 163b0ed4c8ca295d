// Push ingestion benchmark: noise-maker drives POST /api/metrics with 1,000-sample batches over
// several connections (accepted samples/s, p99 request latency, peak RSS, and the time of a
// /metrics scrape with 10,000 pushed series, gzipped as Prometheus asks, while it runs and after), then the same batches as Prometheus
// text go to prometheus-pushgateway, the reference, from a driver of the same shape.
// The same durable run with 100,000 series (peak RSS), and noise-maker against a server that discards
// what it gets (the load tool's own ceiling: it must not be what the analyzer's figure measures).
// Medians of `repeats` interleaved runs. Run alone: node bench/push.mjs [seconds] [connections] [repeats]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
export async function analyzerRun(seconds, connections, ack, series = SERIES) {
  const dir = mkdtempSync(join(tmpdir(), 'push-bench-'));
  const checkpoint = ack === 'durable' ? ['--positions', join(dir, 'checkpoint.json')] : [];
  // Past the default limits (10,000 series a name), raised so every sample is taken.
  const limits =
    series > SERIES ? ['--push-max-series', String(2 * series), '--push-max-series-per-family', String(series)] : [];
  const analyzer = await startAnalyzer(['--push-ack', ack, ...checkpoint, ...limits], { positions: ack === 'durable' });
  const base = analyzer.url.replace(/\/metrics$/, '');
  const cpuBefore = cpuSeconds(analyzer.child.pid) ?? 0;
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
      String(series),
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
  const cpu = (cpuSeconds(analyzer.child.pid) ?? cpuBefore) - cpuBefore;
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
    series,
    samplesPerSecond: summary.samples_per_second ?? 0,
    cpuSecondsPerMillion: summary.samples > 0 ? Number(((cpu / summary.samples) * 1e6).toFixed(2)) : null,
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
  // Bodies rendered before the clock starts, as noise-maker renders its own.
  const rendered = Array.from({ length: connections }, (_, c) => {
    const model = new MetricModel(1, series, c, connections);
    return Array.from({ length: 16 }, () => toText(model.body('batch', BATCH).body));
  });
  const cpuBefore = cpuSeconds(gateway.child.pid) ?? 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    rendered.map(async (bodies, c) => {
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
  const cpu = (cpuSeconds(gateway.child.pid) ?? cpuBefore) - cpuBefore;
  const rss = peakRss(gateway.child.pid);
  agent.destroy();
  gateway.child.kill('SIGTERM');
  await gateway.exited;
  latencies.sort((a, b) => a - b);
  return {
    samplesPerSecond: Math.round(samples / elapsed),
    cpuSecondsPerMillion: samples > 0 ? Number(((cpu / samples) * 1e6).toFixed(2)) : null,
    p99Ms: Number((latencies[Math.floor(latencies.length * 0.99)] ?? 0).toFixed(1)),
    peakRssMB: Number(mb(rss)),
    failedRequests: failed,
  };
}

/** A server that reads every body and throws it away, answering `{}`: the load tool's ceiling. */
const SINK = `const s = require('node:http').createServer((q, r) => {
  q.on('data', () => {});
  q.on('end', () => r.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 }).end('{}'));
});
s.keepAliveTimeout = 60000;
s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'));`;

/** CPU seconds (user + system) a live process has used so far, or null once it is gone. */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/**
 * noise-maker push as the analyzer runs get it, against SINK: samples/s and noise-maker's own CPU
 * per sample. On 2 shared cores the wall figure is the sink's and noise-maker's share of them; the
 * CPU per sample says what one core of noise-maker drives.
 */
export async function sinkRun(seconds, connections, series = SERIES) {
  const sink = start(process.execPath, ['-e', SINK], { stdout: 'pipe' });
  const port = await new Promise((resolve) => sink.child.stdout.once('data', (d) => resolve(Number(String(d)))));
  const pusher = start(
    process.execPath,
    [NOISE_MAKER, 'push', '--url', `http://127.0.0.1:${port}`, '--shape', 'batch', '--rate', 'max']
      .concat(['--duration', `${seconds}s`, '--batch', String(BATCH), '--series', String(series)])
      .concat(['--connections', String(connections), '--seed', '1']),
    { stdout: 'pipe' },
  );
  let out = '';
  pusher.child.stdout.on('data', (d) => {
    out += d;
  });
  let cpu = 0;
  const timer = setInterval(() => {
    cpu = cpuSeconds(pusher.child.pid) ?? cpu;
  }, 50);
  await pusher.exited;
  clearInterval(timer);
  sink.child.kill('SIGTERM');
  await sink.exited;
  const summary = JSON.parse(out || '{}');
  const samples = summary.samples ?? 0;
  return {
    samplesPerSecond: summary.samples_per_second ?? 0,
    cpuMicrosecondsPerSample: samples > 0 ? Number(((cpu * 1e6) / samples).toFixed(2)) : null,
    samplesPerCpuSecond: cpu > 0 ? Math.round(samples / cpu) : 0,
  };
}

/** The run whose samples/s is the median (so its other numbers come from the same run). */
function medianRun(runs) {
  const sorted = [...runs].sort((a, b) => a.samplesPerSecond - b.samplesPerSecond);
  return { ...sorted[sorted.length >> 1], runs: runs.map((r) => r.samplesPerSecond) };
}

/**
 * `manySeries`: also the durable run with 100,000 series (issue 23: RSS ≤ 300 MB), and the load
 * tool against a discarding sink (the quick run leaves both out).
 */
export async function pushBench(seconds = 10, connections = 8, repeats = 3, { manySeries = true } = {}) {
  const hasGateway = spawnSync('sh', ['-c', 'command -v prometheus-pushgateway']).status === 0;
  const merged = [];
  const durable = [];
  const durable100k = [];
  const gateways = [];
  const sinks = [];
  // Interleaved, so a noisy minute on this shared machine hits each alike.
  for (let i = 0; i < repeats; i++) {
    merged.push(await analyzerRun(seconds, connections, 'merged'));
    durable.push(await analyzerRun(seconds, connections, 'durable'));
    if (manySeries) durable100k.push(await analyzerRun(seconds, connections, 'durable', 100_000));
    if (hasGateway) gateways.push(await pushgatewayRun(seconds, connections));
    if (manySeries) sinks.push(await sinkRun(seconds, connections));
  }
  return {
    ...collect(seconds, medianRun(merged), medianRun(durable), hasGateway ? medianRun(gateways) : null),
    durable100k: manySeries ? medianRun(durable100k) : null,
    sink: manySeries ? medianRun(sinks) : null,
  };
}

function collect(seconds, merged, durable, gateway) {
  return {
    seconds,
    batch: BATCH,
    series: SERIES,
    connections: merged.connections,
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
