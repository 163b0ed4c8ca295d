import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileReader } from '../src/sources/file/file-reader.js';
import type { ChunkSummary } from '../src/store/chunk-summary.js';
import { ParsePool } from '../src/transforms/pool/parse-pool.js';
import { lines, tempDir } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it('a read that fails gives its pool slot back', async () => {
  const { dir, cleanup } = tempDir();
  const pool = new ParsePool({ workers: 1, format: 'combined', maxLineBytes: 65536 });
  cleanups.push(cleanup, () => pool.close());
  const file = join(dir, 'a.log');
  writeFileSync(file, lines(3));
  const reader = await FileReader.open(file, 0, { pool, maxLineBytes: 65536, onSummary: () => {} });
  await reader.handle.close(); // every read now fails
  for (let i = 0; i < 10; i++) await expect(reader.drain()).rejects.toThrow();
  expect(pool.stats().inFlight).toBe(0);
});

describe('a chunk whose worker fails', () => {
  const flaky = new URL('./fixtures/flaky-worker.ts', import.meta.url).href;

  async function read(content: string) {
    const { dir, cleanup } = tempDir();
    const pool = new ParsePool({ workers: 1, format: 'combined', maxLineBytes: 65536, workerFile: flaky });
    const failures: unknown[] = [];
    pool.onFailure = (error) => failures.push(error);
    cleanups.push(cleanup, () => pool.close());
    const file = join(dir, 'a.log');
    writeFileSync(file, content.replaceAll('MARKER', join(dir, 'marker')));
    writeFileSync(join(dir, 'marker'), '');
    const summaries: ChunkSummary[] = [];
    const reader = await FileReader.open(file, 0, { pool, maxLineBytes: 65536, onSummary: (s) => summaries.push(s) });
    cleanups.push(() => reader.close());
    await reader.drain();
    await reader.settled();
    const sum = (key: 'lines' | 'parseFailures' | 'workerFailures') => summaries.reduce((n, s) => n + (s[key] ?? 0), 0);
    return {
      failures,
      lines: sum('lines'),
      parseFailures: sum('parseFailures'),
      workerFailures: sum('workerFailures'),
      reader,
    };
  }

  it('is read again and retried; when the retry succeeds, nothing shows but the failure report', async () => {
    const got = await read(`FAIL-ONCE MARKER\n${lines(9)}`);
    expect(got.failures).toHaveLength(1);
    expect({ lines: got.lines, parseFailures: got.parseFailures, workerFailures: got.workerFailures }).toEqual({
      lines: 10,
      parseFailures: 1, // the marker line itself is no log line
      workerFailures: 0,
    });
  });

  it('is retried on a fresh thread: a thread left failing everything does not get it again', async () => {
    const got = await read(`POISON MARKER\n${lines(9)}`);
    expect(got.failures.map((f) => String(f))).toEqual(['Error: worker exited with code: 1']);
    expect({ lines: got.lines, workerFailures: got.workerFailures }).toEqual({ lines: 10, workerFailures: 0 });
  });

  it('after repeated failure, its lines are counted as worker failures, never dropped, and the offset moves on', async () => {
    const content = `ALWAYS-FAIL\n${lines(9)}`;
    const got = await read(content);
    expect(got.failures).toHaveLength(3);
    expect({ lines: got.lines, workerFailures: got.workerFailures }).toEqual({ lines: 10, workerFailures: 10 });
    expect(got.reader.committedOffset).toBe(content.length);
  });
});
