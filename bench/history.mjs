// History, trends and the live page (issue 12):
// 1. memory: 10,000 series' history with the default sizes (10 s × 1 h points, 5 min × 24 h
//    rollups), heap after GC with and without it, per series;
// 2. with 10,000 series and 24 h of rollups: GET /metrics/series?limit=100 and a 24 h trend
//    through the HTTP routes (medians of 50);
// 3. the analyzer following a file noise-maker writes, its CPU with 50 connected /ui clients
//    (Server-Sent Events, one frame a second) against none, over the same time.
// 4. the history file (issue 28): bytes and CPU per save of 10,000 series' history (serialize,
//    write, fsync, rename), against a counts checkpoint of the same store measured in the same run
//    (medians of 5), and both per second at their default cadences (1 min and 1 s). The checkpoint
//    itself does not carry the history: its cost is the reference, unchanged.
// Run alone: node --expose-gc bench/history.mjs [seconds]

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, NOISE_MAKER, ROOT, sleep, start, startAnalyzer } from './lib.mjs';

const dist = (p) => import(join(ROOT, 'packages/log-analyzer/dist', p));
const { Store } = await dist('store/store.js');
const { History } = await dist('history/history.js');
const { historyRoutes } = await dist('export/history-routes.js');
const { HistorySaver } = await dist('history/history-saver.js');
const { forecastRoutes } = await dist('export/forecast-routes.js');
const { checkpointBody, serializeCheckpoint, writeCheckpoint } = await dist('store/checkpoint.js');
// The analyzer's default history sizes (config/settings.ts declares them once).
const { HISTORY_DEFAULTS } = await dist('config/analyzer-config.js');

const SERIES = 10_000;

/** 10,000 series: 100 families of 100 (counters and gauges, half each), labels like a service's. */
function fill(store) {
  const all = [];
  for (let f = 0; f < 100; f++) {
    const kind = f % 2 ? 'gauge' : 'counter';
    const family = store.family({
      name: `app_metric_${f}${kind === 'counter' ? '_total' : ''}`,
      help: 'h',
      kind,
      labelNames: ['service', 'instance'],
    });
    for (let i = 0; i < SERIES / 100; i++) {
      const s = { labels: [`svc-${i % 10}`, `i-${i}`], value: 0 };
      family.add(`${i}`, s);
      all.push(s);
    }
  }
  return all;
}

const heap = () => {
  globalThis.gc?.();
  globalThis.gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers; // typed arrays live outside the heap
};

function memory() {
  const store = new Store();
  const series = fill(store);
  const before = heap();
  const history = new History(store, HISTORY_DEFAULTS);
  history.sample(0);
  for (const s of series) s.value += 1;
  history.sample(10_000);
  const after = heap();
  return {
    series: history.size,
    totalMB: Number(((after - before) / 2 ** 20).toFixed(1)),
    perSeriesKB: Number(((after - before) / history.size / 1024).toFixed(1)),
  };
}

export async function queries() {
  const store = new Store();
  const series = fill(store);
  // 24 h of 5-minute rollups: sample once per rollup (the points ring then holds the last hour of them).
  const history = new History(store, { ...HISTORY_DEFAULTS, stepMs: 300_000, windowMs: 3_600_000 });
  const H = 3_600_000;
  for (let t = 0; t <= 24 * H; t += 300_000) {
    for (const [i, s] of series.entries()) s.value += 1 + ((i + t / 300_000) % 7);
    history.sample(t);
  }
  const app = historyRoutes(history, () => 24 * H);
  const forecasts = forecastRoutes(history, () => 24 * H);
  // And an hour of 10-s points at the default sizes, for /metrics/series (360 points a series).
  const fineStore = new Store();
  const fineSeries = fill(fineStore);
  const fine = new History(fineStore, HISTORY_DEFAULTS);
  for (let t = 0; t <= H; t += 10_000) {
    for (const [i, s] of fineSeries.entries()) s.value += 1 + (i % 7);
    fine.sample(t);
  }
  const fineApp = historyRoutes(fine, () => H);
  const fineForecasts = forecastRoutes(fine, () => H);
  const timed = async (path, on = app) => {
    const times = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      const res = await on.request(path);
      await res.text();
      times.push(performance.now() - t);
    }
    return Number(median(times).toFixed(2));
  };
  return {
    series: history.size,
    seriesLimit100Ms: await timed('/metrics/series?limit=100', fineApp),
    seriesByNameMs: await timed('/metrics/series?name=app_metric_2_total&limit=100', fineApp),
    trend24hMs: await timed('/metrics/trends/app_metric_2_total?hours=24'),
    trend24hOneServiceMs: await timed('/metrics/trends/app_metric_3?hours=24&labels=service=svc-3'),
    // 100 series added up, then Holt fitted (grid + search) on 288 rollups / 360 points.
    forecast24hMs: await timed('/metrics/forecast/app_metric_2_total?hours=24', forecasts),
    forecast1hMs: await timed('/metrics/forecast/app_metric_2_total?hours=1', fineForecasts),
  };
}

