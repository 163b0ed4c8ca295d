// The push path stage by stage, in one process, CPU time per sample (process.cpuUsage): decode
// (decodeBatch of a 1,000-sample JSON body), apply (PushedFamilies.take: series lookup + merge),
// the push log (record encoding + write + fdatasync, 8 appends sharing a sync), the answer's JSON;
// then /metrics with `series` pushed series: snapshot + render after every series changed, and
// after one did. Medians of `repeats`. Run alone: node bench/apply.mjs [series] [repeats]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, ROOT } from './lib.mjs';

// LOG_ANALYZER_DIST: another build (e.g. a copy of main's dist) for a before/after in one run.
const DIST = process.env.LOG_ANALYZER_DIST ?? join(ROOT, 'packages/log-analyzer/dist');
const { MetricModel } = await import(join(ROOT, 'packages/noise-maker/dist/generate/metric-model.js'));
const { decodeBatch } = await import(join(DIST, 'transforms/push/batch.js'));
const { Store } = await import(join(DIST, 'store/store.js'));
const { PushedFamilies } = await import(join(DIST, 'store/pushed-families.js'));
const { PushLog } = await import(join(DIST, 'sources/push/push-log.js'));
const { checkpointBody } = await import(join(DIST, 'store/checkpoint.js'));
const exposition = await import(join(DIST, 'export/exposition.js'));
const { storeFamilies } = exposition;
/** A family's bytes (storeBlocks: pieces; before, storeBlock: one buffer). */
const blockBytes = (f) =>
  exposition.storeBlocks
    ? exposition.storeBlocks(f, false).reduce((n, b) => n + b.length, 0)
    : exposition.storeBlock(f, false).length;

const BATCH = 1000;
const BODIES = 64;
const CONNECTIONS = 8;

const context = {
  limits: { maxItems: 10_000, maxLabels: 32, maxLabelValueBytes: 1024, maxSeriesBytes: 2048 },
  namespace: '',
  prefix: '',
  tenant: null,
};

function pushOptions(series) {
  return {
    namespace: '',
    prefix: '',
    cumulativeSources: new Set(),
    maxSeries: series * 2,
    maxSeriesPerFamily: series * 2,
    maxSeriesPerTenant: series * 2,
    ttlMs: null,
  };
}

/** CPU µs (user + system) that `fn` takes. */
function cpu(fn) {
  const before = process.cpuUsage();
  fn();
  const used = process.cpuUsage(before);
  return used.user + used.system;
}

async function cpuAsync(fn) {
  const before = process.cpuUsage();
  const t = performance.now();
  await fn();
  const used = process.cpuUsage(before);
  return { cpu: used.user + used.system, wall: (performance.now() - t) * 1000 };
}

/** Bodies as noise-maker's push sends them (one model per connection, as bench/push.mjs). */
function bodies(series) {
  const out = [];
  for (let c = 0; c < CONNECTIONS; c++) {
    const model = new MetricModel(1, series, c, CONNECTIONS);
    for (let i = 0; i < BODIES / CONNECTIONS; i++) out.push(Buffer.from(model.body('batch', BATCH).body));
  }
  return out.map((b) => new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)));
}

/** Every series of the model in the store once (so apply measures merges into existing series). */
function filled(series) {
  const store = new Store();
  const pushed = new PushedFamilies(store, pushOptions(series));
  for (let c = 0; c < CONNECTIONS; c++) {
    const model = new MetricModel(1, series, c, CONNECTIONS);
    // Enough samples that every series comes up (the picker is weighted per family).
    for (let i = 0; i < Math.ceil((series * 8) / CONNECTIONS / BATCH); i++) {
      const batch = decodeBatch(model.body('batch', BATCH).body, context);
      pushed.take(batch, Date.now());
    }
  }
  return { store, pushed };
}

