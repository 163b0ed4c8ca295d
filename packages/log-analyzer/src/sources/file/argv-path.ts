// A path given on the command line. Node decodes argv as UTF-8 and replaces the bytes that are
// not (U+FFFD), so a file whose name is not UTF-8 cannot be named exactly there. When such a path
// does not exist, the one file in its directory whose name reads the same with those bytes
// replaced is the one meant.

import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { decodeName, fsPath } from './fs-names.js';

export async function resolveArgvPath(path: string): Promise<string> {
  if (!path.includes('\uFFFD')) return path;
  if (
    await stat(path).then(
      () => true,
      () => false,
    )
  )
    return path;
  const dir = dirname(path);
  const base = basename(path);
  const names = await readdir(fsPath(dir), { encoding: 'buffer' }).catch(() => [] as Buffer[]);
  const matches = names.filter((name) => name.toString('utf8') === base);
  return matches.length === 1 ? join(dir, decodeName(matches[0] as Buffer)) : path;
}
