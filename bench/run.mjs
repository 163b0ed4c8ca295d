#!/usr/bin/env node
// `pnpm bench [--quick]`: every number in one run on this machine, references measured alongside.
// Prints a table and writes bench/results/latest.json. Benchmarks, not tests: nothing asserts a time.
//   1. scan throughput and peak RSS (200k and 2M lines; 10M for the memory comparison), median of 3
//   2. mtail --one_shot on the same files, when mtail is installed; per log format (bench/formats.mjs:
//      nginx main, a custom nginx log_format, JSON) against mtail programs in bench/*.mtail
//   3. the floor reference (bench/floor.mjs), median of 3
//   4. live follow at 10k and 100k lines/s and at max: counted rate, lag p50/p99, peak RSS
//   5. /metrics scrape latency with 10,000 series
//   6. noise-maker --rate max
//   7. the soak: lines rotated every 100k by rename and by copytruncate (full run), and at 50k
//      lines/s with the analyzer killed -9 at random moments (quick: fewer lines, fewer kills)
//   7b. remote-write: 2,000-series snappy protobuf requests beside pushgateway taking the same samples as text
//   7d. every push protocol in one run (issue 24): JSON, OTLP protobuf, OTLP JSON, remote-write and
//       pushgateway, 1,000-sample requests, 8 connections, durable acks (bench/push-protocols.mjs)
//   7c. alert rules: 100 rules over 10,000 series, one evaluation round's CPU, per expression kind;
//       the recording's CPU per step, the wiring's one source against the two it had
//   4b. application logs (--format app) and one user rule against mtail's level counting, wall and CPU
//   8. resilience: idle CPU with 1,000 and 10,000 followed files, 200 concurrent scrapers,
//      1,100 slow connections under ulimit -n 1024, the checkpoint's cost with 100,000 series

import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { appLogsBench, appLogsTable } from './app-logs.mjs';
import { applyBench } from './apply.mjs';
import { decodeBench } from './decode.mjs';
import { formatsBench, formatsTable } from './formats.mjs';
import { ANALYZER, mb, median, NOISE_MAKER, ROOT, runMeasured } from './lib.mjs';
import { liveFollow, scrapeLatency } from './live.mjs';
import { pushBench } from './push.mjs';
import { pushProtocolsBench, pushProtocolsTable } from './push-protocols.mjs';
import { queueBench } from './queue.mjs';
import { remoteWriteBench } from './remote-write.mjs';
import { checkpointCost, churn, concurrentScrapes, idleCost, slowClients, startup } from './resilience.mjs';
import { recordingBench, rulesBench } from './rules.mjs';
import { statsdBench } from './statsd.mjs';

