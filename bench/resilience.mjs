// What staying up costs and what it withstands: idle CPU with many followed files, many
// concurrent scrapers, slow connections under a low descriptor limit, and the checkpoint's own cost.
// Benchmarks, not tests: they report; the targets are in docs/benchmarks.md.

import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mb, peakRss, quantile, scrape, sleep, startAnalyzer, sumMetric } from './lib.mjs';

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

async function waitForCount(url, metric, want, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await scrape(url);
    if (sumMetric(text, metric) >= want) return text;
    if (Date.now() > deadline) throw new Error(`${metric} did not reach ${want}`);
    await sleep(200);
  }
}

const line = (i) => `10.0.0.1 - - [01/Jan/2026:00:00:00 +0000] "GET /${i} HTTP/1.1" 200 100 "-" "bench"\n`;

/** CPU of the analyzer over `seconds` while `files` followed files get no writes, as % of one core. */
export async function idleCost(files, seconds) {
  const dir = mkdtempSync(join(tmpdir(), 'idle-'));
  for (let i = 0; i < files; i++) writeFileSync(join(dir, `f${i}.log`), line(i));
  const analyzer = await startAnalyzer([
    '--watch',
    join(dir, '*.log'),
    '--from',
    'beginning',
    '--max-files',
    String(files),
  ]);
  try {
    await waitForCount(analyzer.url, 'log_lines_total', files);
    // Issue 23's measure: 15 s without writes (past the 10 s after which quiet files are polled
    // as a safety net only), then the CPU over `seconds`.
    await sleep(15_000);
    const before = cpuSeconds(analyzer.child.pid);
    await sleep(seconds * 1000);
    const used = cpuSeconds(analyzer.child.pid) - before;
    return { files, seconds, cpuPercentOfOneCore: Number(((used / seconds) * 100).toFixed(1)) };
  } finally {
    analyzer.child.kill('SIGTERM');
    await analyzer.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE', 'BREW'];

/** A directory whose files make about `series` series (files × methods × statuses, requests and bytes). */
function seriesDir(series) {
  const dir = mkdtempSync(join(tmpdir(), 'series-'));
  const statuses = Array.from({ length: 100 }, (_, i) => 100 + i * 5);
  const files = Math.ceil(series / (2 * METHODS.length * statuses.length));
  let lines = 0;
  for (let f = 0; f < files; f++) {
    let text = '';
    for (const m of METHODS) {
      for (const s of statuses) {
        text += `10.0.0.${f % 250} - - [01/Jan/2026:00:00:00 +0000] "${m} /x HTTP/1.1" ${s} 100 "-" "bench"\n`;
        lines++;
      }
    }
    writeFileSync(join(dir, `site-${f}.log`), text);
  }
  return { dir, files, lines };
}

/** `clients` scrapers at once, `rounds` times, against ~`series` series: latency of every scrape. */
export async function concurrentScrapes(series, clients, rounds) {
  const { dir, files, lines } = seriesDir(series);
  const analyzer = await startAnalyzer([
    '--watch',
    join(dir, '*.log'),
    '--from',
    'beginning',
    '--max-files',
    String(files + 1),
  ]);
  try {
    const text = await waitForCount(analyzer.url, 'log_lines_total', lines);
    const total = text.split('\n').filter((l) => l && !l.startsWith('#')).length;
    const single = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      await scrape(analyzer.url);
      single.push(performance.now() - t);
    }
    // As Prometheus asks (gzip), each scraper on its own connection, timed to the last byte. The
    // bodies are not decompressed here: 200 real scrapers do that in 200 processes, not in this one.
    const agent = new Agent({ keepAlive: false, maxSockets: clients });
    const scrapeRaw = () =>
      new Promise((resolve, reject) => {
        const t = performance.now();
        get(analyzer.url, { agent, headers: { 'Accept-Encoding': 'gzip', Accept: 'text/plain' } }, (res) => {
          res.on('data', () => {});
          res.on('end', () => resolve(performance.now() - t));
        }).on('error', reject);
      });
    const times = [];
    for (let r = 0; r < rounds; r++) {
      times.push(...(await Promise.all(Array.from({ length: clients }, scrapeRaw))));
    }
    agent.destroy();
    return {
      series: total,
      clients,
      scrapes: times.length,
      singleMedianMs: Number(quantile(single, 0.5).toFixed(1)),
      medianMs: Number(quantile(times, 0.5).toFixed(1)),
      p99Ms: Number(quantile(times, 0.99).toFixed(1)),
      maxMs: Number(Math.max(...times).toFixed(1)),
    };
  } finally {
    analyzer.child.kill('SIGTERM');
    await analyzer.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `count` slow connections (one header byte per second) against an analyzer under
 * `ulimit -n limit`, while lines are written: do scrapes still answer, is every line counted?
 */
export async function slowClients(count, limit, seconds) {
  const dir = mkdtempSync(join(tmpdir(), 'slow-'));
  const file = join(dir, 'access.log');
  writeFileSync(file, '');
  const analyzer = await startAnalyzer(['--watch', file, '--from', 'beginning'], { shell: `ulimit -n ${limit};` });
  const { port } = new URL(analyzer.url);
  const sockets = [];
  let written = 0;
  try {
    for (let i = 0; i < count; i++) {
      const socket = connect(Number(port), '127.0.0.1');
      socket.on('error', () => {});
      sockets.push(socket);
    }
    const request = 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ';
    let byte = 0;
    const dribble = setInterval(() => {
      for (const s of sockets) if (!s.destroyed) s.write(request[byte % request.length]);
      byte++;
    }, 1000);
    const scrapes = [];
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline) {
      let text = '';
      for (let i = 0; i < 100; i++) text += line(written++);
      appendFileSync(file, text);
      const t = performance.now();
      try {
        await fetch(analyzer.url, { signal: AbortSignal.timeout(2000) }).then((r) => r.text());
        scrapes.push(performance.now() - t);
      } catch {
        scrapes.push(Number.POSITIVE_INFINITY);
      }
      await sleep(250);
    }
    clearInterval(dribble);
    const text = await waitForCount(analyzer.url, 'log_lines_total', written, 30_000).catch(() => scrape(analyzer.url));
    const answered = scrapes.filter(Number.isFinite);
    return {
      connections: count,
      ulimit: limit,
      seconds,
      scrapes: scrapes.length,
      scrapesAnswered: answered.length,
      scrapeP99Ms: Number(quantile(answered, 0.99).toFixed(1)),
      written,
      counted: sumMetric(text, 'log_lines_total'),
      evicted: sumMetric(text, 'log_analyzer_http_connections_evicted_total'),
      watchErrors: sumMetric(text, 'log_analyzer_errors_total'),
    };
  } finally {
    for (const s of sockets) s.destroy();
    analyzer.child.kill('SIGTERM');
    await analyzer.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The checkpoint's cost with ~`series` series changing every second: time per write, size, and
 * process CPU with the checkpoint and, under the same load, without one (--no-positions): the
 * difference is what writing checkpoints costs.
 */
export async function checkpointCost(series, seconds) {
  const withFile = await checkpointRun(series, seconds, true);
  const without = await checkpointRun(series, seconds, false);
  return {
    ...withFile,
    processCpuWithoutPercent: without.processCpuPercent,
    checkpointCpuPercent: Number((withFile.processCpuPercent - without.processCpuPercent).toFixed(1)),
  };
}

async function checkpointRun(series, seconds, withFile) {
  const { dir, files, lines } = seriesDir(series);
  const state = mkdtempSync(join(tmpdir(), 'checkpoint-'));
  const analyzer = await startAnalyzer(
    [
      '--watch',
      join(dir, '*.log'),
      '--from',
      'beginning',
      '--max-files',
      String(files + 1),
      ...(withFile ? ['--positions', join(state, 'c.json')] : []),
    ],
    { positions: withFile },
  );
  try {
    let text = await waitForCount(analyzer.url, 'log_lines_total', lines);
    const count0 = sumMetric(text, 'log_analyzer_checkpoint_duration_seconds_count');
    const sum0 = sumMetric(text, 'log_analyzer_checkpoint_duration_seconds_sum');
    const cpu0 = cpuSeconds(analyzer.child.pid);
    const deadline = Date.now() + seconds * 1000;
    let f = 0;
    while (Date.now() < deadline) {
      // Keep the values moving, so every checkpoint has something to write.
      appendFileSync(join(dir, `site-${f++ % files}.log`), line(f));
      await sleep(100);
    }
    text = await scrape(analyzer.url);
    const writes = sumMetric(text, 'log_analyzer_checkpoint_duration_seconds_count') - count0;
    const busy = sumMetric(text, 'log_analyzer_checkpoint_duration_seconds_sum') - sum0;
    const cpu = cpuSeconds(analyzer.child.pid) - cpu0;
    const total = text.split('\n').filter((l) => l && !l.startsWith('#')).length;
    return {
      series: total,
      seconds,
      writes,
      meanWriteMs: Number(((busy / Math.max(1, writes)) * 1000).toFixed(1)),
      checkpointSharePercent: Number(((busy / seconds) * 100).toFixed(1)),
      processCpuPercent: Number(((cpu / seconds) * 100).toFixed(1)),
      checkpointMB: withFile ? Number((readFileSync(join(state, 'c.json')).length / 2 ** 20).toFixed(1)) : 0,
    };
  } finally {
    analyzer.child.kill('SIGTERM');
    await analyzer.exited;
    rmSync(dir, { recursive: true, force: true });
    rmSync(state, { recursive: true, force: true });
  }
}

/** Start-up with `files` files to discover: time to the first /health answer and to discovery done. */
export async function startup(files) {
  const dir = mkdtempSync(join(tmpdir(), 'startup-'));
  for (let i = 0; i < files; i++) writeFileSync(join(dir, `f${i}.log`), line(i));
  const started = performance.now();
  const analyzer = await startAnalyzer(['--watch', join(dir, '*.log'), '--max-files', String(files)]);
  try {
    const base = analyzer.url.replace(/\/metrics$/, '');
    let healthMs = null;
    let doneMs = null;
    let progress = null;
    while (doneMs === null && performance.now() - started < 300_000) {
      const health = await fetch(`${base}/health`).catch(() => null);
      if (health?.ok && healthMs === null) healthMs = performance.now() - started;
      const status = await fetch(`${base}/api/status`)
        .then((r) => r.json())
        .catch(() => null);
      if (status?.discovery?.done) doneMs = performance.now() - started;
      progress = status?.discovery ?? progress;
      await sleep(50);
    }
    return {
      files,
      healthMs: Math.round(healthMs),
      discoveryDoneMs: Math.round(doneMs),
      discovered: progress?.files,
      peakRssMB: Number(mb(peakRss(analyzer.child.pid))),
    };
  } finally {
    analyzer.child.kill('SIGTERM');
    await analyzer.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `files` date-named files created, written and deleted one after another (a few alive at a
 * time), with a short --forget-after: RSS after each tenth of them. Flat means bounded.
 */
export async function churn(files) {
  const dir = mkdtempSync(join(tmpdir(), 'churn-'));
  const analyzer = await startAnalyzer([
    '--watch',
    join(dir, '*.log'),
    '--forget-after',
    '2s',
    '--poll-interval',
    '100',
  ]);
  const rss = [];
  try {
    const alive = [];
    for (let i = 0; i < files; i++) {
      const file = join(dir, `app-${String(i).padStart(7, '0')}.log`);
      writeFileSync(file, line(i));
      alive.push(file);
      if (alive.length > 20) rmSync(alive.shift());
      if (i % 200 === 0) await sleep(10); // let the analyzer see them
      if ((i + 1) % (files / 10) === 0) rss.push(Number(mb(currentRss(analyzer.child.pid))));
    }
    await sleep(3000);
    const text = await scrape(analyzer.url);
    return {
      files,
      rssMB: rss,
      seriesLeft: text.split('\n').filter((l) => l.startsWith('log_lines_total{')).length,
    };
  } finally {
    analyzer.child.kill('SIGTERM');
    await analyzer.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Resident memory now (VmRSS), in bytes. */
function currentRss(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

// Run alone: node bench/resilience.mjs [idle|scrapers|slow|checkpoint|startup|churn]
if (process.argv[1] === import.meta.filename) {
  const which = process.argv[2] ?? 'all';
  if (which === 'all' || which === 'idle') console.log(await idleCost(1000, 20), await idleCost(10_000, 20));
  if (which === 'all' || which === 'scrapers') console.log(await concurrentScrapes(10_000, 200, 5));
  if (which === 'all' || which === 'slow') console.log(await slowClients(1100, 1024, 20));
  if (which === 'all' || which === 'checkpoint') console.log(await checkpointCost(100_000, 20));
  if (which === 'all' || which === 'startup') console.log(await startup(50_000));
  if (which === 'all' || which === 'churn') console.log(await churn(100_000));
}
