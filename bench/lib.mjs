// Shared by the benchmark scripts: processes, peak memory, and reading the analyzer's counters.

import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..');
export const ANALYZER = join(ROOT, 'packages/log-analyzer/bin/log-analyzer.js');
export const NOISE_MAKER = join(ROOT, 'packages/noise-maker/bin/noise-maker.js');

/** Peak resident memory of a live process, in bytes (VmHWM), or 0 once it is gone. */
export function peakRss(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Starts a process; `exited` resolves with its code, `stderr` accumulates. */
export function start(command, args, options = {}) {
  const child = spawn(command, args, { stdio: ['ignore', options.stdout ?? 'ignore', 'pipe'], ...options });
  const proc = { child, stderr: '' };
  child.stderr.on('data', (d) => {
    proc.stderr += d;
  });
  proc.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  return proc;
}

/**
 * Starts `log-analyzer serve` and resolves once it listens, with its metrics URL. No checkpoint
 * unless `positions`; `nodeArgs` go to node (e.g. --cpu-prof), `bin` is another build's entry (A/B runs); `shell` runs it through `sh -c` after that prefix (e.g. `ulimit -n 1024;`).
 */
export async function startAnalyzer(args, { positions = false, shell = null, nodeArgs = [], bin = ANALYZER } = {}) {
  const argv = [
    ...nodeArgs,
    bin,
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    ...(positions ? [] : ['--no-positions']),
    ...args,
  ];
  const proc = shell
    ? start('sh', ['-c', `${shell} exec "$0" "$@"`, process.execPath, ...argv])
    : start(process.execPath, argv);
  proc.url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`analyzer did not start: ${proc.stderr}`)), 30_000);
    proc.child.stderr.on('data', () => {
      const m = /metrics on (http:\/\/[^\s"]+)/.exec(proc.stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.exited.then(() => reject(new Error(`analyzer exited: ${proc.stderr}`)));
  });
  return proc;
}

/** Sum of a metric's samples in Prometheus text. */
export function sumMetric(text, name) {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/**
 * Where a scrape differs from what noise-maker push says it sent (its `families` totals): per
 * family, samples and sum (histograms and summaries: their _count and _sum). Empty when exact.
 */
export function mismatchesOf(text, sent) {
  const mismatches = [];
  for (const [name, t] of Object.entries(sent)) {
    const counted =
      t.type === 'histogram' || t.type === 'summary'
        ? [sumMetric(text, `${name}_count`), sumMetric(text, `${name}_sum`)]
        : [t.samples, sumMetric(text, name)];
    if (counted[0] !== t.samples || Math.abs(counted[1] - t.sum) > 1e-6 * Math.max(1, Math.abs(t.sum))) {
      mismatches.push(`${name}: sent ${t.samples}/${t.sum}, counted ${counted.join('/')}`);
    }
  }
  return mismatches;
}

export async function scrape(url) {
  return (await fetch(url)).text();
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export const mb = (bytes) => (bytes / 1024 / 1024).toFixed(0);

/** Runs a command to completion; wall seconds and peak RSS (VmHWM polled every 10 ms). */
export async function runMeasured(command, args) {
  const started = performance.now();
  const proc = start(command, args);
  let peak = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, peakRss(proc.child.pid));
  }, 10);
  const code = await proc.exited;
  clearInterval(timer);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${code}): ${proc.stderr}`);
  return { seconds, peakRss: peak };
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * One run of a command to its exit, as a user sees it and as the machine paid for it: wall seconds
 * and CPU seconds (user + system of the process, its threads and children, from getrusage). Throws
 * with the command's stderr when it fails, so a tool that did not run never looks fast.
 */
export function wallAndCpu(command, args) {
  const probe =
    'import resource, subprocess, sys, time\n' +
    't = time.monotonic()\n' +
    'r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n' +
    'wall = time.monotonic() - t\n' +
    'if r.returncode: sys.exit(r.stderr.decode()[-500:])\n' +
    'u = resource.getrusage(resource.RUSAGE_CHILDREN)\n' +
    'print(wall, u.ru_utime + u.ru_stime)';
  const [wall, cpu] = execFileSync('python3', ['-c', probe, command, ...args], { encoding: 'utf8' })
    .trim()
    .split(' ')
    .map(Number);
  return { wall, cpu };
}
