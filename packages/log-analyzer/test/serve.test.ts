import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Analyzer } from '../src/app.js';
import { expectSettled, line, lines, metricValue, startAnalyzer, tempDir } from './helpers.js';

const WAIT = { timeout: 10_000, interval: 20 };

describe('serve', () => {
  let analyzer: Analyzer | null = null;
  let cleanup = () => {};
  afterEach(async () => {
    await analyzer?.stop();
    analyzer = null;
    cleanup();
  });

  async function setup(files: Record<string, string>, from: 'end' | 'beginning' = 'end', watch = ['*.log']) {
    const t = tempDir();
    cleanup = t.cleanup;
    for (const [name, content] of Object.entries(files)) writeFileSync(join(t.dir, name), content);
    analyzer = await startAnalyzer({ watch: watch.map((w) => join(t.dir, w)), from });
    return t.dir;
  }
  const current = (): Analyzer => {
    if (!analyzer) throw new Error('no analyzer running');
    return analyzer;
  };
  const count = (file: string, metric = 'log_lines_total') => metricValue(current(), metric, { file });

  it('skips what a file held at start with --from end, then counts appends', async () => {
    const dir = await setup({ 'a.log': lines(5) });
    const file = join(dir, 'a.log');
    appendFileSync(file, lines(3));
    await expectSettled(current(), () => count(file), 3, WAIT);
    appendFileSync(file, lines(1000, 404));
    await expectSettled(current(), () => count(file), 1003, WAIT);
    expect(await metricValue(current(), 'http_requests_total', { file, status: '404' })).toBe(1000);
  });

  it('reads what a file held at start with --from beginning', async () => {
    const dir = await setup({ 'a.log': lines(5) }, 'beginning');
    await expectSettled(current(), () => count(join(dir, 'a.log')), 5, WAIT);
  });

  it('counts a line split across two writes once, when its newline arrives', async () => {
    const dir = await setup({ 'a.log': '' });
    const file = join(dir, 'a.log');
    const whole = line(201);
    appendFileSync(file, lines(2) + whole.slice(0, 40));
    await expectSettled(current(), () => count(file), 2, WAIT);
    appendFileSync(file, whole.slice(40));
    await expectSettled(current(), () => count(file), 3, WAIT);
    expect(await metricValue(current(), 'http_requests_total', { file, status: '201' })).toBe(1);
    expect(await count(file, 'log_errors_total')).toBe(0);
  });

  it('picks up a new file that matches the glob and reads it from the beginning', async () => {
    const dir = await setup({ 'a.log': '' });
    const later = join(dir, 'b.log');
    writeFileSync(later, lines(7));
    writeFileSync(join(dir, 'b.txt'), lines(3)); // does not match *.log
    await expectSettled(current(), () => count(later), 7, WAIT);
    expect(await count(join(dir, 'b.txt'))).toBe(0);
  });

  it('counts malformed lines as errors and keeps going', async () => {
    const dir = await setup({ 'a.log': '' });
    const file = join(dir, 'a.log');
    appendFileSync(file, `garbage\n${line()}\x00\x01\x02\n${line()}`);
    await expectSettled(current(), () => count(file), 4, WAIT);
    expect(await metricValue(current(), 'log_errors_total', { file, reason: 'parse_failure' })).toBe(2);
  });

  it('exposes everything on /metrics, including self metrics', async () => {
    const dir = await setup({ 'a.log': '' });
    mkdirSync(join(dir, 'sub'));
    appendFileSync(join(dir, 'a.log'), lines(2));
    await expectSettled(current(), () => count(join(dir, 'a.log')), 2, WAIT);
    const text = await (await current().app.request('/metrics')).text();
    for (const name of [
      'log_lines_total',
      'http_requests_total',
      'log_analyzer_build_info',
      'log_analyzer_files_watched 1',
      'log_analyzer_read_bytes_total',
      'log_analyzer_pool_queue_depth',
      'log_analyzer_pool_task_duration_seconds_bucket',
      'log_analyzer_process_resident_memory_bytes',
      'log_lines_per_second',
    ]) {
      expect(text).toContain(name);
    }
    const status = (await (await current().app.request('/api/status')).json()) as { files: unknown[] };
    expect(status.files).toMatchObject([{ path: join(dir, 'a.log'), lines: 2, errors: 0, lagBytes: 0 }]);
  });
});
