// Finding a path's other generations beside it (access.log.1, access.log-20261122): the copy
// copytruncate left with the lines we had not read yet; on start, the generations rotated away
// while we were stopped; while running, whole generations that came and went between two checks.
// A file is recognised by its identity, its first bytes and the bytes just before the offset we
// had counted up to. The I/O around the pure decisions of decisions.ts.

import type { Stats } from 'node:fs';
import { type FileHandle, open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type Candidate, planResume, type ResumeStep } from './decisions.js';
import { endsWithAt, FINGERPRINT_BYTES, stillStartsWith } from './fingerprint.js';
import { decodeName, fsPath } from './fs-names.js';
import type { SavedFile } from './saved-positions.js';

/** Compressed generations cannot be read as logs. */
const COMPRESSED = /\.(gz|bz2|xz|zst|lz4|Z|zip)$/;

/** A file beside the path, held open: renames cannot change which file it is any more. */
export interface HeldFile extends Candidate {
  handle: FileHandle;
}

/** Looks at the names again while files are still turning up (a rotation shifting names meanwhile). */
const HOLD_ROUNDS = 5;

/** The path and the names beside it that start with its name (its rotated generations). */
async function siblingNames(path: string, isWatched: (candidate: string) => boolean): Promise<string[]> {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = (await readdir(fsPath(dir), { encoding: 'buffer' })).map(decodeName);
  } catch {
    return [];
  }
  return names
    .filter((name) => name.startsWith(base))
    .map((name) => (name === base ? path : join(dir, name)))
    .filter((file) => file === path || !(isWatched(file) || COMPRESSED.test(file)));
}

/**
 * Opens the path's file and the regular files beside it whose names start with its name (its
 * rotated generations), except compressed ones, those `--watch` follows on their own and those
 * `skip` rules out. Files are found by name, but a rotation may shift names between looking and
 * opening: what is opened is identified by its fd, and the names are looked at again until no
 * file turns up that is not held. Plans are then made on files that can no longer move. The
 * caller closes every handle it does not keep.
 */
export async function holdSiblings(
  path: string,
  isWatched: (candidate: string) => boolean,
  skip: (dev: number, ino: number) => boolean = () => false,
): Promise<HeldFile[]> {
  const held = new Map<string, HeldFile>();
  const skipped = new Set<string>();
  const known = (id: string) => held.has(id) || skipped.has(id);
  let atPath: Stats | null = null;
  for (let round = 1; round <= HOLD_ROUNDS; round++) {
    let found = false;
    for (const name of await siblingNames(path, isWatched)) {
      const named = await stat(fsPath(name)).catch(() => null);
      if (!named?.isFile() || known(`${named.dev}:${named.ino}`)) continue;
      found = true;
      const handle = await open(fsPath(name), 'r').catch(() => null);
      if (!handle) continue;
      const stats = await handle.stat();
      const id = `${stats.dev}:${stats.ino}`;
      if (known(id) || skip(stats.dev, stats.ino)) {
        if (!known(id)) skipped.add(id);
        await handle.close();
        continue;
      }
      const { dev, ino, size, mtimeMs } = stats;
      held.set(id, { name, dev, ino, size, mtimeMs, atPath: false, handle });
    }
    atPath = await stat(fsPath(path)).catch(() => null);
    if (!found && (atPath === null || known(`${atPath.dev}:${atPath.ino}`))) break;
  }
  const current = atPath && held.get(`${atPath.dev}:${atPath.ino}`);
  if (current) {
    current.atPath = true;
    current.name = path;
  }
  return [...held.values()];
}

/** True when `file` holds what we read of `generation`: its first bytes, and its bytes just before the offset. */
export async function sameContent(file: HeldFile, generation: SavedFile): Promise<boolean> {
  if (file.size < generation.offset || file.size < generation.head.length) return false;
  return (
    (await stillStartsWith(file.handle, generation.head)) &&
    (await endsWithAt(file.handle, generation.offset, generation.tail))
  );
}

/** The newest held file, not at the path, that holds what we read of `generation` up to its offset; null when none. */
export async function findCopy(held: readonly HeldFile[], generation: SavedFile): Promise<HeldFile | null> {
  const candidates = held.filter((f) => !f.atPath).sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const candidate of candidates) {
    if (await sameContent(candidate, generation)) return candidate;
  }
  return null;
}

/**
 * Whether a generation's first bytes tell a copy of it from another file: its head holds all it
 * had when read (or the full fingerprint), and something. An empty head (a file seen while still
 * empty, as a new generation often is) would match every file.
 */
function knownStart(generation: SavedFile): boolean {
  const { head, offset } = generation;
  return head.length > 0 && (head.length >= FINGERPRINT_BYTES || head.length >= offset);
}

/** On start: which held files to read from where, for the generations a checkpoint knows. */
export async function findResumeSteps(
  held: readonly HeldFile[],
  generations: readonly SavedFile[],
  knownAt: number,
): Promise<ResumeStep<SavedFile, HeldFile>[]> {
  // Content checks read the files; do them up front so the plan itself is pure.
  const matches = new Map<HeldFile, Set<SavedFile>>();
  const starts = new Map<HeldFile, Set<SavedFile>>();
  for (const file of held) {
    const same = new Set<SavedFile>();
    const like = new Set<SavedFile>();
    for (const g of generations) {
      if (await sameContent(file, g)) same.add(g);
      if (knownStart(g) && (await stillStartsWith(file.handle, g.head))) like.add(g);
    }
    matches.set(file, same);
    starts.set(file, like);
  }
  return planResume({
    saved: generations,
    candidates: held,
    sameContent: (c, g) => matches.get(c)?.has(g) === true,
    startsLike: (c, g) => starts.get(c)?.has(g) === true,
    writtenAt: knownAt,
  });
}

/** File times come from a coarse clock (the kernel's tick): they may trail Date.now() by one. */
export const MTIME_SLACK_MS = 20;

/**
 * After `generation` was truncated (copytruncate): its copy (read on from our offset), then the
 * generations written since `sinceMs` that nobody saw (read whole: a second copytruncate before
 * we looked again leaves the copy of one beside ours). A file that starts with our first bytes is
 * ours, never read whole: a copy taken before lines we went on to read is shorter than our offset.
 */
export async function findAfterTruncation(
  held: readonly HeldFile[],
  generation: SavedFile,
  sinceMs: number,
): Promise<{ copy: HeldFile | null; missed: HeldFile[] }> {
  const copy = await findCopy(held, generation);
  const others: HeldFile[] = [];
  for (const file of held) {
    const ours = knownStart(generation) && (await stillStartsWith(file.handle, generation.head));
    if (file !== copy && !ours) others.push(file);
  }
  return { copy, missed: findMissed(others, sinceMs) };
}

/** While running: held files beside the path (not at it), written since `sinceMs`; oldest first. */
export function findMissed(held: readonly HeldFile[], sinceMs: number): HeldFile[] {
  const candidates = held.filter((f) => !f.atPath);
  return planResume({ saved: [], candidates, sameContent: () => false, writtenAt: sinceMs }).map((s) => s.candidate);
}
