// Queue drain benchmark: noise-maker preloads a Redis list with `count` mixed messages over 10,000
// series, then the analyzer starts and drains it; the time from its start line to the last message
// counted, with the totals checked exactly against what noise-maker says it sent, and the peak RSS
// (also with a tenth of the queue: memory must not grow with the queue's length). The reference,
// on the same redis-server: redis-benchmark -t lpush,rpop -P 64 (its RPOP figure, the rate at
// which one client can pop at all). Run alone: node bench/queue.mjs [count] [repeats]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, mb, median, mismatchesOf, NOISE_MAKER, peakRss, sleep, start, startAnalyzer } from './lib.mjs';

const SERIES = 10_000;
const KEY = 'prom-stream-gateway:metric-queue';

async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'queue-bench-'));
  const redis = start(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    {
      stdout: 'pipe',
    },
  );
  await new Promise((resolve, reject) => {
    let out = '';
    redis.child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('Ready to accept connections')) resolve();
    });
    redis.exited.then(() => reject(new Error(`redis-server exited: ${redis.stderr}${out}`)));
  });
  const cli = (...args) => spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).stdout.trim();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    cli,
    async stop() {
      redis.child.kill('SIGTERM');
      await redis.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** redis-benchmark's RPOP rate, pipelined 64 deep: what one client can pop from this server at all. */
function redisBenchmark(port) {
  const run = spawnSync(
    'redis-benchmark',
    ['-p', String(port), '-t', 'lpush,rpop', '-P', '64', '-n', '2000000', '-q'],
    {
      encoding: 'utf8',
    },
  );
  const m = /RPOP:\s+([\d.]+) requests per second/.exec(run.stdout.replace(/\r/g, '\n'));
  return m ? Number(m[1]) : 0;
}

/** Preloads `count` messages with noise-maker; its summary (what it sent, family by family). */
function preload(redis, count, seed) {
  redis.cli('DEL', KEY);
  const run = spawnSync(
    process.execPath,
    [
      NOISE_MAKER,
      'push',
      '--redis-url',
      redis.url,
      '--rate',
      'max',
      '--count',
      String(count),
      '--series',
      String(SERIES),
      '--seed',
      String(seed),
      '--connections',
      '8',
      '--quiet',
    ],
    { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  );
  if (run.status !== 0) throw new Error(`noise-maker push failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** Starts the analyzer on a full queue; times the drain to the last message counted. */
async function drain(redis, count, seed, extra = []) {
  const sent = preload(redis, count, seed);
  const dir = mkdtempSync(join(tmpdir(), 'queue-bench-'));
  const started = performance.now();
  const analyzer = await startAnalyzer(
    ['--redis-url', redis.url, '--positions', join(dir, 'checkpoint.json'), ...extra],
    {
      positions: true,
    },
  );
  // A scrape takes a checkpoint: look at the queue's length until it is empty, then scrape.
  while (redis.cli('LLEN', KEY) !== '0') await sleep(20);
  // Done when /metrics shows every message (its families come from the last checkpoint, which may
  // trail the live self metrics by one interval).
  let text = '';
  let mismatches = [];
  const deadline = performance.now() + 60_000;
  do {
    text = await (await fetch(analyzer.url)).text();
    mismatches = mismatchesOf(text, sent.families);
    if (mismatches.length > 0) await sleep(5);
  } while (mismatches.length > 0 && performance.now() < deadline);
  const seconds = (performance.now() - started) / 1000;
  const rss = peakRss(analyzer.child.pid);
  analyzer.child.kill('SIGTERM');
  await analyzer.exited;
  rmSync(dir, { recursive: true, force: true });
  return {
    messagesPerSecond: Math.round(count / seconds),
    seconds,
    peakRssMB: Number(mb(rss)),
    exact: mismatches.length === 0,
    mismatches,
  };
}

export async function queueBench(count, repeats) {
  const redis = await startRedis();
  try {
    const reference = [];
    const runs = [];
    const batches = [];
    for (let i = 0; i < repeats; i++) {
      reference.push(redisBenchmark(redis.port));
      runs.push(await drain(redis, count, i + 1));
      batches.push(await drain(redis, count, i + 1, ['--redis-batch', '5000']));
    }
    // Memory with a tenth of the queue: flat in the queue's length means about the same.
    const small = await drain(redis, Math.round(count / 10), 99);
    const rate = median(runs.map((r) => r.messagesPerSecond));
    const rpop = median(reference);
    return {
      messages: count,
      series: SERIES,
      messagesPerSecond: rate,
      batch5000MessagesPerSecond: median(batches.map((r) => r.messagesPerSecond)),
      redisBenchmarkRpopPerSecond: rpop,
      vsRedisBenchmark: Number((rate / rpop).toFixed(2)),
      peakRssMB: median(runs.map((r) => r.peakRssMB)),
      peakRssTenthMB: small.peakRssMB,
      exact: [...runs, ...batches, small].every((r) => r.exact),
      mismatches: [...runs, ...batches, small].flatMap((r) => r.mismatches),
    };
  } finally {
    await redis.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const count = Number(process.argv[2] ?? 2_000_000);
  const repeats = Number(process.argv[3] ?? 3);
  console.log(JSON.stringify(await queueBench(count, repeats), null, 2));
}
