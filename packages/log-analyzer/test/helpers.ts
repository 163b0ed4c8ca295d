// Test helpers: temp dirs, log lines, and reading the analyzer's own counters.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, vi } from 'vitest';
import { type Analyzer, type AnalyzerConfig, createAnalyzer } from '../src/app.js';

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'log-analyzer-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

let serial = 0;
/** A valid combined line; `status` and `path` make lines distinguishable. */
export function line(status = 200, path = `/p/${serial++}`): string {
  return `203.0.113.7 - - [10/Oct/2000:13:55:36 -0700] "GET ${path} HTTP/1.1" ${status} 512 "-" "test/1.0"\n`;
}

export function lines(n: number, status = 200): string {
  let out = '';
  for (let i = 0; i < n; i++) out += line(status);
  return out;
}

/**
 * Sum of a metric's samples whose labels include `labels`: the store's live values for the log
 * families, the self registry for the rest.
 */
export async function metricValue(
  analyzer: Analyzer,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  if (analyzer.store.has(name)) return analyzer.store.sum(name, labels);
  const metric = analyzer.selfRegistry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))
    .reduce((sum, v) => sum + v.value, 0);
}

/**
 * Waits until `read()` gives `want`, then lets the analyzer run one more full cycle (every
 * directory and every file checked) and asserts again, so that a late over-count fails.
 */
export async function expectSettled(
  analyzer: Analyzer,
  read: () => Promise<number>,
  want: number,
  wait = { timeout: 15_000, interval: 20 },
): Promise<void> {
  await vi.waitFor(async () => expect(await read()).toBe(want), wait);
  await analyzer.tailer.checkAll();
  await analyzer.tailer.checkAll();
  expect(await read()).toBe(want);
}

export async function startAnalyzer(
  overrides: Partial<AnalyzerConfig> & Pick<AnalyzerConfig, 'watch'>,
): Promise<Analyzer> {
  const analyzer = await createAnalyzer({
    format: 'combined',
    workers: 1,
    maxLineBytes: 65536,
    from: 'end',
    maxFiles: 1000,
    pollIntervalMs: 50,
    rotateWaitMs: 200,
    usePolling: false,
    positionsFile: null,
    warn: () => {},
    ...overrides,
  });
  await analyzer.ready;
  return analyzer;
}
