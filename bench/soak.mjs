#!/usr/bin/env node
// Soak: noise-maker writes LINES lines at full speed from another process, rotating (rename by default)
// every ROTATE lines, while log-analyzer serves the directory. Reports written vs counted and
// the analyzer's peak RSS. Exit 1 if they differ.
// Usage: node bench/soak.mjs [lines] [rotate-every] [rename|copytruncate]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mb, NOISE_MAKER, peakRss, scrape, sleep, start, startAnalyzer, sumMetric } from './lib.mjs';

const lines = Number(process.argv[2] ?? 1_000_000);
const rotateEvery = Number(process.argv[3] ?? 100_000);
const mode = process.argv[4] ?? 'rename';
const dir = mkdtempSync(join(tmpdir(), 'soak-'));
try {
  const analyzer = await startAnalyzer(['--watch', join(dir, '*.log'), '--from', 'beginning', '--rotate-wait', '2000']);
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, peakRss(analyzer.child.pid));
  }, 100);

  const started = performance.now();
  const writer = start(process.execPath, [
    NOISE_MAKER,
    '--rate',
    'max',
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
  const code = await writer.exited;
  if (code !== 0) throw new Error(`noise-maker failed: ${writer.stderr}`);
  const writeSeconds = (performance.now() - started) / 1000;

  let counted = 0;
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    counted = sumMetric(await scrape(analyzer.url), 'log_lines_total');
    if (counted >= lines) break;
    await sleep(100);
  }
  const totalSeconds = (performance.now() - started) / 1000;
  await sleep(500); // a last look: nothing may be counted twice either
  counted = sumMetric(await scrape(analyzer.url), 'log_lines_total');
  const final = await scrape(analyzer.url);
  const rotations = sumMetric(final, 'log_analyzer_file_rotations_total');
  const truncations = sumMetric(final, 'log_analyzer_file_truncations_total');
  clearInterval(sampler);
  peak = Math.max(peak, peakRss(analyzer.child.pid));
  analyzer.child.kill('SIGTERM');
  await analyzer.exited;

  const ok = counted === lines;
  console.log(
    `soak (${mode}): written ${lines}, counted ${counted} (${ok ? 'written == counted' : 'MISMATCH'}); ` +
      `${rotations} rotations and ${truncations} truncations seen; writer ${writeSeconds.toFixed(1)} s, all counted after ${totalSeconds.toFixed(1)} s; ` +
      `analyzer peak RSS ${mb(peak)} MB`,
  );
  process.exitCode = ok ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
