// `node bench/formats.mjs [--quick] [--lines N] [--runs N]` (also part of `pnpm bench`): what a user
// sees, lines/s of `log-analyzer scan` (its parse threads on every core) per log format (nginx main,
// a custom nginx log_format with upstream lists, JSON access lines), beside `mtail --one_shot`
// running an equivalent program (bench/*.mtail) on the same file in the same run. Wall and CPU
// seconds of both, runs interleaved (ours, mtail, ours, ...), medians; files of 5M lines (quick:
// 200k) generated once and reused, so start-up is amortised. BENCH_BEFORE=path/to/log-analyzer.js
// adds an older build's rows, interleaved too: before/after from one run. Also the JSON scanner's
// lines per CPU second on one thread.

import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANALYZER, median, NOISE_MAKER, ROOT, wallAndCpu } from './lib.mjs';

const CUSTOM =
  '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $upstream_status $upstream_response_time';
const DATA = join(tmpdir(), 'log-analyzer-bench');

function noiseFile(name, format, lines) {
  const file = join(DATA, `${name}-${lines}.log`);
  if (!existsSync(file)) {
    execFileSync(process.execPath, [
      NOISE_MAKER,
      '--rate',
      'max',
      '--count',
      String(lines),
      '--seed',
      '1',
      '--format',
      format,
      '--start-time',
      '2026-01-01T00:00:00Z',
      '--output',
      file,
    ]);
  }
  return file;
}

/** Caddy-shaped JSON access lines, deterministic (noise-maker writes Apache and nginx lines). */
function jsonFile(lines) {
  const file = join(DATA, `json-caddy-${lines}.log`);
  if (existsSync(file)) return file;
  const methods = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE', 'HEAD'];
  const statuses = [200, 200, 200, 200, 304, 404, 500, 201];
  let seed = 1;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  const fd = openSync(`${file}.tmp`, 'w');
  let out = [];
  for (let i = 0; i < lines; i++) {
    if (out.length === 100_000) {
      writeSync(fd, `${out.join('\n')}\n`);
      out = [];
    }
    const method = methods[next() % methods.length];
    const status = statuses[next() % statuses.length];
    out.push(
      `{"level":"info","ts":${1767225600 + i / 1000},"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"10.0.${next() % 256}.${next() % 256}","proto":"HTTP/2.0","method":"${method}","host":"example.com","uri":"/api/v1/items/${next() % 100000}","headers":{"User-Agent":["Mozilla/5.0 (X11; Linux x86_64)"],"Accept":["*/*"]}},"bytes_read":0,"user_id":"","size":${next() % 50000},"status":${status},"duration":${((next() % 200000) / 1e6).toFixed(6)}}`,
    );
  }
  writeSync(fd, `${out.join('\n')}\n`);
  closeSync(fd);
  renameSync(`${file}.tmp`, file);
  return file;
}

/** The JSON parser alone on one thread: lines per CPU second, over the file's bytes in 1 MiB chunks. */
async function jsonThreadRate(file) {
  const { compileAnyFormat } = await import(join(ROOT, 'packages/log-analyzer/dist/transforms/log/formats.js'));
  const { ChunkSummarizer } = await import(join(ROOT, 'packages/log-analyzer/dist/transforms/log/summarize-chunk.js'));
  const bytes = readFileSync(file);
  const chunks = [];
  for (let at = 0; at < bytes.length; ) {
    let end = Math.min(bytes.length, at + 1024 * 1024);
    if (end < bytes.length) end = bytes.lastIndexOf(0x0a, end) + 1;
    chunks.push(new Uint8Array(bytes.subarray(at, end)));
    at = end;
  }
  const summarizer = new ChunkSummarizer(compileAnyFormat('json_caddy').parse, 65536);
  const rates = [];
  for (let run = 0; run < 3; run++) {
    const before = process.cpuUsage();
    let lines = 0;
    for (const chunk of chunks) lines += summarizer.summarize(chunk).lines;
    const cpu = process.cpuUsage(before);
    rates.push(lines / ((cpu.user + cpu.system) / 1e6));
  }
  return Math.round(median(rates));
}

