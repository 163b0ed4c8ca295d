// Finding a file's other generations beside it: the copy copytruncate left (access.log.1,
// access.log-20261122) with the lines we had not read yet, and, on start, the generations
// rotated away while we were stopped. A file is recognised by its first bytes and by the
// bytes just before the offset we had counted up to.

import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { SavedFile } from './file-tail.js';
import { endsWithAt, stillStartsWith } from './fingerprint.js';

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
    names = await readdir(dir);
  } catch {
    return [];
  }
  const found: FoundFile[] = [];
  for (const name of names) {
    const file = join(dir, name);
    if (!name.startsWith(base) || (name !== base && (isWatched(file) || COMPRESSED.test(name)))) continue;
    const stats = await stat(file).catch(() => null);
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
  const handle = await open(file, 'r').catch(() => null);
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
): Promise<string | null> {
  const candidates = (await siblings(path, () => false))
    .filter((f) => f.name !== path && !exclude(f.name, f.dev, f.ino))
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const candidate of candidates) {
    if (await sameContent(candidate.name, candidate.size, generation)) return candidate.name;
  }
  return null;
}
