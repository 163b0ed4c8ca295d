import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileReader } from '../src/sources/file/file-reader.js';
import { type ChunkSummary, emptySummary } from '../src/store/chunk-summary.js';
import { logFamilies } from '../src/store/log-families.js';
import { Store } from '../src/store/store.js';
import { type ChunkSink, ParseStage } from '../src/transforms/log/parse-stage.js';
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
  const sink = new ParseStage(pool, logFamilies(new Store(), false)).forFile(file);
  const reader = await FileReader.open(file, 0, { sink, maxLineBytes: 65536 });
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
    const stage = new ParseStage(pool, logFamilies(new Store(), false), (_, s) => summaries.push(s));
    const reader = await FileReader.open(file, 0, { sink: stage.forFile(file), maxLineBytes: 65536 });
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

describe('chunks parsed out of order', () => {
  /** A sink whose parses finish when the test says, and that records what the reader has committed. */
  function fakeSink() {
    const parses: { lines: number; finish: () => void }[] = [];
    const applied: { lines: number; committedBefore: number }[] = [];
    let acquired = 0;
    let released = 0;
    let reader: FileReader | null = null;
    const sink: ChunkSink = {
      readBytes: 16, // two 8-byte lines per read: one chunk each
      buffer: (size) => new Uint8Array(size),
      ready: async () => {
        acquired++;
        return { release: () => void released++ };
      },
      parse: ({ bytes, lease }) =>
        new Promise<ChunkSummary>((resolve) => {
          const n = bytes?.filter((b) => b === 0x0a).length ?? 0;
          parses.push({
            lines: n,
            finish: () => {
              lease.release();
              resolve({ ...emptySummary(), lines: n });
            },
          });
        }),
      apply: (summary) => {
        applied.push({ lines: summary.lines, committedBefore: reader?.committedOffset ?? -1 });
        // The very next microtask already sees the chunk committed: no checkpoint can fall between.
        queueMicrotask(() => afterApply.push(reader?.committedOffset ?? -1));
      },
    };
    const afterApply: number[] = [];
    return {
      sink,
      parses,
      applied,
      afterApply,
      leases: () => ({ acquired, released }),
      setReader: (r: FileReader) => (reader = r),
    };
  }

  it('applies them in read order and commits each position in the same section as its apply', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const file = join(dir, 'a.log');
    writeFileSync(file, 'aaaaaaa\n'.repeat(8)); // 64 bytes: four chunks of 16
    const fake = fakeSink();
    const reader = await FileReader.open(file, 0, { sink: fake.sink, maxLineBytes: 100 });
    fake.setReader(reader);
    cleanups.push(() => reader.close());
    await reader.drain();
    expect(fake.parses).toHaveLength(4);
    for (const i of [2, 0, 3, 1]) {
      fake.parses[i]?.finish();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await reader.settled();
    expect(fake.applied).toEqual([
      { lines: 2, committedBefore: 0 },
      { lines: 2, committedBefore: 16 },
      { lines: 2, committedBefore: 32 },
      { lines: 2, committedBefore: 48 },
    ]);
    expect(fake.afterApply).toEqual([16, 32, 48, 64]);
    expect(reader.committedOffset).toBe(64);
    const { acquired, released } = fake.leases();
    expect(released).toBe(acquired); // the read that found the end gave its slot back too
  });
});
