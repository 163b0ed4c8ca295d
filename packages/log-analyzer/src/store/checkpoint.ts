// The checkpoint: every value of the store and every source's committed position, in one file,
// so that after a restart (or kill -9) the counts and the positions they include agree exactly.
// Written atomically: temp file, fsync, rename, fsync of the directory. A crash leaves the old
// checkpoint or the new one, never a mix.
//
// Format (JSON, documented in the README):
//   { "format": "log-analyzer-checkpoint", "version": 2, "writtenAt": <ms since epoch>,
//     "store": { "families": [ { name, help, kind, labelNames, bounds?, targets?, series: [...] } ] },
//     "sources": { "file": <the file source's positions> } }
// Version 1 (positions only, from earlier releases) is read as positions with no counts.

import { existsSync, mkdirSync, statSync } from 'node:fs';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { chunksOf, type FamilySnapshot, type Series, type StoreSnapshot } from './store.js';

export const CHECKPOINT_FORMAT = 'log-analyzer-checkpoint';
export const CHECKPOINT_VERSION = 2;

export interface Checkpoint {
  writtenAt: number;
  store: StoreSnapshot;
  sources: Record<string, unknown>;
}

export class CheckpointError extends Error {}

const KINDS = new Set(['counter', 'gauge', 'histogram', 'summary']);

function isSeries(s: Record<string, unknown> | null): boolean {
  if (!Array.isArray(s?.labels) || (s.names !== undefined && !Array.isArray(s.names))) return false;
  if ('value' in s) return Number.isFinite(s.value);
  if ('buckets' in s) return Array.isArray(s.buckets) && Number.isFinite(s.count);
  return Array.isArray(s.quantiles) && Number.isFinite(s.count);
}

function isSnapshot(value: unknown): value is StoreSnapshot {
  const families = (value as StoreSnapshot | undefined)?.families;
  return (
    Array.isArray(families) &&
    families.every(
      (f) =>
        typeof f?.name === 'string' &&
        typeof f.help === 'string' &&
        KINDS.has(f.kind) &&
        Array.isArray(f.labelNames) &&
        Array.isArray(f.series) &&
        f.series.every((s) => isSeries(s as unknown as Record<string, unknown>)),
    )
  );
}

/** Pure: the text of a checkpoint file → its content; throws on anything unexpected. */
export function parseCheckpoint(text: string, fileTime = 0): Checkpoint {
  const doc = JSON.parse(text);
  if (doc?.version === 1 && Array.isArray(doc.files)) {
    return { writtenAt: fileTime, store: { families: [] }, sources: { file: { files: doc.files } } };
  }
  if (doc?.format !== CHECKPOINT_FORMAT || doc.version !== CHECKPOINT_VERSION) {
    throw new Error(`not a version ${CHECKPOINT_VERSION} checkpoint`);
  }
  if (!Number.isFinite(doc.writtenAt) || !isSnapshot(doc.store) || typeof doc.sources !== 'object') {
    throw new Error('unexpected content');
  }
  return { writtenAt: doc.writtenAt, store: doc.store, sources: doc.sources ?? {} };
}

/** Each family copy's JSON, and each chunk copy's: the store reuses copies that did not change. */
const familyJson = new WeakMap<FamilySnapshot, string>();
const chunkJson = new WeakMap<readonly Series[], string>();

function jsonOfFamily(family: FamilySnapshot): string {
  const chunks = chunksOf(family);
  if (!chunks) return JSON.stringify(family);
  // `series` is the copy's last property: the rest, then the chunks' items between the brackets.
  const head = JSON.stringify({ ...family, series: [] }).slice(0, -2);
  const parts: string[] = [];
  for (const chunk of chunks) {
    if (chunk.length === 0) continue;
    let json = chunkJson.get(chunk);
    if (json === undefined) {
      json = JSON.stringify(chunk).slice(1, -1);
      chunkJson.set(chunk, json);
    }
    parts.push(json);
  }
  return `${head}${parts.join(',')}]}`;
}

/**
 * The checkpoint's content without its time: V8's JSON.stringify (it beat every hand-made
 * serializer tried) per chunk of series, reused for the chunks and families that did not change.
 */
export function checkpointBody(store: StoreSnapshot, sources: Record<string, unknown>): string {
  const families = store.families.map((family) => {
    let json = familyJson.get(family);
    if (json === undefined) {
      json = jsonOfFamily(family);
      familyJson.set(family, json);
    }
    return json;
  });
  return `{"format":"${CHECKPOINT_FORMAT}","version":${CHECKPOINT_VERSION},"store":{"families":[${families.join(',')}]},"sources":${JSON.stringify(sources)}}`;
}

export function serializeCheckpoint(body: string, writtenAt: number): string {
  return `${body.slice(0, -1)},"writtenAt":${writtenAt}}\n`;
}

/**
 * Reads the checkpoint. A missing file is a first start (null). A corrupt or unreadable one is
 * reported once, moved aside to `<path>.corrupt` for a post-mortem, and the start is a fresh one.
 */
export async function loadCheckpoint(path: string, warn: (message: string) => void): Promise<Checkpoint | null> {
  let text: string;
  let fileTime = 0;
  try {
    text = await readFile(path, 'utf8');
    fileTime = statSync(path).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    warn(`cannot read checkpoint ${path} (${(error as Error).message}); starting fresh`);
    return null;
  }
  try {
    return parseCheckpoint(text, fileTime);
  } catch (error) {
    const aside = `${path}.corrupt`;
    await rename(path, aside).catch(() => {});
    warn(`checkpoint ${path} is corrupt (${(error as Error).message}); kept as ${aside}, starting fresh`);
    return null;
  }
}

/**
 * Makes sure the checkpoint can be written before anything starts: creates its directory (one
 * level at a time: Node 20's recursive mkdir spins forever under /proc) and tries a write.
 * Throws a CheckpointError that names the path and the reason.
 */
export async function checkWritable(path: string): Promise<void> {
  const dir = dirname(resolve(path));
  try {
    makeDirectories(dir);
    if (existsSync(path) && !statSync(path).isFile()) throw Object.assign(new Error('not a regular file'), {});
    const probe = `${path}.${process.pid}.probe`;
    const handle = await open(probe, 'w');
    await handle.close();
    await unlink(probe);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const reason =
      e.code === 'EROFS' ? 'read-only file system' : e.code === 'EACCES' ? 'permission denied' : (e.code ?? e.message);
    throw new CheckpointError(`cannot write checkpoint ${path}: ${reason}`);
  }
}

function makeDirectories(dir: string): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error(`${dir} is not a directory`), { code: 'ENOTDIR' });
    return;
  }
  const parent = dirname(dir);
  if (parent !== dir) makeDirectories(parent);
  mkdirSync(dir);
}

export async function writeCheckpoint(path: string, text: string): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  // The rename itself is durable only once the directory is synced.
  const dir = await open(dirname(resolve(path)), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
