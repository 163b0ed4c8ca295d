#!/usr/bin/env node
// Soak: noise-maker writes LINES lines from another process (at RATE lines/s, or max), rotating
// (rename by default) every ROTATE lines, while log-analyzer follows the file. With KILLS > 0 the
// analyzer is killed with -9 at that many random moments while lines are written and restarted
// each time from its checkpoint. Reports written vs counted, whether any scrape saw the count go
// down, and the analyzer's peak RSS. Exit 1 if counted differs from written or a count went down.
// Usage: node bench/soak.mjs [lines] [rotate-every] [rename|copytruncate] [rate|max] [kills]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mb, NOISE_MAKER, peakRss, scrape, sleep, start, startAnalyzer, sumMetric } from './lib.mjs';

const lines = Number(process.argv[2] ?? 1_000_000);
const rotateEvery = Number(process.argv[3] ?? 100_000);
const mode = process.argv[4] ?? 'rename';
const rate = process.argv[5] ?? 'max';
const kills = Number(process.argv[6] ?? 0);
const dir = mkdtempSync(join(tmpdir(), 'soak-'));
const analyzerArgs = [
  '--watch',
  join(dir, 'access.log'),
  '--from',
  'beginning',
  '--rotate-wait',
  '2000',
  '--positions',
  join(dir, 'state', 'checkpoint.json'),
];
try {
  let analyzer = await startAnalyzer(analyzerArgs, { positions: true });
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, peakRss(analyzer.child.pid));
  }, 100);

  const started = performance.now();
  const writer = start(process.execPath, [
    NOISE_MAKER,
    '--rate',
    String(rate),
    '--count',
    String(lines),
    '--rotate-every',
    String(rotateEvery),
    '--rotate-mode',
    mode,
    '--keep',
    String(Math.ceil(lines / rotateEvery) + 1),
    '--output',
    join(dir, 'access.log'),
  ]);
  let writing = true;
  void writer.exited.then(() => {
    writing = false;
  });

  // Every scrape, across restarts: a counter that goes down is a reset Prometheus would see.
  const seen = [];
  const look = async () => {
    try {
      seen.push(sumMetric(await scrape(analyzer.url), 'log_lines_total'));
    } catch {}
  };
  const expectedSeconds = rate === 'max' ? 10 : lines / Number(rate);
  const killAt = Array.from({ length: kills }, () => Math.random() * expectedSeconds * 0.9 * 1000).sort(
    (a, b) => a - b,
  );
  let killed = 0;
  while (writing && killed < kills) {
    await look();
    if (performance.now() - started >= killAt[killed]) {
      analyzer.child.kill('SIGKILL');
      await analyzer.exited;
      killed++;
      analyzer = await startAnalyzer(analyzerArgs, { positions: true });
    }
    await sleep(50);
  }
  const code = await writer.exited;
  if (code !== 0) throw new Error(`noise-maker failed: ${writer.stderr}`);
  const writeSeconds = (performance.now() - started) / 1000;

  let counted = 0;
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    await look();
    counted = seen.at(-1) ?? 0;
    if (counted >= lines) break;
    await sleep(100);
  }
  const totalSeconds = (performance.now() - started) / 1000;
  await sleep(1500); // a last look: nothing may be counted twice either
  await look();
  counted = seen.at(-1) ?? 0;
  const final = await scrape(analyzer.url);
  const rotations = sumMetric(final, 'log_analyzer_file_rotations_total');
  const truncations = sumMetric(final, 'log_analyzer_file_truncations_total');
  clearInterval(sampler);
  peak = Math.max(peak, peakRss(analyzer.child.pid));
  analyzer.child.kill('SIGTERM');
  await analyzer.exited;

  const wentDown = seen.some((v, i) => i > 0 && v < seen[i - 1]);
  const ok = counted === lines && !wentDown;
  const killText = kills > 0 ? `, killed -9 ${killed} times` : '';
  console.log(
    `soak (${mode}, ${rate === 'max' ? 'max rate' : `${rate} lines/s`}${killText}): written ${lines}, counted ${counted} ` +
      `(${counted === lines ? 'written == counted' : 'MISMATCH'}; ${wentDown ? 'a COUNTER WENT DOWN' : 'no counter ever went down'} in ${seen.length} scrapes); ` +
      `${rotations} rotations and ${truncations} truncations seen since the last start; writer ${writeSeconds.toFixed(1)} s, all counted after ${totalSeconds.toFixed(1)} s; ` +
      `analyzer peak RSS ${mb(peak)} MB`,
  );
  process.exitCode = ok ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
