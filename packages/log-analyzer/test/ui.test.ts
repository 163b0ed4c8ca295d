/// <reference lib="dom" />
// The live page in a real browser: headless Chromium (Debian's chromium, driven by puppeteer-core)
// opens /ui against an analyzer fed by noise-maker. No console errors; the charts are drawn with
// data; the numbers change between two moments; the series browser shows a series' trend.
// Screenshots go to docs/ (light, desktop; dark, phone width) and are shown in the README.
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { useBrowser } from './browser.js';
import { spawnNoiseMaker, spawnServe, tempDir } from './helpers.js';

const DOCS = join(import.meta.dirname, '../../../docs');

const { dir, cleanup } = tempDir();
const writer = spawnNoiseMaker([
  '--output',
  join(dir, 'access.log'),
  '--rate',
  '300',
  '--format',
  'combined_duration',
  '--error-rate',
  '0.03',
  '--duration',
  '90s',
  '--quiet',
]);
const analyzer = spawnServe([
  '--watch',
  join(dir, '*.log'),
  '--format',
  'combined_duration',
  '--from',
  'beginning',
  '--no-positions',
  '--history-step',
  '1s',
]);
const browser = useBrowser({ analyzer, writer }, cleanup);

it('/ui in headless Chromium: charts with data, values that move, a series trend, no console errors', async () => {
  const base = (await analyzer.url).replace(/\/metrics$/, '');
  const { page, errors } = await browser.page();
  await page.setViewport({ width: 1280, height: 1000 });
  await page.goto(`${base}/ui`, { waitUntil: 'domcontentloaded' });

  // Charts drawn with data: several frames on the lines chart, non-zero.
  const frames = () =>
    page.evaluate(() => {
      const c = (
        window as unknown as {
          liveCharts: { lines: { times: number[]; columns: Map<string, (number | null)[]> } };
        }
      ).liveCharts;
      const lines = [...c.lines.columns.values()][0] ?? [];
      return {
        times: c.lines.times.length,
        last: lines.at(-1) ?? null,
        canvases: document.querySelectorAll('canvas').length,
      };
    });
  // From the first frame the time axis is the last five minutes (one point alone made uPlot span years).
  type Axis = { lines: { times: number[]; plot: { scales: { x: { min: number; max: number } } } } };
  await page.waitForFunction(
    () => ((window as unknown as { liveCharts?: Axis }).liveCharts?.lines.times.length ?? 0) >= 1,
    { timeout: 30_000 },
  );
  const span = await page.evaluate(() => {
    const x = (window as unknown as { liveCharts: Axis }).liveCharts.lines.plot.scales.x;
    return x.max - x.min;
  });
  expect(span).toBe(300);
  await page.waitForFunction(
    () =>
      (window as unknown as { liveCharts?: { lines: { times: number[] } } }).liveCharts?.lines.times.length !==
        undefined &&
      ((window as unknown as { liveCharts: { lines: { times: number[] } } }).liveCharts.lines.times.length ?? 0) >= 3,
    { timeout: 30_000 },
  );
  const first = await frames();
  expect(first.canvases).toBeGreaterThanOrEqual(4);
  expect(first.last).toBeGreaterThan(0);

  // Values that change between two moments.
  const read = () => page.$eval('#status', (e) => e.textContent);
  const before = await read();
  await page.waitForFunction(
    (was) => document.querySelector('#status')?.textContent !== was,
    { timeout: 10_000 },
    before,
  );
  expect((await frames()).times).toBeGreaterThan(first.times);
  expect(await page.$eval('#now-lines', (e) => e.textContent)).not.toBe('–');
  expect(await page.$$eval('#top-status tbody tr', (rows) => rows.length)).toBeGreaterThan(0);

  // The series browser: pick a series, see its trend.
  await page.waitForFunction(
    () => Array.from(document.querySelectorAll('#series-name option')).some((o) => o.textContent === 'log_lines_total'),
    {
      timeout: 30_000,
    },
  );
  await page.select('#series-name', 'log_lines_total');
  await page.waitForFunction(() => /series, \d+ points/.test(document.querySelector('#trend')?.textContent ?? ''), {
    timeout: 10_000,
  });
  expect(await page.$eval('#trend', (e) => e.textContent)).toMatch(/(increasing|decreasing|stable)/);
  // The format has a duration field: the latency chart, no note.
  expect(await page.$eval('#latency-none', (e) => (e as HTMLElement).hidden)).toBe(true);

  await page.screenshot({ path: join(DOCS, 'ui.png') });
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
  await page.setViewport({ width: 390, height: 1400 });
  await page.reload({ waitUntil: 'domcontentloaded' });
  await page.waitForFunction(
    () =>
      ((window as unknown as { liveCharts: { lines: { times: number[] } } }).liveCharts?.lines.times.length ?? 0) >= 2,
    { timeout: 30_000 },
  );
  // Usable at phone width: nothing wider than the screen.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: join(DOCS, 'ui-phone-dark.png') });
  expect(errors).toEqual([]);
}, 120_000);