async function stages(series) {
  const input = bodies(series);
  const samples = input.length * BATCH;
  const decodeUs = cpu(() => {
    for (const b of input) decodeBatch(b, context);
  });
  const batches = input.map((b) => decodeBatch(b, context));
  const { pushed } = filled(series);
  const now = Date.now();
  const taken = [];
  const applyUs = cpu(() => {
    for (const batch of batches) taken.push(pushed.take(batch, now));
  });
  const answerUs = cpu(() => {
    for (const t of taken) JSON.stringify({ success: true, accepted: t.accepted, rejected: 0, errors: t.rejected });
  });
  const dir = mkdtempSync(join(tmpdir(), 'apply-bench-'));
  const { log } = PushLog.open(join(dir, 'push-log'), 0);
  const logged = await cpuAsync(async () => {
    for (let i = 0; i < input.length; i += CONNECTIONS) {
      await Promise.all(input.slice(i, i + CONNECTIONS).map((b) => log.append(b, null, now)));
    }
  });
  log.close();
  rmSync(dir, { recursive: true, force: true });
  const per = (us) => Number((us / samples).toFixed(3));
  return {
    decode: per(decodeUs),
    apply: per(applyUs),
    logCpu: per(logged.cpu),
    logWall: per(logged.wall),
    answer: per(answerUs),
    bodyBytesPerSample: Math.round(input.reduce((a, b) => a + b.length, 0) / samples),
  };
}

/**
 * /metrics of `series` pushed series: CPU ms (and wall ms) to snapshot and render everything, and
 * after one series moved.
 */
function render(series) {
  const { store, pushed } = filled(series);
  const once = () => {
    const t = performance.now();
    const before = process.cpuUsage();
    const snapshot = store.snapshot();
    const bytes = storeFamilies(snapshot).reduce((n, f) => n + blockBytes(f), 0);
    const used = process.cpuUsage(before);
    // The checkpoint a scrape takes first (its JSON body; not the write), for comparison.
    const json = process.cpuUsage();
    checkpointBody(snapshot, {});
    const jsonUsed = process.cpuUsage(json);
    return {
      ms: (used.user + used.system) / 1000,
      wallMs: performance.now() - t,
      bytes,
      checkpointMs: (jsonUsed.user + jsonUsed.system) / 1000,
    };
  };
  once();
  // Every series changed (under load each chunk moves between two scrapes).
  for (const family of pushed.families()) for (const s of family.series.values()) family.changed(s);
  const all = once();
  const one = pushed.families().next().value;
  one.changed(one.series.values().next().value);
  const few = once();
  return {
    series: pushed.seriesCount,
    allChangedMs: all.ms,
    allChangedWallMs: all.wallMs,
    oneChangedMs: few.ms,
    checkpointJsonMs: all.checkpointMs,
    bytes: all.bytes,
  };
}

export async function applyBench(series = 100_000, repeats = 3) {
  const runs = [];
  for (let i = 0; i < repeats; i++) runs.push(await stages(10_000));
  const renders = [];
  for (let i = 0; i < repeats; i++) renders.push(render(series));
  const med = (key, rows) => Number(median(rows.map((r) => r[key])).toFixed(3));
  const memory = process.memoryUsage();
  return {
    cpuMicrosPerSample: Object.fromEntries(Object.keys(runs[0]).map((k) => [k, med(k, runs)])),
    metrics: {
      series: renders[0].series,
      bytes: renders[0].bytes,
      allChangedMs: med('allChangedMs', renders),
      allChangedWallMs: med('allChangedWallMs', renders),
      oneChangedMs: med('oneChangedMs', renders),
      checkpointJsonMs: med('checkpointJsonMs', renders),
    },
    heapUsedMB: Math.round(memory.heapUsed / 2 ** 20),
    rssMB: Math.round(memory.rss / 2 ** 20),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [series, repeats] = process.argv.slice(2).map(Number);
  console.log(JSON.stringify(await applyBench(series || 100_000, repeats || 3), null, 2));
}
