// Application logs (--format app) and a user rule against mtail in the same run: lines/s of
// `scan --format app` counting messages by level, and of a rule-driven count, beside
// `mtail --one_shot` running a level-counting program (bench/app-levels.mtail) and the same rule.
// Median of `runs` CPU times each (user + system of the process and its threads, from getrusage:
// on a shared, loaded machine wall-clock time measures the neighbours), and the ratio to mtail.

import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANALYZER, median, NOISE_MAKER, ROOT } from './lib.mjs';

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

/** CPU seconds (user + system) one run of the command took, its threads included. */
function cpuSeconds(command, args) {
  const probe =
    'import resource, subprocess, sys\n' +
    'r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n' +
    'if r.returncode: sys.exit(r.stderr.decode()[-500:])\n' +
    'u = resource.getrusage(resource.RUSAGE_CHILDREN)\n' +
    'print(u.ru_utime + u.ru_stime)';
  return Number(execFileSync('python3', ['-c', probe, command, ...args], { encoding: 'utf8' }).trim());
}

async function timed(runs, command, args) {
  const seconds = [];
  for (let i = 0; i < runs; i++) seconds.push(cpuSeconds(command, args));
  return median(seconds);
}

export async function appLogsBench(dataDir, messages, runs) {
  const file = appFile(dataDir, messages);
  const lines = lineCount(file);
  const hasMtail = spawnSync('sh', ['-c', 'command -v mtail']).status === 0;
  const app = await timed(runs, process.execPath, [ANALYZER, 'scan', file, '--format', 'app']);
  // The file first: --log-rule takes several values.
  const rule = await timed(runs, process.execPath, [
    ANALYZER,
    'scan',
    file,
    '--format',
    'app',
    '--log-rule',
    JSON.stringify(RULE),
  ]);
  let mtailApp = null;
  let mtailRule = null;
  if (hasMtail) {
    const mtail = async (program) => {
      const progs = mkdtempSync(join(tmpdir(), 'mtail-progs-'));
      if (program.endsWith('.mtail')) cpSync(program, join(progs, 'p.mtail'));
      else writeFileSync(join(progs, 'p.mtail'), program);
      try {
        // --port 0: mtail binds its HTTP port even in one-shot mode, and another may run beside it.
        return await timed(runs, 'mtail', [
          '--one_shot',
          '--one_shot_format',
          'prometheus',
          '--port',
          '0',
          '--progs',
          progs,
          '--logs',
          file,
        ]);
      } finally {
        rmSync(progs, { recursive: true });
      }
    };
    mtailApp = await mtail(join(ROOT, 'bench/app-levels.mtail'));
    mtailRule = await mtail(RULE_MTAIL);
  }
  const row = (what, seconds, mtailSeconds) => ({
    what,
    lines,
    megabytes: Number((statSync(file).size / 2 ** 20).toFixed(1)),
    runs,
    /** Per CPU second. */
    linesPerSecond: Math.round(lines / seconds),
    mtailLinesPerSecond: mtailSeconds ? Math.round(lines / mtailSeconds) : null,
    speedupOverMtail: mtailSeconds ? Number((mtailSeconds / seconds).toFixed(1)) : null,
  });
  return [row('app levels', app, mtailApp), row('app + 1 rule', rule, mtailRule)];
}

// Alone: node bench/app-logs.mjs [messages] [runs]
if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = mkdtempSync(join(tmpdir(), 'app-bench-'));
  try {
    console.log(
      JSON.stringify(
        await appLogsBench(dir, Number(process.argv[2] ?? 1_000_000), Number(process.argv[3] ?? 3)),
        null,
        1,
      ),
    );
  } finally {
    rmSync(dir, { recursive: true });
  }
}
