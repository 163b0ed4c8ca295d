// Finding a path's other generations beside it (access.log.1, access.log-20261122): the copy
// copytruncate left with the lines we had not read yet; on start, the generations rotated away
// while we were stopped; while running, whole generations that came and went between two checks.
// A file is recognised by its identity, its first bytes and the bytes just before the offset we
// had counted up to. The I/O around the pure decisions of decisions.ts.

import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type Candidate, planResume, type ResumeStep } from './decisions.js';
import { endsWithAt, stillStartsWith } from './fingerprint.js';
import { decodeName, fsPath } from './fs-names.js';
import type { SavedFile } from './saved-positions.js';

/** Compressed generations cannot be read as logs. */
const COMPRESSED = /\.(gz|bz2|xz|zst|lz4|Z|zip)$/;

export interface FoundFile {
  name: string;
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

/**
 * The path's file and the regular files beside it whose names start with its name (its rotated
 * generations), except compressed ones and those `--watch` follows on their own.
 */
export async function siblings(path: string, isWatched: (candidate: string) => boolean): Promise<FoundFile[]> {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = (await readdir(fsPath(dir), { encoding: 'buffer' })).map(decodeName);
  } catch {
    return [];
  }
  const found: FoundFile[] = [];
  for (const name of names) {
    const file = join(dir, name);
    if (!name.startsWith(base) || (name !== base && (isWatched(file) || COMPRESSED.test(name)))) continue;
    const stats = await stat(fsPath(file)).catch(() => null);
    if (stats?.isFile()) {
      found.push({
        name: name === base ? path : file,
        dev: stats.dev,
        ino: stats.ino,
        size: stats.size,
        mtimeMs: stats.mtimeMs,
      });
    }
  }
  return found;
}

/** True when `file` holds what we read of `generation`: its first bytes, and its bytes just before the offset. */
export async function sameContent(file: string, size: number, generation: SavedFile): Promise<boolean> {
  if (size < generation.offset || size < generation.head.length) return false;
  const handle = await open(fsPath(file), 'r').catch(() => null);
  if (!handle) return false;
  try {
    return (
      (await stillStartsWith(handle, generation.head)) && (await endsWithAt(handle, generation.offset, generation.tail))
    );
  } finally {
    await handle.close();
  }
}

/**
 * The newest file beside `path` that holds what we read of `generation` up to its offset, and
 * that `exclude` does not rule out (files we follow or have finished); null when there is none.
 */
export async function findCopy(
  path: string,
  generation: SavedFile,
  exclude: (candidate: string, dev: number, ino: number) => boolean,
): Promise<FoundFile | null> {
  const candidates = (await siblings(path, () => false))
    .filter((f) => f.name !== path && !exclude(f.name, f.dev, f.ino))
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const candidate of candidates) {
    if (await sameContent(candidate.name, candidate.size, generation)) return candidate;
  }
  return null;
}

/** On start: which files beside `path` to read from where, for the generations a checkpoint knows. */
export async function findResumeSteps(
  path: string,
  generations: readonly SavedFile[],
  knownAt: number,
  isWatched: (candidate: string) => boolean,
): Promise<ResumeStep<SavedFile>[]> {
  const candidates: Candidate[] = (await siblings(path, isWatched)).map((f) => ({ ...f, atPath: f.name === path }));
  // Content checks read the candidates; do them up front so the plan itself is pure.
  const matches = new Map<Candidate, Set<SavedFile>>();
  for (const c of candidates) {
    const same = new Set<SavedFile>();
    for (const g of generations) if (await sameContent(c.name, c.size, g)) same.add(g);
    matches.set(c, same);
  }
  return planResume({
    saved: generations,
    candidates,
    sameContent: (c, g) => matches.get(c)?.has(g) === true,
    writtenAt: knownAt,
  });
}

/** While running: files beside `path`, written since `sinceMs`, that nobody holds or has read; oldest first. */
export async function findMissed(
  path: string,
  sinceMs: number,
  isWatched: (candidate: string) => boolean,
  isHeld: (dev: number, ino: number) => boolean,
): Promise<Candidate[]> {
  const candidates = (await siblings(path, isWatched))
    .filter((f) => f.name !== path && !isHeld(f.dev, f.ino))
    .map((f) => ({ ...f, atPath: false }));
  return planResume({ saved: [], candidates, sameContent: () => false, writtenAt: sinceMs }).map((s) => s.candidate);
}
