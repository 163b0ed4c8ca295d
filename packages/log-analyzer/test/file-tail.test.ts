import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
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
  const tail = (path: string, isWatched?: (path: string) => boolean) =>
    new FileTail(path, {
      chunks,
      isWatched,
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

it('a look claims the files beside the path only once it has opened them (kill -9 mid-look)', async () => {
  // A checkpoint taken while a look is still opening the generations that came and went since
  // the previous look used to say it knew every file written before this look began (lookedAt);
  // after a kill -9 then, the start skipped those generations: one whole one lost in crash.test.ts.
  vi.useFakeTimers({ toFake: ['Date'] });
  cleanups.push(() => void vi.useRealTimers());
  const { dir, tail, counted } = setup();
  const file = join(dir, 'access.log');
  writeFileSync(file, lines(3));
  let midLook: number | null = null;
  // Asked of each name beside the path while the look holds them: a checkpoint's moment.
  const t: FileTail = tail(file, () => {
    midLook ??= t.lookedAt;
    return false;
  });
  cleanups.push(() => t.stop());
  vi.setSystemTime(1_000_000);
  await t.start({ kind: 'beginning' });
  await vi.waitFor(() => expect(counted()).toBe(3), WAIT);
  expect(t.lookedAt).toBe(1_000_000);
  // Unseen: the followed file is rotated away, a new one gets 5 lines and is rotated away too.
  renameSync(file, join(dir, 'access.log.2'));
  writeFileSync(file, lines(5));
  renameSync(file, join(dir, 'access.log.1'));
  writeFileSync(file, lines(2));
  vi.setSystemTime(2_000_000);
  await t.check();
  // Mid-look, only the previous look counts; once the missed generation is open, this one does.
  expect(midLook).toBe(1_000_000);
  expect(t.lookedAt).toBe(2_000_000);
  await vi.waitFor(() => expect(counted()).toBe(10), WAIT);
  // One more full look and read: a generation read twice would show now.
  await t.check();
  expect(counted()).toBe(10);
});
