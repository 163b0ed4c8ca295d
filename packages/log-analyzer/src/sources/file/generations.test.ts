// Files beside the path are held open before anything is planned: a rotation that shifts names
// after they were looked at cannot change which file a plan reads (found by a loop of the crash
// test under load: plans made from names had to be made again, and gave up after five tries).
import { appendFileSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { fingerprintAt, fingerprintOf } from './fingerprint.js';
import { findAfterTruncation, findMissed, findResumeSteps, type HeldFile, holdSiblings } from './generations.js';
import type { SavedFile } from './saved-positions.js';

let dir: string;
let path: string;
let held: HeldFile[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'generations-'));
  path = join(dir, 'access.log');
});
afterEach(async () => {
  for (const file of held) await file.handle.close().catch(() => {});
  held = [];
  rmSync(dir, { recursive: true, force: true });
});

async function saved(file: string, offset: number): Promise<SavedFile> {
  const { dev, ino } = statSync(file);
  const handle = await open(file, 'r');
  try {
    return {
      dev,
      ino,
      offset,
      head: await fingerprintOf(handle, offset),
      tail: await fingerprintAt(handle, Math.max(0, offset - 16), Math.min(offset, 16)),
    };
  } finally {
    await handle.close();
  }
}

async function text(file: HeldFile, from: number): Promise<string> {
  const buffer = Buffer.alloc(file.size - from);
  await file.handle.read(buffer, 0, buffer.length, from);
  return buffer.toString();
}

/** What a rename rotation does: every generation moves one name up, and a new file takes the path. */
function rotate(generations: number, content: string): void {
  for (let n = generations; n >= 1; n--) renameSync(`${path}.${n}`, `${path}.${n + 1}`);
  renameSync(path, `${path}.1`);
  writeFileSync(path, content);
}

it('a plan made on held files reads the right files after names shifted', async () => {
  writeFileSync(`${path}.1`, 'b1\nb2\n');
  writeFileSync(path, 'a1\na2\na3\n');
  const generationB = await saved(`${path}.1`, 6); // read to its end
  const generationA = await saved(path, 3); // read up to a1
  held = await holdSiblings(path, () => false);
  rotate(1, 'c1\n'); // between holding and planning: access.log is now access.log.1, and so on
  const steps = await findResumeSteps(held, [generationB, generationA], 0);
  expect(await Promise.all(steps.map((s) => text(s.candidate, s.offset)))).toEqual(['a2\na3\n']);
  expect(steps[0]?.candidate.atPath).toBe(true); // it was at the path when held
});

it('holds each file once, skips what it is told to, and marks the file at the path', async () => {
  writeFileSync(`${path}.2`, 'x\n');
  writeFileSync(`${path}.1`, 'y\n');
  writeFileSync(`${path}.1.gz`, 'compressed');
  writeFileSync(path, 'z\n');
  writeFileSync(join(dir, 'other.log'), 'not a generation\n');
  const skipped = statSync(`${path}.2`).ino;
  held = await holdSiblings(
    path,
    () => false,
    (_dev, ino) => ino === skipped,
  );
  expect(held.map((f) => f.name).sort()).toEqual([path, `${path}.1`]);
  expect(held.filter((f) => f.atPath).map((f) => f.name)).toEqual([path]);
});

it('missed generations: held files beside the path written since a time, oldest first', async () => {
  writeFileSync(`${path}.2`, 'old\n');
  writeFileSync(`${path}.1`, 'newer\n');
  writeFileSync(path, 'current\n');
  held = await holdSiblings(path, () => false);
  const found = findMissed(held, 0).map((f) => f.name);
  expect(found).toHaveLength(2);
  expect(found).not.toContain(path);
  expect(findMissed(held, Date.now() + 60_000)).toEqual([]);
});

it('after a truncation: our copy from our offset, a copy shorter than our offset never, another generation whole', async () => {
  // We read a1..a4 of access.log; .2 is a copy taken after a2 (we went on reading past it), .1 the
  // copy of a generation we never saw, and the path holds what came after the truncation.
  // (A copy is told by our first 256 bytes: the lines before the copy point are longer than that.)
  const a1 = `a1 ${'x'.repeat(300)}\n`;
  writeFileSync(path, `${a1}a2\na3\na4\n`);
  const ours = await saved(path, a1.length + 9);
  writeFileSync(`${path}.2`, `${a1}a2\n`);
  writeFileSync(`${path}.1`, 'b1\nb2\n');
  writeFileSync(path, 'c1\n');
  held = await holdSiblings(path, () => false);
  const { copy, missed } = await findAfterTruncation(held, ours, 0);
  expect(copy).toBeNull();
  expect(missed.map((f) => f.name)).toEqual([`${path}.1`]);
  // With the whole copy there, it is the copy (read from our offset), and still not read whole.
  writeFileSync(`${path}.3`, `${a1}a2\na3\na4\na5\n`);
  for (const file of held) await file.handle.close();
  held = await holdSiblings(path, () => false);
  const after = await findAfterTruncation(held, ours, 0);
  expect(after.copy?.name).toBe(`${path}.3`);
  expect(after.missed.map((f) => f.name)).toEqual([`${path}.1`]);
});

it('on start, a generation saved while its file was empty is no prefix of other files: those rotated in and out are read whole', async () => {
  // CI found it (crash.test: 20,000 of 60,000): a new file at the path is often seen while still
  // empty, and an empty head "starts" every file, so every generation rotated away while the
  // analyzer was down was taken for a copy of it and never read.
  writeFileSync(path, '');
  const empty = await saved(path, 0);
  rotate(0, 'b1\nb2\n'); // what we saw empty went on to get lines, and was rotated away
  appendFileSync(`${path}.1`, 'a1\n');
  rotate(1, 'c1\n');
  held = await holdSiblings(path, () => false);
  const steps = await findResumeSteps(held, [empty], 0);
  expect(await Promise.all(steps.map((s) => text(s.candidate, s.offset)))).toEqual(['a1\n', 'b1\nb2\n', 'c1\n']);
});
