// `node bench/formats.mjs [--quick]` (also part of `pnpm bench`): scan lines/s per log format
// (nginx main, a custom nginx log_format with upstream lists, JSON access lines) against mtail
// running an equivalent program on the same file in the same run (bench/*.mtail), and the JSON
// scanner's lines/s on one thread (CPU time). Medians of 3; wall and CPU seconds both reported.

import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANALYZER, median, NOISE_MAKER, ROOT } from './lib.mjs';

const CUSTOM =
  '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $upstream_status $upstream_response_time';
const DATA = join(tmpdir(), 'log-analyzer-bench');

/** Wall and CPU (user + sys, children included) seconds of one command, through bash's `time`. */
function timed(command, args) {
  const quoted = [command, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const out = spawnSync('bash', ['-c', `TIMEFORMAT='%R %U %S'; time ${quoted} >/dev/null 2>&1`], { encoding: 'utf8' });
  const [wall, user, sys] = out.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  return { wall, cpu: user + sys };
}

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

export async function formatsBench(quick) {
  mkdirSync(DATA, { recursive: true });
  const lines = quick ? 200_000 : 2_000_000;
  const hasMtail = spawnSync('sh', ['-c', 'command -v mtail']).status === 0;
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
  const rows = [];
  for (const c of cases) {
    const ours = [];
    const theirs = [];
    for (let i = 0; i < 3; i++) {
      ours.push(timed(process.execPath, [ANALYZER, 'scan', ...c.args, c.file]));
      if (hasMtail && c.mtail) {
        theirs.push(
          timed('mtail', [
            '--one_shot',
            '--one_shot_format',
            'prometheus',
            '--progs',
            join(ROOT, 'bench', c.mtail),
            '--logs',
            c.file,
          ]),
        );
      }
    }
    const wall = median(ours.map((r) => r.wall));
    const cpu = median(ours.map((r) => r.cpu));
    const mtailWall = theirs.length ? median(theirs.map((r) => r.wall)) : null;
    const mtailCpu = theirs.length ? median(theirs.map((r) => r.cpu)) : null;
    rows.push({
      format: c.name,
      lines,
      linesPerSecond: Math.round(lines / wall),
      linesPerCpuSecond: Math.round(lines / cpu),
      mtailLinesPerSecond: mtailWall ? Math.round(lines / mtailWall) : null,
      speedupOverMtail: mtailWall ? Number((mtailWall / wall).toFixed(1)) : null,
      cpuSpeedupOverMtail: mtailCpu ? Number((mtailCpu / cpu).toFixed(1)) : null,
    });
    console.error(`bench: format ${c.name}: ${rows.at(-1).linesPerSecond} lines/s`);
  }
  const jsonPerThread = await jsonThreadRate(cases[2].file);
  return { rows, jsonLinesPerCpuSecondOneThread: jsonPerThread };
}

export function formatsTable(result) {
  const pad = (v, n) => String(v ?? '–').padStart(n);
  const out = ['formats (scan, median of 3)    lines/s  lines/CPU-s  mtail lines/s  vs mtail (wall)  vs mtail (CPU)'];
  for (const r of result.rows) {
    out.push(
      `${r.format.padEnd(28)} ${pad(r.linesPerSecond.toLocaleString('en'), 10)} ${pad(r.linesPerCpuSecond.toLocaleString('en'), 12)} ${pad(r.mtailLinesPerSecond?.toLocaleString('en'), 14)} ${pad(r.speedupOverMtail ? `${r.speedupOverMtail}×` : null, 16)} ${pad(r.cpuSpeedupOverMtail ? `${r.cpuSpeedupOverMtail}×` : null, 15)}`,
    );
  }
  out.push(
    `JSON scanner on one thread: ${result.jsonLinesPerCpuSecondOneThread.toLocaleString('en')} lines per CPU second`,
  );
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await formatsBench(process.argv.includes('--quick'));
  console.log(formatsTable(result));
}