const cpuTicks = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);
};

/** The analyzer's CPU over `seconds` with `clients` live pages connected. */
async function uiCost(seconds, clients) {
  const dir = mkdtempSync(join(tmpdir(), 'ui-bench-'));
  const noise = start(process.execPath, [
    NOISE_MAKER,
    '--output',
    join(dir, 'access.log'),
    '--rate',
    '200',
    '--format',
    'combined_duration',
    '--duration',
    `${seconds * 2 + 10}s`,
    '--quiet',
  ]);
  const analyzer = await startAnalyzer(['--watch', join(dir, '*.log'), '--format', 'combined_duration']);
  const base = analyzer.url.replace(/\/metrics$/, '');
  const aborts = [];
  let frames = 0;
  for (let i = 0; i < clients; i++) {
    const controller = new AbortController();
    aborts.push(controller);
    fetch(`${base}/ui/events`, { signal: controller.signal })
      .then(async (res) => {
        for await (const chunk of res.body) frames += (String(Buffer.from(chunk)).match(/event: frame/g) ?? []).length;
      })
      .catch(() => {});
  }
  await sleep(3000); // settle: every client connected, the feed ticking
  const t0 = cpuTicks(analyzer.child.pid);
  const framesBefore = frames;
  await sleep(seconds * 1000);
  const ticks = cpuTicks(analyzer.child.pid) - t0;
  const got = frames - framesBefore;
  for (const a of aborts) a.abort();
  analyzer.child.kill('SIGTERM');
  noise.child.kill('SIGTERM');
  await Promise.all([analyzer.exited, noise.exited]);
  rmSync(dir, { recursive: true, force: true });
  return {
    clients,
    cpuPercentOfOneCore: Number(((ticks / 100 / seconds) * 100).toFixed(1)),
    framesPerClientPerSecond: clients ? Number((got / clients / seconds).toFixed(2)) : 0,
  };
}

/** CPU milliseconds (user + system) of one awaited call. */
async function cpuMs(run) {
  const before = process.cpuUsage();
  await run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

export async function persistence() {
  const store = new Store();
  const series = fill(store);
  const history = new History(store, HISTORY_DEFAULTS);
  for (let t = 0; t <= 60_000; t += 10_000) {
    for (const [i, s] of series.entries()) s.value += 1 + (i % 7);
    history.sample(t);
  }
  const dir = mkdtempSync(join(tmpdir(), 'history-bench-'));
  const saver = new HistorySaver(
    history,
    join(dir, 'checkpoint.json.history'),
    () => {},
    (e) => {
      throw e;
    },
  );
  const path = join(dir, 'checkpoint.json');
  let checkpointBytes = 0;
  const checkpoint = async () => {
    const text = serializeCheckpoint(checkpointBody(store.snapshot(), {}), Date.now());
    checkpointBytes = text.length;
    await writeCheckpoint(path, text);
  };
  const saves = [];
  const checkpoints = [];
  for (let i = 0; i < 5; i++) {
    checkpoints.push(await cpuMs(checkpoint));
    saves.push(await cpuMs(() => saver.save(Date.now())));
  }
  const restore = await cpuMs(async () => {
    const fresh = new History(store, HISTORY_DEFAULTS);
    await new HistorySaver(
      fresh,
      saver.path,
      (line) => {
        throw new Error(line);
      },
      () => {},
    ).load(Date.now());
  });
  rmSync(dir, { recursive: true, force: true });
  const save = median(saves);
  const cp = median(checkpoints);
  return {
    series: history.size,
    historyFileMB: Number((saver.lastBytes / 2 ** 20).toFixed(1)),
    historySaveCpuMs: Number(save.toFixed(1)),
    historyLoadCpuMs: Number(restore.toFixed(1)),
    checkpointMB: Number((checkpointBytes / 2 ** 20).toFixed(2)),
    checkpointCpuMs: Number(cp.toFixed(1)),
    saveOverCheckpoint: Number((save / cp).toFixed(2)),
    // At the default cadences: a save a minute, a checkpoint a second.
    historyCpuMsPerSecond: Number((save / 60).toFixed(2)),
    checkpointCpuMsPerSecond: Number(cp.toFixed(1)),
    historyWriteKBPerSecond: Number((saver.lastBytes / 60 / 1024).toFixed(0)),
  };
}

export async function historyBench(seconds) {
  const file = await persistence();
  const mem = memory();
  const q = await queries();
  const none = await uiCost(seconds, 0);
  const fifty = await uiCost(seconds, 50);
  return {
    memory: mem,
    queries: q,
    file,
    ui: {
      none,
      fifty,
      extraPercentOfOneCore: Number((fifty.cpuPercentOfOneCore - none.cpuPercentOfOneCore).toFixed(1)),
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await historyBench(Number(process.argv[2] ?? 20)), null, 2));
}