const quick = process.argv.includes('--quick');
const DATA = join(tmpdir(), 'log-analyzer-bench');
mkdirSync(DATA, { recursive: true });
const results = {
  machine: {},
  scan: [],
  live: [],
  scrape: null,
  noiseMaker: null,
  push: null,
  remoteWrite: null,
  pushProtocols: null,
  queue: null,
  statsd: null,
  history: null,
  rules: null,
  appLogs: null,
  soak: null,
  resilience: null,
};
results.machine = {
  cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
  memory: `${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
  node: process.version,
  date: new Date().toISOString(),
  quick,
};

/** The same generated file every run: fixed seed and start time. */
function dataFile(lines) {
  const file = join(DATA, `combined-${lines}.log`);
  if (!existsSync(file)) {
    console.error(`bench: generating ${file}`);
    execFileSync(
      process.execPath,
      [
        NOISE_MAKER,
        '--rate',
        'max',
        '--count',
        String(lines),
        '--seed',
        '1',
        '--start-time',
        '2026-01-01T00:00:00Z',
        '--output',
        `${file}.tmp`,
      ],
      { stdio: 'ignore' },
    );
    cpSync(`${file}.tmp`, file);
    rmSync(`${file}.tmp`);
  }
  return file;
}

const hasMtail = spawnSync('sh', ['-c', 'command -v mtail']).status === 0;

async function scanRow(lines, runs, withMtail = true) {
  const file = dataFile(lines);
  const bytes = statSync(file).size;
  const analyzer = [];
  for (let i = 0; i < runs; i++) analyzer.push(await runMeasured(process.execPath, [ANALYZER, 'scan', file]));
  const floor = [];
  for (let i = 0; i < runs; i++) floor.push(await runMeasured(process.execPath, [join(ROOT, 'bench/floor.mjs'), file]));
  let mtail = null;
  if (hasMtail && withMtail) {
    const progs = mkdtempSync(join(tmpdir(), 'mtail-progs-'));
    cpSync('/usr/share/doc/mtail/examples/apache_combined.mtail', join(progs, 'apache_combined.mtail'));
    mtail = await runMeasured('mtail', [
      '--one_shot',
      '--one_shot_format',
      'prometheus',
      '--progs',
      progs,
      '--logs',
      file,
    ]);
    rmSync(progs, { recursive: true });
  }
  const seconds = median(analyzer.map((r) => r.seconds));
  const floorSeconds = median(floor.map((r) => r.seconds));
  const row = {
    lines,
    megabytes: Number((bytes / 2 ** 20).toFixed(1)),
    runs,
    seconds,
    linesPerSecond: Math.round(lines / seconds),
    megabytesPerSecond: Number((bytes / 2 ** 20 / seconds).toFixed(1)),
    peakRssMB: Number(mb(Math.max(...analyzer.map((r) => r.peakRss)))),
    floorSeconds,
    floorLinesPerSecond: Math.round(lines / floorSeconds),
    ratioToFloor: Number((floorSeconds / seconds).toFixed(2)),
    mtailSeconds: mtail?.seconds ?? null,
    mtailLinesPerSecond: mtail ? Math.round(lines / mtail.seconds) : null,
    speedupOverMtail: mtail ? Number((mtail.seconds / seconds).toFixed(1)) : null,
    mtailPeakRssMB: mtail ? Number(mb(mtail.peakRss)) : null,
  };
  results.scan.push(row);
  console.error(`bench: scan ${lines}: ${row.linesPerSecond} lines/s, ${row.peakRssMB} MB`);
  return row;
}

await scanRow(200_000, 3);
if (!quick) {
  await scanRow(2_000_000, 3);
  await scanRow(10_000_000, 1, false); // the memory comparison; mtail would take minutes
}

// Per log format (nginx, JSON) against mtail running an equivalent program (bench/*.mtail).
results.formats = await formatsBench(quick);
// Application logs by level and a user rule, against mtail's level-counting program (CPU time).
results.appLogs = await appLogsBench(DATA, quick ? 200_000 : 4_000_000, 3);
console.error('bench: app logs: done');

for (const rate of quick ? [10_000, 'max'] : [10_000, 100_000, 'max']) {
  const seconds = quick ? 5 : rate === 'max' ? 30 : 10;
  results.live.push(await liveFollow(rate, seconds));
  console.error(`bench: live ${rate}: done`);
}
results.scrape = await scrapeLatency(10_000, quick ? 10 : 30);

const nm = [];
const nmFile = join(DATA, 'noise-maker-out.log');
for (let i = 0; i < 3; i++) {
  rmSync(nmFile, { force: true });
  const count = quick ? 500_000 : 2_000_000;
  const r = await runMeasured(process.execPath, [
    NOISE_MAKER,
    '--rate',
    'max',
    '--count',
    String(count),
    '--output',
    nmFile,
  ]);
  nm.push(count / r.seconds);
}
rmSync(nmFile, { force: true });
results.noiseMaker = { linesPerSecond: Math.round(median(nm)), runs: nm.map(Math.round) };

results.push = await pushBench(quick ? 4 : 10, 8, quick ? 1 : 3, { manySeries: !quick });
// Pushed totals that do not match what noise-maker sent are a broken promise: the run fails.
if (!results.push.merged.exact || !results.push.durable.exact || results.push.durable100k?.exact === false)
  process.exitCode = 1;
console.error('bench: push: done');
results.decode = decodeBench(quick ? 3 : 7);
if (!results.decode.push.identical || !results.decode.queue.identical) process.exitCode = 1;

results.remoteWrite = await remoteWriteBench(quick ? 4 : 10, 4, quick ? 1 : 3);
// Counter totals that do not match the last values sent are a broken promise: the run fails.
if (!results.remoteWrite.merged.exact || !results.remoteWrite.durable.exact) process.exitCode = 1;
console.error('bench: remote-write: done');
// Issue 24: every push protocol in one run beside pushgateway (medians of 3 even in quick mode).
results.pushProtocols = await pushProtocolsBench(quick ? 4 : 10, 3);
// Totals that do not match what was acknowledged are a broken promise: the run fails.
if (!Object.values(results.pushProtocols.protocols).every((r) => r.exact !== false)) process.exitCode = 1;
console.error('bench: push protocols: done');
// The push path stage by stage in one process (CPU µs per sample), and /metrics with 100,000 pushed series.
results.pushStages = await applyBench(quick ? 20_000 : 100_000, quick ? 1 : 3);

results.queue = await queueBench(quick ? 500_000 : 2_000_000, quick ? 1 : 3);
// Drained totals that do not match what noise-maker queued are a broken promise: the run fails.
if (!results.queue.exact) process.exitCode = 1;
console.error('bench: queue: done');

results.statsd = await statsdBench(5, quick ? 1 : 3);
// Every datagram sent is a line read or a drop counted, or the drop count is broken: the run fails.
if (!Object.values(results.statsd.rates).every((r) => r.accounted)) process.exitCode = 1;
console.error('bench: statsd: done');

{
  // In its own process: it needs --expose-gc for the memory figures.
  const run = spawnSync(process.execPath, ['--expose-gc', join(ROOT, 'bench/history.mjs'), String(quick ? 8 : 20)], {
    encoding: 'utf8',
  });
  if (run.status !== 0) {
    process.exitCode = 1;
    console.error(`bench: history failed: ${run.stderr}`);
  }
  results.history = run.status === 0 ? JSON.parse(run.stdout) : null;
}
console.error('bench: history: done');

results.rules = rulesBench(quick ? 3 : 7);
results.rulesRecording = await recordingBench(quick ? 1 : 3);
console.error('bench: rules: done');

const soak = (...args) => {
  const run = spawnSync(process.execPath, [join(ROOT, 'bench/soak.mjs'), ...args.map(String)], { encoding: 'utf8' });
  // A soak that does not count exactly is a broken promise, not a slow number: the run fails.
  if (run.status !== 0) process.exitCode = 1;
  return (run.stdout.trim() || run.stderr.trim()) + (run.status === 0 ? '' : ' [FAILED]');
};
results.soak = quick
  ? [soak(200_000, 50_000, 'rename', 50_000, 2)]
  : [
      soak(1_000_000, 100_000, 'rename'),
      soak(1_000_000, 100_000, 'copytruncate'),
      soak(2_000_000, 100_000, 'rename', 50_000, 5),
    ];
console.error('bench: soak: done');

results.resilience = {
  idle: quick ? [await idleCost(1000, 5)] : [await idleCost(1000, 20), await idleCost(10_000, 20)],
  scrapers: await concurrentScrapes(10_000, 200, quick ? 2 : 5),
  slow: await slowClients(1100, 1024, quick ? 8 : 20),
  checkpoint: await checkpointCost(quick ? 20_000 : 100_000, quick ? 5 : 20),
  startup: await startup(quick ? 5_000 : 50_000),
  churn: await churn(quick ? 5_000 : 100_000),
};
console.error('bench: resilience: done');

// The table
const pad = (v, n) => String(v ?? '—').padStart(n);
const lines = [];
lines.push(
  `log-analyzer benchmarks — ${results.machine.cpus}, ${results.machine.memory}, Node ${results.machine.node}${quick ? ' (quick)' : ''}`,
);
lines.push('');
lines.push('scan (median)      lines/s      MB/s   peak RSS   floor lines/s  vs floor   mtail lines/s  vs mtail');
for (const r of results.scan) {
  lines.push(
    `${pad(r.lines.toLocaleString('en'), 11)} lines ${pad(r.linesPerSecond.toLocaleString('en'), 11)} ${pad(r.megabytesPerSecond, 8)} ${pad(`${r.peakRssMB} MB`, 9)} ${pad(r.floorLinesPerSecond.toLocaleString('en'), 14)} ${pad(`${r.ratioToFloor}×`, 8)} ${pad(r.mtailLinesPerSecond?.toLocaleString('en'), 14)} ${pad(r.speedupOverMtail ? `${r.speedupOverMtail}×` : null, 8)}`,
  );
}
lines.push('');
if (results.appLogs) lines.push(appLogsTable(results.appLogs));
lines.push('');
lines.push('live follow        written/s    counted/s  counted/written  lag p50   lag p99   peak RSS  bounded');
for (const r of results.live) {
  lines.push(
    `${pad(String(r.rate), 8)} for ${pad(r.seconds, 2)} s ${pad(r.writtenPerSecond.toLocaleString('en'), 11)} ${pad(r.countedPerSecond.toLocaleString('en'), 11)} ${pad(r.countedShare, 16)} ${pad(`${r.lagP50Ms} ms`, 8)} ${pad(`${r.lagP99Ms} ms`, 8)} ${pad(`${r.peakRssMB} MB`, 9)}  ${r.lagBounded ? 'yes' : 'NO'}`,
  );
}
lines.push('');
const s = results.scrape;
lines.push(
  `/metrics with ${s.series.toLocaleString('en')} series: median ${s.medianMs} ms, p99 ${s.p99Ms} ms over ${s.scrapes} scrapes`,
);
lines.push(`noise-maker --rate max: ${results.noiseMaker.linesPerSecond.toLocaleString('en')} lines/s (median of 3)`);
const p = results.push;
lines.push('');
lines.push(
  `push: noise-maker → POST /api/metrics, ${p.batch}-sample batches, ${p.series.toLocaleString('en')} series, 8 connections, ${p.seconds} s (median run)`,
);
lines.push('                          samples/s   p99 ms  peak RSS  scrape idle  scrape under load');
for (const [label, r] of [
  ['analyzer, ack merged', p.merged],
  ['analyzer, ack durable', p.durable],
  ...(p.durable100k ? [['durable, 100,000 series', p.durable100k]] : []),
]) {
  lines.push(
    `${label.padEnd(24)}${pad(r.samplesPerSecond.toLocaleString('en'), 11)}${pad(r.p99Ms, 9)}${pad(`${r.peakRssMB} MB`, 10)}${pad(`${r.scrapeIdleMs} ms`, 13)}${pad(`${r.scrapeUnderLoadMs} ms`, 19)}  ${r.exact ? 'exact' : `NOT EXACT: ${r.mismatches.join('; ')}`}, ${r.pushedSeries.toLocaleString('en')} series stored`,
  );
}
if (p.pushgateway) {
  const g = p.pushgateway;
  lines.push(
    `${'pushgateway (text)'.padEnd(24)}${pad(g.samplesPerSecond.toLocaleString('en'), 11)}${pad(g.p99Ms, 9)}${pad(`${g.peakRssMB} MB`, 10)}`,
  );
  lines.push(`  vs pushgateway: ${p.ratioMerged}× (merged), ${p.ratioDurable}× (durable)`);
}
if (p.sink) {
  lines.push(
    `  load tool: noise-maker → a server that discards bodies: ${p.sink.samplesPerSecond.toLocaleString('en')} samples/s; ${p.sink.cpuMicrosecondsPerSample} µs of noise-maker CPU a sample (${p.sink.samplesPerCpuSecond.toLocaleString('en')} per CPU-second)`,
  );
}
const rw = results.remoteWrite;
lines.push('');
lines.push(
  `remote-write: POST /api/v1/write, ${rw.seriesPerRequest.toLocaleString('en')}-series requests (snappy protobuf), ${rw.connections} connections, ${rw.seconds} s (median run)`,
);
lines.push('                          samples/s  CPU s per 1M samples   p99 ms  peak RSS');
for (const [label, r] of [
  ['analyzer, ack merged', rw.merged],
  ['analyzer, ack durable', rw.durable],
  ['pushgateway (text)', rw.pushgateway],
]) {
  if (!r) continue;
  lines.push(
    `${label.padEnd(24)}${pad(r.samplesPerSecond.toLocaleString('en'), 11)}${pad(r.cpuSecondsPerMillion, 22)}${pad(r.p99Ms, 9)}${pad(`${r.peakRssMB} MB`, 10)}  ${r.exact === undefined ? '' : r.exact ? 'exact' : `NOT EXACT: ${r.counted} of ${r.expected}`}`,
  );
}
if (rw.pushgateway) lines.push(`  vs pushgateway: ${rw.ratioMerged}× (merged), ${rw.ratioDurable}× (durable)`);
lines.push('', ...pushProtocolsTable(results.pushProtocols));
for (const [kind, d] of Object.entries(results.decode)) {
  lines.push(
    `decode ${kind} (1,000 samples, CPU/sample): fast ${d.fast.cpuMicrosPerSample} µs (${d.fast.samplesPerCpuSecond.toLocaleString('en')}/s), slow ${d.slow.cpuMicrosPerSample} µs, JSON.parse alone ${d['JSON.parse'].cpuMicrosPerSample} µs; fast ${d.fastOverJsonParse}× JSON.parse, ${d.fastOverSlow}× slow${d.identical ? '' : '  NOT IDENTICAL'}`,
  );
}
const st = results.pushStages;
lines.push(
  `push stages, CPU µs/sample: decode ${st.cpuMicrosPerSample.decode}, apply ${st.cpuMicrosPerSample.apply}, log ${st.cpuMicrosPerSample.logCpu} (wall ${st.cpuMicrosPerSample.logWall}), answer ${st.cpuMicrosPerSample.answer}; /metrics of ${st.metrics.series.toLocaleString('en')} pushed series: ${st.metrics.allChangedMs} ms CPU all changed, ${st.metrics.oneChangedMs} ms one changed`,
);
const q = results.queue;
lines.push('');
lines.push(
  `queue: drain ${q.messages.toLocaleString('en')} preloaded messages (${q.series.toLocaleString('en')} series, mixed types), from the analyzer's start to the last message counted (median)`,
);
lines.push(
  `  default batch: ${q.messagesPerSecond.toLocaleString('en')} messages/s; --redis-batch 5000: ${q.batch5000MessagesPerSecond.toLocaleString('en')} messages/s; peak RSS ${q.peakRssMB} MB (a tenth of the queue: ${q.peakRssTenthMB} MB)  ${q.exact ? 'exact' : `NOT EXACT: ${q.mismatches.join('; ')}`}`,
);
lines.push(
  `  redis-benchmark RPOP -P 64: ${Math.round(q.redisBenchmarkRpopPerSecond).toLocaleString('en')}/s; the drain is ${q.vsRedisBenchmark}× that`,
);
lines.push('');
lines.push(
  `statsd: UDP datagrams of ${results.statsd.linesPerDatagram} lines from a sender process, ${results.statsd.seconds} s (median run)`,
);
for (const [rate, t] of Object.entries(results.statsd.rates)) {
  lines.push(
    `  at ${rate === 'max' ? 'max' : Number(rate).toLocaleString('en')} lines/s: sent ${t.sentLinesPerSecond.toLocaleString('en')}/s, accepted ${t.samplesPerSecond.toLocaleString('en')} samples/s, dropped by the kernel ${(100 * t.droppedShare).toFixed(1)} % (counted: ${t.accounted ? 'all' : 'NOT ALL'}), ${t.cpuSecondsPerMillion} CPU s per million samples`,
  );
}
const hist = results.history;
if (hist) {
  lines.push('');
  lines.push(
    `history: ${hist.memory.series.toLocaleString('en')} series cost ${hist.memory.totalMB} MB (${hist.memory.perSeriesKB} KB each); /metrics/series?limit=100 ${hist.queries.seriesLimit100Ms} ms, a 24 h trend ${hist.queries.trend24hMs} ms, a 24 h forecast ${hist.queries.forecast24hMs} ms, a 1 h forecast ${hist.queries.forecast1hMs} ms (medians)`,
  );
  lines.push(
    `  history file: ${hist.file.series.toLocaleString('en')} series, ${hist.file.historyFileMB} MB and ${hist.file.historySaveCpuMs} ms CPU per save (${hist.file.saveOverCheckpoint}× a ${hist.file.checkpointMB} MB counts checkpoint of the same store, ${hist.file.checkpointCpuMs} ms); at the default cadences ${hist.file.historyCpuMsPerSecond} ms/s against ${hist.file.checkpointCpuMsPerSecond} ms/s, ${hist.file.historyWriteKBPerSecond} KB/s written; read back at start in ${hist.file.historyLoadCpuMs} ms`,
  );
  lines.push(
    `  /ui: 50 live clients cost ${hist.ui.extraPercentOfOneCore} % of one core (${hist.ui.fifty.cpuPercentOfOneCore} % against ${hist.ui.none.cpuPercentOfOneCore} % with none, following 200 lines/s; ${hist.ui.fifty.framesPerClientPerSecond} frames per client per second)`,
  );
}
const rules = results.rules;
if (rules) {
  lines.push('');
  lines.push(
    `rules: ${rules.rules} rules over ${rules.storeSeries.toLocaleString('en')} series: ${rules.roundCpuMs} CPU ms a round (median; ${rules.shareOfOneCoreAt15s} % of a core every 15 s), recording ${rules.recordedSeries.toLocaleString('en')} series (${rules.recordedMB} MB) ${rules.recordCpuMs} ms a step, against the history's sample ${rules.historySampleCpuMs} ms`,
  );
  lines.push(
    `  per kind (ms a round / per rule): ${Object.entries(rules.perKindCpuMs)
      .map(([k, v]) => `${k} ${v.roundMs} / ${v.perRuleMs}`)
      .join(', ')}`,
  );
  lines.push(
    `  recording, CPU ms a step (memory): ${Object.entries(results.rulesRecording)
      .map(([k, v]) => `${k} ${v.cpuMsPerStep} (${v.pointsMB} MB)`)
      .join(', ')}`,
  );
}
lines.push(...results.soak);
const r = results.resilience;
lines.push('');
for (const i of r.idle) {
  lines.push(
    `idle: ${i.files.toLocaleString('en')} followed files, no writes: ${i.cpuPercentOfOneCore} % of one core (over ${i.seconds} s)`,
  );
}
const c = r.scrapers;
lines.push(
  `${c.clients} concurrent scrapers, ${c.series.toLocaleString('en')} series: median ${c.medianMs} ms, p99 ${c.p99Ms} ms, slowest ${c.maxMs} ms over ${c.scrapes} scrapes (one alone: ${c.singleMedianMs} ms)`,
);
const w = r.slow;
lines.push(
  `${w.connections.toLocaleString('en')} slow connections under ulimit -n ${w.ulimit}, ${w.seconds} s: ${w.scrapesAnswered} of ${w.scrapes} scrapes answered (p99 ${w.scrapeP99Ms} ms), lines written ${w.written}, counted ${w.counted}, ${w.evicted} connections evicted`,
);
const k = r.checkpoint;
lines.push(
  `checkpoint with ${k.series.toLocaleString('en')} series changing every second: ${k.writes} writes in ${k.seconds} s, ${k.meanWriteMs} ms each with fsync, ${k.checkpointMB} MB; process CPU ${k.processCpuPercent} % of one core, ${k.processCpuWithoutPercent} % under the same load without a checkpoint: the checkpoint costs ${k.checkpointCpuPercent} %`,
);
const u = r.startup;
lines.push(
  `start-up with ${u.files.toLocaleString('en')} files: /health answered after ${u.healthMs} ms, discovery done after ${u.discoveryDoneMs} ms (${u.discovered} files), peak RSS ${u.peakRssMB} MB`,
);
const h = r.churn;
lines.push(
  `${h.files.toLocaleString('en')} files created, written and deleted: RSS by tenths ${h.rssMB.join(', ')} MB; log_lines_total series left: ${h.seriesLeft}`,
);
lines.push('', formatsTable(results.formats));
if (!hasMtail) lines.push('(mtail is not installed: apt-get install mtail for the side-by-side column)');
console.log(lines.join('\n'));

mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results/latest.json'), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(ROOT, 'bench/results/latest.txt'), `${lines.join('\n')}\n`);
