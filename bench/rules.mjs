// Alert-rule evaluation (issue 25): 100 rules over 10,000 store series, evaluated as one round
// (the product evaluates every 15 s) over the analyzer's own SeriesSource (rules/promql), with
// 5 minutes of recorded points behind the range selectors. CPU ms per round (process.cpuUsage,
// median of ROUNDS), per expression kind, against the history's sample of the same store (the
// work the analyzer already does every step) measured in the same run.
// recordingBench: the recording's CPU per history step, the wiring's two sources against its one.
// Run alone: node bench/rules.mjs [rounds] [reps]   (needs `pnpm build`: it imports dist/)

import { join } from 'node:path';
import { median, ROOT } from './lib.mjs';

const dist = (p) => import(join(ROOT, 'packages/log-analyzer/dist', p));
const { Store } = await dist('store/store.js');
const { History } = await dist('history/history.js');
const { HISTORY_DEFAULTS } = await dist('config/analyzer-config.js');
const { compileExpr } = await dist('rules/promql/compile.js');
const { StoreSource } = await dist('rules/promql/store-source.js');

const STEP_MS = 10_000;
const BOUNDS = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

/** 10,000 store series: 45 counter, 45 gauge and 10 histogram families of 100 (service × instance × code). */
function fill(store) {
  const counters = [];
  const gauges = [];
  const histograms = [];
  const labels = (i) => [`svc-${i % 10}`, `i-${i}`, i % 5 === 0 ? '500' : '200'];
  const labelNames = ['service', 'instance', 'code'];
  for (let f = 0; f < 45; f++) {
    const c = store.family({ name: `app_requests_${f}_total`, help: 'h', kind: 'counter', labelNames });
    const g = store.family({ name: `app_queue_${f}`, help: 'h', kind: 'gauge', labelNames });
    for (let i = 0; i < 100; i++) {
      const sc = { labels: labels(i), value: 0 };
      c.add(String(i), sc);
      counters.push([c, sc]);
      const sg = { labels: labels(i), value: 0 };
      g.add(String(i), sg);
      gauges.push([g, sg]);
    }
  }
  for (let f = 0; f < 10; f++) {
    const h = store.family({
      name: `app_latency_${f}_seconds`,
      help: 'h',
      kind: 'histogram',
      labelNames,
      bounds: BOUNDS,
    });
    for (let i = 0; i < 100; i++) histograms.push([h, labels(i)]);
  }
  return { counters, gauges, histograms };
}

/** One step of traffic: every counter moves, every gauge changes, every histogram observes. */
function traffic({ counters, gauges, histograms }, step) {
  for (const [family, s] of counters) {
    s.value += 1 + ((step * 7 + s.labels[1].length) % 13);
    family.changed(s);
  }
  for (const [family, s] of gauges) {
    s.value = (step * 3 + Number(s.labels[1].slice(2))) % 100;
    family.changed(s);
  }
  for (const [family, labels] of histograms) {
    const buckets = BOUNDS.map((_, b) => (b + step) % 4).concat(1);
    family.observe(
      labels,
      buckets,
      0.3,
      buckets.reduce((a, b) => a + b, 0),
    );
  }
}

/** 100 rules, by kind: what rule files for this kind of service hold. */
const KINDS = {
  threshold: (f) => `app_queue_${f}{service="svc-3"} > 50`,
  'rate-sum': (f) => `sum by (service) (rate(app_requests_${f}_total[5m])) > 10`,
  ratio: (f) =>
    `sum by (service) (rate(app_requests_${f}_total{code=~"5.."}[5m])) / sum by (service) (rate(app_requests_${f}_total[5m])) > 0.05`,
  quantile: (f) => `histogram_quantile(0.99, sum by (le) (rate(app_latency_${f % 10}_seconds_bucket[5m]))) > 0.5`,
  'over-time': (f) => `avg_over_time(app_queue_${f}[5m]) > 60`,
  absent: (f) => `absent(app_requests_${f}_total{service="svc-1"})`,
};
const MIX = { threshold: 20, 'rate-sum': 30, ratio: 15, quantile: 10, 'over-time': 15, absent: 10 };

const cpuMs = (fn) => {
  const before = process.cpuUsage();
  fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
};

