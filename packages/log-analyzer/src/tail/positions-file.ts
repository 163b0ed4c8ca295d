// Saved read positions, so a restart resumes where the last run stopped: each line once, across
// restarts. Written atomically (temp file + rename): a crash leaves the old file or the new one.

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SavedPosition } from './file-tail.js';

interface PositionsDocument {
  version: 1;
  files: SavedPosition[];
}

function isPosition(p: unknown): p is SavedPosition {
  const o = p as SavedPosition;
  return (
    typeof o === 'object' &&
    o !== null &&
    typeof o.path === 'string' &&
    Number.isSafeInteger(o.dev) &&
    Number.isSafeInteger(o.ino) &&
    Number.isSafeInteger(o.offset) &&
    o.offset >= 0 &&
    typeof o.fingerprint?.sha256 === 'string' &&
    Number.isSafeInteger(o.fingerprint?.length)
  );
}

/** Reads saved positions. A missing file is a first start; a corrupt one is reported and ignored. */
export async function loadPositions(
  path: string,
  warn: (message: string) => void,
): Promise<Map<string, SavedPosition>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      warn(`cannot read positions file ${path} (${(error as Error).message}); starting fresh`);
    }
    return new Map();
  }
  try {
    const doc = JSON.parse(text) as PositionsDocument;
    if (doc.version !== 1 || !Array.isArray(doc.files) || !doc.files.every(isPosition))
      throw new Error('unexpected content');
    return new Map(doc.files.map((p) => [p.path, p]));
  } catch (error) {
    warn(`positions file ${path} is corrupt (${(error as Error).message}); starting fresh`);
    return new Map();
  }
}

export function serializePositions(files: readonly SavedPosition[]): string {
  const doc: PositionsDocument = { version: 1, files: [...files].sort((a, b) => a.path.localeCompare(b.path)) };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export async function savePositions(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, text);
  await rename(temp, path);
}