/** Lines per run: large enough that Node's start (~0.3 CPU s) is a small share; `--lines` overrides. */
const LINES = { quick: 200_000, full: 5_000_000 };

export async function formatsBench(quick, { lines = quick ? LINES.quick : LINES.full, runs = 3 } = {}) {
  mkdirSync(DATA, { recursive: true });
  const hasMtail = spawnSync('sh', ['-c', 'command -v mtail']).status === 0;
  const before = process.env.BENCH_BEFORE ?? null;
  const cases = [
    {
      name: 'nginx_main',
      file: noiseFile('nginx-main', 'nginx_main', lines),
      args: ['--format', 'nginx_main'],
      mtail: 'nginx_main.mtail',
    },
    {
      name: 'nginx custom (upstream)',
      file: noiseFile('nginx-custom', CUSTOM, lines),
      args: ['--format', CUSTOM],
      mtail: null,
    },
    { name: 'json_caddy', file: jsonFile(lines), args: ['--format', 'json_caddy'], mtail: 'json_access.mtail' },
  ];
  const times = cases.map(() => ({ ours: [], before: [], mtail: [] }));
  // Interleaved: each run takes every case and every tool in turn, so a burst of load from the
  // neighbours falls on all of them rather than on one tool's three runs.
  for (let run = 0; run < runs; run++) {
    for (const [k, c] of cases.entries()) {
      const t = times[k];
      t.ours.push(wallAndCpu(process.execPath, [ANALYZER, 'scan', ...c.args, c.file]));
      if (before) t.before.push(wallAndCpu(process.execPath, [before, 'scan', ...c.args, c.file]));
      if (hasMtail && c.mtail) {
        // --port 0: mtail binds its HTTP port even in one-shot mode, and another may run beside it.
        const progs = ['--progs', join(ROOT, 'bench', c.mtail), '--logs', c.file];
        t.mtail.push(wallAndCpu('mtail', ['--one_shot', '--one_shot_format', 'prometheus', '--port', '0', ...progs]));
      }
    }
  }
  const rate = (samples, key) => (samples.length ? Math.round(lines / median(samples.map((r) => r[key]))) : null);
  const ratio = (a, b) => (a && b ? Number((a / b).toFixed(1)) : null);
  const rows = cases.map((c, k) => {
    const t = times[k];
    const row = {
      format: c.name,
      lines,
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
    console.error(`bench: format ${c.name}: ${row.linesPerSecond} lines/s`);
    return row;
  });
  const jsonPerThread = await jsonThreadRate(cases[2].file);
  return { rows, jsonLinesPerCpuSecondOneThread: jsonPerThread };
}

export function formatsTable(result) {
  const pad = (v, n) => String(v ?? '–').padStart(n);
  const n = (v) => v?.toLocaleString('en');
  const x = (v) => (v ? `${v}×` : null);
  const first = result.rows[0];
  const out = [
    `formats (scan, ${n(first?.lines)} lines, median of ${first?.runs})  lines/s  lines/CPU-s  mtail lines/s  mtail lines/CPU-s  vs mtail (wall)  vs mtail (CPU)`,
  ];
  const line = (name, r) =>
    `${name.padEnd(36)} ${pad(n(r.linesPerSecond), 10)} ${pad(n(r.linesPerCpuSecond), 12)} ${pad(n(r.mtailLinesPerSecond), 14)} ${pad(n(r.mtailLinesPerCpuSecond), 18)} ${pad(x(r.speedupOverMtail), 16)} ${pad(x(r.cpuSpeedupOverMtail), 15)}`;
  for (const r of result.rows) {
    out.push(line(r.format, r));
    if (r.before) out.push(line(`  before (BENCH_BEFORE)`, { ...r, ...r.before }));
  }
  out.push(
    `JSON scanner on one thread: ${result.jsonLinesPerCpuSecondOneThread.toLocaleString('en')} lines per CPU second`,
  );
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const option = (name) => {
    const at = process.argv.indexOf(name);
    return at < 0 ? undefined : Number(process.argv[at + 1]);
  };
  const result = await formatsBench(process.argv.includes('--quick'), {
    lines: option('--lines'),
    runs: option('--runs'),
  });
  console.log(formatsTable(result));
}