export function rulesBench(rounds = 5) {
  const store = new Store();
  const series = fill(store);
  const history = new History(store, HISTORY_DEFAULTS);
  const source = new StoreSource(store, { stepMs: STEP_MS, windowMs: HISTORY_DEFAULTS.windowMs });
  const rules = [];
  const compileMs = cpuMs(() => {
    for (const [kind, n] of Object.entries(MIX)) {
      for (let i = 0; i < n; i++) {
        const compiled = compileExpr(KINDS[kind](i % 45));
        if (!compiled.ok) throw new Error(`${kind}: ${compiled.message}`);
        rules.push({ kind, expr: compiled.expr });
      }
    }
  });
  const round = (at) => {
    const perKind = Object.fromEntries(Object.keys(MIX).map((k) => [k, 0]));
    let samples = 0;
    const total = cpuMs(() => {
      for (const rule of rules) {
        perKind[rule.kind] += cpuMs(() => {
          const result = rule.expr.evaluate(source, at);
          samples += result.kind === 'vector' ? result.samples.length : 1;
        });
      }
    });
    return { total, perKind, samples };
  };
  // A first round tells the source what the ranges read; then 5 minutes of steps are recorded.
  let t = 0;
  round(t);
  for (let step = 1; step <= 31; step++) {
    t = step * STEP_MS;
    traffic(series, step);
    history.sample(t);
    source.record(t);
  }
  const rounds_ = [];
  const historyMs = [];
  const recordMs = [];
  for (let r = 0; r < rounds; r++) {
    t += STEP_MS;
    traffic(series, 32 + r);
    historyMs.push(cpuMs(() => history.sample(t)));
    recordMs.push(cpuMs(() => source.record(t)));
    rounds_.push(round(t));
  }
  const round1 = (x) => Math.round(x * 10) / 10;
  return {
    rules: rules.length,
    storeSeries: store.seriesCount,
    recordedSeries: source.recorded,
    recordedMB: Math.round((source.keptPoints * 16) / 1e5) / 10,
    compileMs: round1(compileMs),
    roundCpuMs: round1(median(rounds_.map((r) => r.total))),
    roundsCpuMs: rounds_.map((r) => round1(r.total)),
    perKindCpuMs: Object.fromEntries(
      Object.keys(MIX).map((k) => [
        k,
        {
          rules: MIX[k],
          roundMs: round1(median(rounds_.map((r) => r.perKind[k]))),
          perRuleMs: round1(median(rounds_.map((r) => r.perKind[k])) / MIX[k]),
        },
      ]),
    ),
    recordCpuMs: round1(median(recordMs)),
    historySampleCpuMs: round1(median(historyMs)),
    samplesOut: rounds_[0]?.samples ?? 0,
    shareOfOneCoreAt15s: round1((100 * median(rounds_.map((r) => r.total))) / 15_000),
  };
}

/**
 * The recording's cost in the analyzer's wiring over 5 simulated minutes: history steps every
 * 10 s (phase 3 s: the two timers are not aligned) and rule turns every 15 s, the 100 rules'
 * ranges wanted. `two sources` is the wiring before issue 25's follow-up: the rules' own source
 * recording at every turn (spaced by the evaluation interval) and, when /api/v1/query reads the
 * same series (a dashboard), the query route's recording at every step. `one source` is the
 * wiring now: one source, each reader's sampler recording what it reads, a series read by both
 * one ring, a point younger than half the sampler's cadence kept.
 * CPU ms per history step (process.cpuUsage around the recordings only), points and memory held.
 */
export async function recordingBench(reps = 3) {
  const STEP = 10_000;
  const TURN = 15_000;
  const events = [];
  for (let t = 3000; t <= 300_000; t += STEP) events.push({ t, kind: 'step' });
  for (let t = 0; t <= 300_000; t += TURN) events.push({ t, kind: 'turn' });
  events.sort((a, b) => a.t - b.t);
  const steps = events.filter((e) => e.kind === 'step').length;
  const wiring = {
    'rules only: two sources (before)': { turns: TURN },
    'rules only: one source (now)': { one: ['rules'] },
    'rules + the same query: two sources (before)': { turns: TURN, steps: STEP },
    'rules + the same query: one source (now)': { one: ['rules', 'query'] },
  };
  const out = {};
  for (const [name, w] of Object.entries(wiring)) {
    const cpu = [];
    let held = null;
    for (let rep = 0; rep < reps; rep++) {
      const store = new Store();
      const series = fill(store);
      const sources = w.one
        ? [new StoreSource(store, { stepMs: STEP, windowMs: HISTORY_DEFAULTS.windowMs })]
        : [w.turns, w.steps]
            .filter((stepMs) => stepMs !== undefined)
            .map((stepMs) => new StoreSource(store, { stepMs, windowMs: HISTORY_DEFAULTS.windowMs }));
      const readers = w.one ? w.one.map((r) => sources[0].reader(r)) : sources;
      for (const [kind, n] of Object.entries(MIX)) {
        for (let i = 0; i < n; i++) {
          const compiled = compileExpr(KINDS[kind](i % 45));
          for (const reader of readers) compiled.expr.evaluate(reader, 0);
        }
      }
      let used = 0;
      let step = 0;
      for (const { t, kind } of events) {
        traffic(series, step++);
        const before = process.cpuUsage();
        if (w.one)
          await sources[0].sample(t, kind === 'step' ? STEP / 2 : TURN / 2, kind === 'step' ? 'query' : 'rules');
        else if (kind === 'turn') await sources[0].sample(t);
        else if (sources[1]) await sources[1].sample(t);
        const d = process.cpuUsage(before);
        used += (d.user + d.system) / 1000;
      }
      cpu.push(used / steps);
      held = {
        recordedSeries: sources.reduce((n, s) => n + s.recorded, 0),
        recordings: sources.reduce((n, s) => n + s.samples.recorded, 0),
        pointsMB: Math.round((sources.reduce((n, s) => n + s.keptPoints, 0) * 16) / 1e5) / 10,
      };
    }
    out[name] = {
      cpuMsPerStep: Math.round(median(cpu) * 10) / 10,
      runs: cpu.map((c) => Math.round(c * 10) / 10),
      ...held,
    };
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(rulesBench(Number(process.argv[2] ?? 5)), null, 2));
  console.log(JSON.stringify(await recordingBench(Number(process.argv[3] ?? 3)), null, 2));
}
