/// <reference lib="dom" />
// The live page shows firing and pending alerts with their annotations (issue 25), in headless
// Chromium against an analyzer whose rule fires on noise-maker's 5xx answers.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { useBrowser } from './browser.js';
import { spawnNoiseMaker, spawnServe, tempDir } from './helpers.js';

const { dir, cleanup } = tempDir();
writeFileSync(
  join(dir, 'rules.yml'),
  `groups:
  - name: http
    rules:
      - alert: ServerErrors
        expr: sum(rate(http_requests_total{status=~"5.."}[5s])) > 0
        labels: { severity: page }
        annotations: { summary: "{{ $value | humanize }} 5xx answers per second" }
`,
);
const writer = spawnNoiseMaker([
  '--output',
  join(dir, 'access.log'),
  '--rate',
  '200',
  '--error-rate',
  '0.5',
  '--quiet',
]);
const analyzer = spawnServe([
  '--watch',
  join(dir, '*.log'),
  '--no-positions',
  '--rules',
  join(dir, 'rules.yml'),
  '--evaluation-interval',
  '500ms',
]);
const browser = useBrowser({ analyzer, writer }, cleanup);

it('/ui lists the firing alert with its labels and annotations', async () => {
  const base = (await analyzer.url).replace(/\/metrics$/, '');
  const { page, errors } = await browser.page();
  await page.goto(`${base}/ui`, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => document.querySelector('#alerts-table tbody tr.alert-firing') !== null, {
    timeout: 60_000,
  });
  const cells = await page.$$eval('#alerts-table tbody tr.alert-firing td', (tds) => tds.map((td) => td.textContent));
  expect(cells.slice(0, 3)).toEqual(['firing', 'ServerErrors', 'severity=page']);
  expect(cells[3]).toMatch(/^summary: \d+(\.\d+)?k? 5xx answers per second$/);
  expect(await page.$eval('#alerts', (e) => (e as HTMLElement).hidden)).toBe(false);
  expect(errors).toEqual([]);
}, 120_000);
