import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { FileTail } from '../src/sources/file/file-tail.js';
import { logFamilies } from '../src/store/log-families.js';
import { Store } from '../src/store/store.js';
import { ParseStage } from '../src/transforms/log/parse-stage.js';
import { ParsePool } from '../src/transforms/pool/parse-pool.js';
import { lines, tempDir, WAIT } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function setup() {
  const t = tempDir();
  const pool = new ParsePool({ workers: 1, format: 'combined', maxLineBytes: 65536 });
  let counted = 0;
  const errors: string[] = [];
  const chunks = new ParseStage(pool, logFamilies(new Store(), false), (_, s) => {
    counted += s.lines;
  });
  const tail = (path: string) =>
    new FileTail(path, {
      chunks,
      maxLineBytes: 65536,
      rotateWaitMs: 100,
      events: {
        follow: () => {},
        rotation: () => {},
        truncation: () => {},
        read: () => {},
        error: (_: string, error: unknown) => errors.push((error as NodeJS.ErrnoException).code ?? String(error)),
      },
    });
  cleanups.push(t.cleanup, () => pool.close());
  return { dir: t.dir, tail, counted: () => counted, errors };
}

it('checks that arrive while the file is being opened do not open it twice', async () => {
  const { dir, tail, counted } = setup();
  const file = join(dir, 'a.log');
  writeFileSync(file, lines(100));
  const t = tail(file);
  cleanups.push(() => t.stop());
  // What chokidar does when events pile up: start and several checks at once.
  await Promise.all([t.start({ kind: 'beginning' }), t.check(), t.check(), t.check()]);
  appendFileSync(file, lines(5));
  await t.check();
  await vi.waitFor(() => expect(counted()).toBe(105), WAIT);
  await t.check();
  expect(counted()).toBe(105);
});

it('stop() leaves the partial last line unread, and its position before it', async () => {
  const { dir, tail } = setup();
  const file = join(dir, 'a.log');
  writeFileSync(file, `${lines(3)}203.0.113.7 - - [10/Oct/2000`);
  const t = tail(file);
  await t.start({ kind: 'beginning' });
  await t.stop();
  expect(t.position()?.files.at(-1)?.offset).toBe(lines(3).length);
});
