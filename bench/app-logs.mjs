// Application logs (--format app) and a user rule against mtail in the same run: lines/s of
// `scan --format app` counting messages by level, and of a rule-driven count, beside
// `mtail --one_shot` running a level-counting program (bench/app-levels.mtail) and the same rule.
// Wall seconds (what a user waits; scan uses every core) and CPU seconds (user + system of the
// process and its threads, from getrusage: what the machine paid, steadier under load) of each,
// runs interleaved, medians, and the ratios to mtail. BENCH_BEFORE=path/to/log-analyzer.js adds an
// older build's rows from the same run. The generated file is kept in the data dir and reused.

import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANALYZER, median, NOISE_MAKER, ROOT, wallAndCpu } from './lib.mjs';

const RULE = { name: 'checkout_failures_total', regex: 'checkout failed (?P<n>[0-9])' };
const RULE_MTAIL = `counter checkout_failures_total by n\n/checkout failed (?P<n>[0-9])/ {\n  checkout_failures_total[$n]++\n}\n`;

/** The same generated application log every run: fixed seed, start time and mix (text, pino JSON, logfmt, traces). */
function appFile(dir, messages) {
  const file = join(dir, `app-${messages}.log`);
  if (!existsSync(file)) {
    execFileSync(
      process.execPath,
      [
        NOISE_MAKER,
        'app',
        '--rate',
        'max',
        '--count',
        String(messages),
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

const lineCount = (file) => Number(execFileSync('wc', ['-l', file], { encoding: 'utf8' }).trim().split(/\s+/)[0]);

export async function appLogsBench(dataDir, messages, runs) {
  const file = appFile(dataDir, messages);
  const lines = lineCount(file);
  const hasMtail = spawnSync('sh', ['-c', 'command -v mtail']).status === 0;
  const before = process.env.BENCH_BEFORE ?? null;
  const progs = (program) => {
    const dir = mkdtempSync(join(tmpdir(), 'mtail-progs-'));
    if (program.endsWith('.mtail')) cpSync(program, join(dir, 'p.mtail'));
    else writeFileSync(join(dir, 'p.mtail'), program);
    return dir;
  };
  // The file first: --log-rule takes several values.
  const rule = ['--log-rule', JSON.stringify(RULE)];
  const cases = [
    { what: 'app levels', args: ['scan', file, '--format', 'app'], progs: progs(join(ROOT, 'bench/app-levels.mtail')) },
    { what: 'app + 1 rule', args: ['scan', file, '--format', 'app', ...rule], progs: progs(RULE_MTAIL) },
  ];
  const times = cases.map(() => ({ ours: [], before: [], mtail: [] }));
  try {
    // Interleaved, so a burst of load from the neighbours falls on every tool alike.
    for (let run = 0; run < runs; run++) {
      for (const [k, c] of cases.entries()) {
        times[k].ours.push(wallAndCpu(process.execPath, [ANALYZER, ...c.args]));
        if (before) times[k].before.push(wallAndCpu(process.execPath, [before, ...c.args]));
        if (hasMtail) {
          // --port 0: mtail binds its HTTP port even in one-shot mode, and another may run beside it.
          const argv = ['--one_shot', '--one_shot_format', 'prometheus', '--port', '0', '--progs', c.progs];
          times[k].mtail.push(wallAndCpu('mtail', [...argv, '--logs', file]));
        }
      }
    }
  } finally {
    for (const c of cases) rmSync(c.progs, { recursive: true });
  }
  const rate = (samples, key) => (samples.length ? Math.round(lines / median(samples.map((r) => r[key]))) : null);
  const ratio = (a, b) => (a && b ? Number((a / b).toFixed(1)) : null);
  return cases.map((c, k) => {
    const t = times[k];
    const row = {
      what: c.what,
      lines,
      megabytes: Number((statSync(file).size / 2 ** 20).toFixed(1)),
      runs,
      linesPerSecond: rate(t.ours, 'wall'),
      linesPerCpuSecond: rate(t.ours, 'cpu'),
      mtailLinesPerSecond: rate(t.mtail, 'wall'),
      mtailLinesPerCpuSecond: rate(t.mtail, 'cpu'),
    };
    row.speedupOverMtail = ratio(row.linesPerSecond, row.mtailLinesPerSecond);
    row.cpuSpeedupOverMtail = ratio(row.linesPerCpuSecond, row.mtailLinesPerCpuSecond);
    if (before) {
      row.before = { linesPerSecond: rate(t.before, 'wall'), linesPerCpuSecond: rate(t.before, 'cpu') };
      row.before.speedupOverMtail = ratio(row.before.linesPerSecond, row.mtailLinesPerSecond);
      row.before.cpuSpeedupOverMtail = ratio(row.before.linesPerCpuSecond, row.mtailLinesPerCpuSecond);
    }
    return row;
  });
}

/** The rows as a table (pnpm bench prints it; so does this script alone). */
export function appLogsTable(rows) {
  const pad = (v, n) => String(v ?? '–').padStart(n);
  const n = (v) => v?.toLocaleString('en');
  const x = (v) => (v ? `${v}×` : null);
  const first = rows[0];
  const out = [
    `app logs (scan, ${n(first?.lines)} lines, median of ${first?.runs})  lines/s  lines/CPU-s  mtail lines/s  mtail lines/CPU-s  vs mtail (wall)  vs mtail (CPU)`,
  ];
  const line = (name, r) =>
    `${name.padEnd(38)} ${pad(n(r.linesPerSecond), 10)} ${pad(n(r.linesPerCpuSecond), 12)} ${pad(n(r.mtailLinesPerSecond), 14)} ${pad(n(r.mtailLinesPerCpuSecond), 18)} ${pad(x(r.speedupOverMtail), 16)} ${pad(x(r.cpuSpeedupOverMtail), 15)}`;
  for (const r of rows) {
    out.push(line(r.what, r));
    if (r.before) out.push(line('  before (BENCH_BEFORE)', { ...r, ...r.before }));
  }
  return out.join('\n');
}

// Alone: node bench/app-logs.mjs [messages] [runs] (the file is kept in the bench data dir and reused).
if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = join(tmpdir(), 'log-analyzer-bench');
  mkdirSync(dir, { recursive: true });
  const rows = await appLogsBench(dir, Number(process.argv[2] ?? 4_000_000), Number(process.argv[3] ?? 3));
  console.log(appLogsTable(rows));
}
