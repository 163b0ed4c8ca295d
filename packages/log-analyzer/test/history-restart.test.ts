/// <reference lib="dom" />
// The history survives a restart (issue 28): kill -9, start again, and /metrics/series still has
// the points from before, with a gap where the analyzer was down; the live page's series chart
// draws them with the gap, and its live charts span the last five minutes from the first frame.
// A corrupt history file is refused with one line and the counts are unaffected.
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { expect, it, vi } from 'vitest';
import { lines, spawnNoiseMaker, spawnServe, tempDir, useProcesses, WAIT } from './helpers.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const { running, cleanups } = useProcesses();

interface Point {
  value: number;
  timestamp: string;
}

async function linePoints(url: string): Promise<Point[]> {
  const base = url.replace(/\/metrics$/, '');
  const body = await (await fetch(`${base}/metrics/series?name=log_lines_total&limit=10`)).json();
  return (body.series as { points: Point[] }[]).flatMap((s) => s.points);
}

it('kill -9, then a restart: the points from before, a gap while it was down, drawn on the page', async () => {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const log = join(dir, 'access.log');
  const args = [
    '--watch',
    log,
    '--format',
    'combined', // no duration field: the latency chart says so
    '--from',
    'beginning',
    '--positions',
    join(dir, 'checkpoint.json'),
    '--history-step',
    '1s',
    '--history-save-interval',
    '1s',
  ];
  const writer = spawnNoiseMaker(['--output', log, '--rate', '50', '--duration', '120s', '--quiet']);
  cleanups.push(() => writer.kill('SIGKILL'));

  const first = spawnServe(args);
  running.push(first);
  const url = await first.url;
  // At least 3 points, then a history file written after them.
  await vi.waitFor(async () => expect((await linePoints(url)).length).toBeGreaterThanOrEqual(3), WAIT);
  const before = await linePoints(url);
  // Two saves more: the second began after `before` was read (one in flight may have begun before).
  const saves = await first.value('log_analyzer_history_saves_total');
  await vi.waitFor(
    async () => expect(await first.value('log_analyzer_history_saves_total')).toBeGreaterThanOrEqual(saves + 2),
    WAIT,
  );
  first.child.kill('SIGKILL');
  await first.exited;
  const killedAt = Date.now();
  // Down for at least three steps: the gap to see.
  await vi.waitFor(() => expect(Date.now()).toBeGreaterThan(killedAt + 3000), WAIT);
  const restartedAt = Date.now();

  const second = spawnServe(args);
  running.push(second);
  const url2 = await second.url;
  await vi.waitFor(
    async () => expect((await linePoints(url2)).some((p) => Date.parse(p.timestamp) > restartedAt)).toBe(true),
    WAIT,
  );
  const after = await linePoints(url2);
  const byTime = new Map(after.map((p) => [p.timestamp, p.value]));
  // Every point from before is still there, with its value.
  for (const p of before) expect(byTime.get(p.timestamp)).toBe(p.value);
  // A gap: nothing from the kill to the restart.
  expect(after.filter((p) => Date.parse(p.timestamp) > killedAt && Date.parse(p.timestamp) < restartedAt)).toEqual([]);
  expect(second.stderr()).not.toMatch(/refused/);
  expect(await second.value('log_analyzer_history_restored_series')).toBeGreaterThan(0);

  // The live page on the restarted analyzer.
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.setViewport({ width: 1280, height: 1200 });
    await page.goto(`${url2.replace(/\/metrics$/, '')}/ui`, { waitUntil: 'domcontentloaded' });
    type Live = { lines: { times: number[]; plot: { scales: { x: { min: number; max: number } } } } };
    // From the first frame: the last five minutes, not years.
    await page.waitForFunction(
      () => ((window as unknown as { liveCharts?: Live }).liveCharts?.lines.times.length ?? 0) >= 1,
      { timeout: 30_000 },
    );
    const span = await page.evaluate(() => {
      const x = (window as unknown as { liveCharts: Live }).liveCharts.lines.plot.scales.x;
      return x.max - x.min;
    });
    expect(span).toBe(300);
    // No duration field in `combined`: the latency chart says so.
    expect(await page.$eval('#latency-none', (e) => (e as HTMLElement).hidden)).toBe(false);
    expect(await page.$eval('#latency-none', (e) => e.textContent)).toContain('no duration field');

    // The series chart: the points from before, a null (a break in the line) in the gap, a forecast band.
    await page.waitForFunction(
      () =>
        Array.from(document.querySelectorAll('#series-name option')).some((o) => o.textContent === 'log_lines_total'),
      { timeout: 30_000 },
    );
    await page.select('#series-name', 'log_lines_total');
    await page.waitForFunction(
      () => /points every .*forecast/.test(document.querySelector('#trend')?.textContent ?? ''),
      {
        timeout: 10_000,
      },
    );
    const drawn = await page.evaluate(() => {
      const data = (window as unknown as { liveCharts: { series: { data: (number | null)[][] } } }).liveCharts.series
        .data;
      return { times: data[0] as number[], values: data[1] as (number | null)[], upper: data[3] as (number | null)[] };
    });
    const firstBefore = Date.parse((before[0] as Point).timestamp) / 1000;
    expect(drawn.times).toContain(firstBefore);
    // The line breaks (a null) between the last point before the kill and the first after the restart.
    const gapAt = drawn.values.findIndex(
      (v, i) =>
        v === null &&
        (drawn.times[i - 1] ?? Number.POSITIVE_INFINITY) < killedAt / 1000 &&
        (drawn.times[i + 1] ?? 0) > restartedAt / 1000,
    );
    expect(gapAt).toBeGreaterThan(0);
    expect(drawn.upper.some((v) => v !== null)).toBe(true);
    expect(errors).toEqual([]);
  } finally {
    await browser.close();
  }
}, 120_000);

it('a corrupt history file: one line naming it, an empty history, the counts unaffected', async () => {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const log = join(dir, 'access.log');
  const checkpoint = join(dir, 'checkpoint.json');
  writeFileSync(log, lines(40));
  const args = ['--watch', log, '--from', 'beginning', '--positions', checkpoint, '--history-step', '1s'];
  const first = spawnServe(args);
  running.push(first);
  await first.url;
  await vi.waitFor(async () => expect(await first.value('log_lines_total')).toBe(40), WAIT);
  await vi.waitFor(async () => expect(await first.value('log_analyzer_history_series')).toBeGreaterThan(0), WAIT);
  first.child.kill('SIGTERM'); // a stop writes the checkpoint and the history
  expect(await first.exited).toBe(0);
  // Damaged: a valid-looking header, garbage after it.
  appendFileSync(`${checkpoint}.history`, 'garbage');

  const second = spawnServe(args);
  running.push(second);
  const url = await second.url;
  await vi.waitFor(
    () =>
      expect(second.stderr()).toMatch(
        /history file .*checkpoint\.json\.history refused \(.+\): starting with an empty history/,
      ),
    WAIT,
  );
  expect(await second.value('log_lines_total')).toBe(40);
  expect(await second.value('log_analyzer_history_restored_series')).toBe(0);
  // It goes on: new lines are counted.
  appendFileSync(log, lines(2));
  await vi.waitFor(async () => expect(await second.value('log_lines_total')).toBe(42), WAIT);
  expect((await linePoints(url)).every((p) => Date.parse(p.timestamp) >= 0)).toBe(true);
}, 60_000);
