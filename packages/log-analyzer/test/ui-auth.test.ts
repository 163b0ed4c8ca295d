/// <reference lib="dom" />
// The live page under --metrics-auth in a real browser (headless Chromium): the key given once (as
// the password of the page's URL, as a browser's prompt would) is sent again by the browser for
// the event stream and the series browser's JSON, and the page draws; without it, nothing is read.
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { useBrowser } from './browser.js';
import { spawnNoiseMaker, spawnServe, tempDir } from './helpers.js';

const KEY = 'live-page-key-1';

const { dir, cleanup } = tempDir();
const writer = spawnNoiseMaker(['--output', join(dir, 'access.log'), '--rate', '200', '--duration', '60s', '--quiet']);
const analyzer = spawnServe([
  '--watch',
  join(dir, '*.log'),
  '--from',
  'beginning',
  '--no-positions',
  '--history-step',
  '1s',
  '--api-key',
  KEY,
  '--metrics-auth',
]);
const browser = useBrowser({ analyzer, writer }, cleanup);

it('/ui with --metrics-auth: the key given once reaches the stream and the JSON; without it, 401', async () => {
  const base = (await analyzer.url).replace(/\/metrics$/, '');
  expect((await fetch(`${base}/ui/events`)).status).toBe(401);
  const { page, errors } = await browser.page();
  // The key once (in the URL, which a browser keeps for the realm as it keeps what its prompt was
  // given), then the page at its plain address: everything after comes from the browser's cache.
  await page.goto(`${base.replace('http://', `http://anyone:${KEY}@`)}/ui/app.css`);
  await page.goto(`${base}/ui`, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(
    () =>
      ((window as unknown as { liveCharts?: { lines: { times: number[] } } }).liveCharts?.lines.times.length ?? 0) >= 2,
    { timeout: 30_000 },
  );
  // The series browser's JSON, asked the way the page asks it (no header of its own).
  const statuses = await page.evaluate(async () => [
    (await fetch('/ui/series')).status,
    (await fetch('/metrics/series?limit=1')).status,
    (await fetch('/metrics/trends/log_lines_total?hours=1')).status,
  ]);
  expect(statuses).toEqual([200, 200, 200]);
  expect(errors).toEqual([]);
}, 90_000);
