// Live-follow and scrape benchmarks: the analyzer serving files that another process writes.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  mb,
  NOISE_MAKER,
  peakRss,
  quantile,
  scrape,
  sleep,
  start,
  startAnalyzer,
  sumMetric,
} from './lib.mjs';

const POLL_MS = 50;

/**
 * noise-maker writes at `rate` for `seconds` into a file the analyzer follows. Both are polled
 * every 50 ms; a line's lag is the time from the first poll that saw it written to the first
 * poll that saw it counted (so lags are measured to ±50 ms).
 */
export async function liveFollow(rate, seconds) {
  const dir = mkdtempSync(join(tmpdir(), 'live-'));
  const statsPort = await freePort();
  const analyzer = await startAnalyzer(['--watch', join(dir, '*.log'), '--from', 'beginning']);
  const writer = start(process.execPath, [
    NOISE_MAKER,
    '--rate',
    String(rate),
    '--duration',
    `${seconds}s`,
    '--output',
    join(dir, 'access.log'),
    '--stats-port',
    String(statsPort),
    '--stats-host',
    '127.0.0.1',
    '--quiet',
  ]);
  let writerDone = false;
  writer.exited.then(() => {
    writerDone = true;
  });
  const written = []; // [time, lines written]
  const lags = [];
  let peak = 0;
  let counted = 0;
  let final = null; // lines noise-maker wrote in all, from its summary line once it exits
  let countedAtEnd = null;
  let lastWritten = 0;
  const began = performance.now();
  try {
    for (;;) {
      const now = performance.now();
      if (!writerDone) {
        try {
          const w = sumMetric(await scrape(`http://127.0.0.1:${statsPort}/metrics`), 'noise_maker_lines_written_total');
          if (w > lastWritten) written.push([now, w]);
          lastWritten = w;
        } catch {} // not listening yet, or gone
      }
      const metrics = await scrape(analyzer.url);
      const c = sumMetric(metrics, 'log_lines_total');
      const t = performance.now();
      if (c > counted) {
        const firstSeen = written.find(([, w]) => w >= c);
        if (firstSeen) lags.push(t - firstSeen[0]);
        counted = c;
      }
      peak = Math.max(peak, peakRss(analyzer.child.pid));
      if (writerDone && final === null) {
        final = Number(/wrote (\d+) lines/.exec(writer.stderr)?.[1] ?? lastWritten);
        countedAtEnd = c;
        written.push([t, final]); // the last lines' write time is at most now
      }
      if (final !== null && (c >= final || t - began > (seconds + 15) * 1000)) break;
      await sleep(POLL_MS);
    }
    const elapsed = seconds;
    return {
      rate,
      seconds,
      written: final,
      counted,
      writtenPerSecond: Math.round(final / elapsed),
      countedPerSecond: Math.round(Math.min(counted, final) / elapsed),
      // How far behind the analyzer was when the writer stopped (1 = not at all).
      countedShare: Number(((countedAtEnd ?? 0) / Math.max(final, 1)).toFixed(3)),
      allCounted: counted === final,
      lagP50Ms: Math.round(quantile(lags, 0.5) ?? 0),
      lagP99Ms: Math.round(quantile(lags, 0.99) ?? 0),
      // Bounded: the lag at the end is no worse than twice the median (it does not keep growing).
      lagBounded:
        lags.length > 0 && counted === final && lags[lags.length - 1] <= Math.max(2 * quantile(lags, 0.5), 500),
      peakRssMB: Number(mb(peak)),
    };
  } finally {
    writer.child.kill('SIGTERM');
    analyzer.child.kill('SIGTERM');
    await Promise.all([writer.exited, analyzer.exited]);
    rmSync(dir, { recursive: true, force: true });
  }
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE', 'BREW'];

/** /metrics latency with about `series` series: files × methods × statuses of requests and bytes. */
export async function scrapeLatency(series, scrapes) {
  const dir = mkdtempSync(join(tmpdir(), 'scrape-'));
  const statuses = Array.from({ length: 50 }, (_, i) => 200 + i * 7);
  const files = Math.ceil(series / (2 * METHODS.length * statuses.length));
  let expected = 0;
  for (let f = 0; f < files; f++) {
    let text = '';
    for (const m of METHODS) {
      for (const s of statuses) {
        text += `10.0.0.${f} - - [01/Jan/2026:00:00:00 +0000] "${m} /x HTTP/1.1" ${s} 100 "-" "bench"\n`;
        expected++;
      }
    }
    writeFileSync(join(dir, `site-${f}.log`), text);
  }
  const analyzer = await startAnalyzer(['--watch', join(dir, '*.log'), '--from', 'beginning']);
  try {
    let text = '';
    for (let i = 0; i < 200 && sumMetric(text, 'log_lines_total') < expected; i++) {
      text = await scrape(analyzer.url);
      await sleep(50);
    }
    const total = text.split('\n').filter((l) => l && !l.startsWith('#')).length;
    const times = [];
    for (let i = 0; i < scrapes; i++) {
      const t = performance.now();
      await scrape(analyzer.url);
      times.push(performance.now() - t);
    }
    return {
      series: total,
      scrapes,
      medianMs: Number(quantile(times, 0.5).toFixed(1)),
      p99Ms: Number(quantile(times, 0.99).toFixed(1)),
    };
  } finally {
    analyzer.child.kill('SIGTERM');
    await analyzer.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}
