// copytruncate copies the log (access.log → access.log.1, or access.log-20261122) and then
// truncates it: lines we had not read yet survive only in the copy. This finds that copy by its
// first bytes, so a truncation loses nothing that reached the file.

import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type Fingerprint, stillStartsWith } from './fingerprint.js';

/**
 * The newest file beside `path`, named after it, that starts with the same bytes and holds at
 * least `minSize` bytes; null when there is none. Files the tailer follows anyway are skipped.
 */
export async function findCopy(
  path: string,
  fingerprint: Fingerprint,
  minSize: number,
  isWatched: (candidate: string) => boolean,
): Promise<string | null> {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return null;
  }
  const candidates: { file: string; mtime: number }[] = [];
  for (const name of names) {
    const file = join(dir, name);
    if (name === base || !name.startsWith(base) || isWatched(file)) continue;
    const stats = await stat(file).catch(() => null);
    if (stats?.isFile() && stats.size >= minSize) candidates.push({ file, mtime: stats.mtimeMs });
  }
  candidates.sort((a, b) => b.mtime - a.mtime);
  for (const { file } of candidates) {
    const handle = await open(file, 'r').catch(() => null);
    if (!handle) continue;
    try {
      if (await stillStartsWith(handle, fingerprint)) return file;
    } finally {
      await handle.close();
    }
  }
  return null;
}
