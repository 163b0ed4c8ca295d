// --route-label's cost: CPU time (user + system, all threads) of `scan` over the 2M-line combined
// file, the build given (default: this checkout's) without and with --route-label, medians of
// `--runs` (default 3), interleaved so the machine's noise falls on every variant alike. Run
// another build as a reference with `--base DIR` (a checkout of the commit before, built).
// node bench/route-label.mjs [--base /path/to/other/checkout] [--runs 3]

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANALYZER, ROOT } from './lib.mjs';

const arg = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : fallback;
};
const runs = Number(arg('--runs', '3'));
const base = arg('--base', null);
const file = join(tmpdir(), 'log-analyzer-bench', 'combined-2000000.log');
if (!existsSync(file)) throw new Error(`${file} is missing: run node bench/run.mjs once (it generates it)`);

// Printed at exit by the scanned process itself: its CPU time, workers' threads included.
const preload = `data:text/javascript,process.on('exit',()=>{const u=process.cpuUsage();process.stderr.write('CPU '+((u.user+u.system)/1e6)+'\\n')})`;
const variants = [
  ...(base ? [{ name: 'base', bin: join(base, 'packages/log-analyzer/bin/log-analyzer.js'), args: [] }] : []),
  { name: 'default', bin: ANALYZER, args: [] },
  { name: '--route-label', bin: ANALYZER, args: ['--route-label'] },
];
const cpu = Object.fromEntries(variants.map((v) => [v.name, []]));
for (let i = 0; i < runs; i++) {
  for (const v of variants) {
    const r = spawnSync(process.execPath, ['--import', preload, v.bin, 'scan', file, ...v.args], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    const m = /CPU ([\d.]+)/.exec(r.stderr);
    if (r.status !== 0 || !m) throw new Error(`${v.name}: ${r.stderr}`);
    cpu[v.name].push(Number(m[1]));
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const reference = median(cpu[variants[0].name]);
for (const v of variants) {
  const m = median(cpu[v.name]);
  console.log(
    `${v.name.padEnd(14)} CPU s median ${m.toFixed(2)}  (${cpu[v.name].map((x) => x.toFixed(2)).join(', ')})  ` +
      `vs ${variants[0].name} ${(m / reference).toFixed(3)}  lines/CPU s ${Math.round(2_000_000 / m)}`,
  );
}
