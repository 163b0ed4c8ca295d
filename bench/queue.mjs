// Queue drain benchmark: noise-maker preloads a Redis list with `count` mixed messages over 10,000
// series, then the analyzer starts and drains it; the time from its start line to the last message
// counted, with the totals checked exactly against what noise-maker says it sent, the peak RSS
// (also with a tenth of the queue: memory must not grow with the queue's length), and the CPU the
// drain cost per message: the analyzer's (all threads; its main thread alone) and redis-server's.
// The reference, on the same redis-server in the same run: redis-benchmark -t lpush,rpop -P 64
// (its RPOP figure, the rate at which one client can pop at all). The queue's length is watched
// on one connection of our own (not a redis-cli per look: that would take a core's share from
// the drain it measures). Run alone: node bench/queue.mjs [count] [repeats]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, mb, median, mismatchesOf, NOISE_MAKER, peakRss, ROOT, sleep, start, startAnalyzer } from './lib.mjs';

const { createClient } = createRequire(join(ROOT, 'packages/log-analyzer/package.json'))('@redis/client');

const SERIES = 10_000;

/** CPU seconds (user + system) of a process, or of one of its threads (`pid/task/tid`). */
function cpuSeconds(path) {
  const fields = readFileSync(`/proc/${path}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
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
  const client = createClient({ url: `redis://127.0.0.1:${port}` });
  await client.connect();
  return {
    port,
    pid: redis.child.pid,
    url: `redis://127.0.0.1:${port}`,
    cli,
    client,
    async stop() {
      client.destroy();
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

/** Starts the analyzer on a full queue; times the drain to the last message counted, and its CPU. */
async function drain(redis, count, seed, extra = []) {
  const sent = preload(redis, count, seed);
  const dir = mkdtempSync(join(tmpdir(), 'queue-bench-'));
  const redisCpu = cpuSeconds(redis.pid);
  const started = performance.now();
  const analyzer = await startAnalyzer(
    ['--redis-url', redis.url, '--positions', join(dir, 'checkpoint.json'), ...extra],
    {
      positions: true,
    },
  );
  const pid = analyzer.child.pid;
  const startCpu = { all: cpuSeconds(pid), main: cpuSeconds(`${pid}/task/${pid}`) };
  // A scrape takes a checkpoint: look at the queue's length until it is empty, then scrape.
  while ((await redis.client.lLen(KEY)) !== 0) await sleep(20);
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
  const perMessage = (cpu) => Number(((cpu * 1e6) / count).toFixed(2));
  const cpu = {
    analyzerUs: perMessage(cpuSeconds(pid) - startCpu.all),
    mainThreadUs: perMessage(cpuSeconds(`${pid}/task/${pid}`) - startCpu.main),
    redisUs: perMessage(cpuSeconds(redis.pid) - redisCpu),
  };
  const rss = peakRss(pid);
  analyzer.child.kill('SIGTERM');
  await analyzer.exited;
  rmSync(dir, { recursive: true, force: true });
  return {
    messagesPerSecond: Math.round(count / seconds),
    seconds,
    peakRssMB: Number(mb(rss)),
    cpu,
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
      // CPU per message, from the analyzer's start to the last message counted (medians).
      cpuPerMessageUs: {
        analyzer: median(runs.map((r) => r.cpu.analyzerUs)),
        analyzerMainThread: median(runs.map((r) => r.cpu.mainThreadUs)),
        redis: median(runs.map((r) => r.cpu.redisUs)),
      },
      runs: runs.map((r) => r.messagesPerSecond),
      references: reference,
      peakRssTenthMB: small.peakRssMB,
      exact: [...runs, ...batches, small].every((r) => r.exact),
      mismatches: [...runs, ...batches, small].flatMap((r) => r.mismatches),
    };
  } finally {
    await redis.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const count = Number(process.argv[2] ?? 1_000_000);
  const repeats = Number(process.argv[3] ?? 3);
  console.log(JSON.stringify(await queueBench(count, repeats), null, 2));
}
