import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { ParsePool } from '../src/pool/parse-pool.js';
import { FileReader } from '../src/tail/file-reader.js';
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
