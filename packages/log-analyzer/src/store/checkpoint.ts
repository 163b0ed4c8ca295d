// The checkpoint: every value of the store and every source's committed position, in one file,
// so that after a restart (or kill -9) the counts and the positions they include agree exactly.
// Written atomically and verified: temp file, fsync, rename, fsync of the directory; the one before
// is kept as `<file>.prev` (checkpoint-load.ts falls back to it). A crash leaves the old checkpoint
// or the new one, never a mix.
//
// Format (JSON, documented in the README):
//   { "format": "log-analyzer-checkpoint", "version": 2, "writtenAt": <ms since epoch>,
//     "store": { "families": [ { name, help, kind, labelNames, bounds?, targets?, series: [...] } ] },
//     "sources": { "file": <the file source's positions> } }
// Version 1 (positions only, from earlier releases) is read as positions with no counts.

import { constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
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

const finite = (v: unknown) => Number.isFinite(v);
const allFinite = (v: unknown) => Array.isArray(v) && v.every(finite);

/**
 * Pure: why a saved series cannot be restored, or null. Every number the store adds to must be
 * finite (JSON has no NaN or Infinity: JSON.stringify writes them as null). A summary's quantiles
 * are the exception: they are not restored (its window starts again), and an empty one is NaN.
 */
function seriesProblem(s: Record<string, unknown> | null): string | null {
  if (!Array.isArray(s?.labels) || (s.names !== undefined && !Array.isArray(s.names))) return 'bad labels';
  if ('value' in s) {
    if (!finite(s.value)) return `value ${JSON.stringify(s.value)}`;
    if (s.at !== undefined && !finite(s.at)) return `time ${JSON.stringify(s.at)}`;
    const last = s.last as Record<string, unknown> | undefined;
    if (last !== undefined && (typeof last !== 'object' || !Object.values(last ?? {}).every(finite)))
      return 'last totals';
    return null;
  }
  if (!finite(s.count) || !finite(s.sum)) return `count ${JSON.stringify(s.count)}, sum ${JSON.stringify(s.sum)}`;
  if ('buckets' in s) return allFinite(s.buckets) ? null : 'bucket counts';
  const quantiles = s.quantiles;
  return Array.isArray(quantiles) && quantiles.every((q) => q === null || finite(q)) ? null : 'quantiles';
}

/** Pure: why a saved family cannot be restored (naming it and the series), or null. */
function familyProblem(f: FamilySnapshot | null): string | null {
  if (typeof f?.name !== 'string') return 'a family without a name';
  if (typeof f.help !== 'string' || !KINDS.has(f.kind) || !Array.isArray(f.labelNames) || !Array.isArray(f.series)) {
    return `family ${f.name}: unexpected shape`;
  }
  if (f.bounds !== undefined && !allFinite(f.bounds)) return `family ${f.name}: bucket bounds`;
  for (const s of f.series) {
    const problem = seriesProblem(s as unknown as Record<string, unknown>);
    if (problem) return `family ${f.name}, series ${JSON.stringify(s?.labels ?? null)}: ${problem}`;
  }
  return null;
}

/** Pure: why a saved store cannot be restored, or null. */
function snapshotProblem(value: unknown): string | null {
  const families = (value as StoreSnapshot | undefined)?.families;
  if (!Array.isArray(families)) return 'no families';
  for (const f of families) {
    const problem = familyProblem(f);
    if (problem) return problem;
  }
  return null;
}

/** Reads serialized text back as the start will; throws (a CheckpointError) if it would refuse it. */
function readsBack(json: string, family: string): void {
  let problem: string | null;
  try {
    problem = familyProblem(JSON.parse(json));
  } catch (error) {
    problem = `family ${family}: ${(error as Error).message}`;
  }
  if (problem) throw new CheckpointError(`checkpoint not written: it would not read back: ${problem}`);
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
  if (!Number.isFinite(doc.writtenAt) || typeof doc.sources !== 'object' || doc.sources === null) {
    throw new Error('unexpected content');
  }
  const problem = snapshotProblem(doc.store);
  if (problem) throw new Error(`cannot be restored: ${problem}`);
  return { writtenAt: doc.writtenAt, store: doc.store, sources: doc.sources };
}

/** Each family copy's JSON, and each chunk copy's: the store reuses copies that did not change. */
const familyJson = new WeakMap<FamilySnapshot, string>();
const chunkJson = new WeakMap<readonly Series[], string>();

function jsonOfFamily(family: FamilySnapshot): string {
  const chunks = chunksOf(family);
  if (!chunks) {
    const json = JSON.stringify(family);
    readsBack(json, family.name);
    return json;
  }
  // `series` is the copy's last property: the rest, then the chunks' items between the brackets.
  const head = JSON.stringify({ ...family, series: [] }).slice(0, -2);
  readsBack(`${head}]}`, family.name);
  const parts: string[] = [];
  for (const chunk of chunks) {
    if (chunk.length === 0) continue;
    let json = chunkJson.get(chunk);
    if (json === undefined) {
      json = JSON.stringify(chunk).slice(1, -1);
      // Read back once, when made (a chunk that did not change was checked then).
      readsBack(`${head}${json}]}`, family.name);
      chunkJson.set(chunk, json);
    }
    parts.push(json);
  }
  return `${head}${parts.join(',')}]}`;
}

/**
 * The checkpoint's content without its time: V8's JSON.stringify (it beat every hand-made
 * serializer tried) per chunk of series, reused for the chunks and families that did not change.
 * Each piece made is parsed back and checked as the start checks it (JSON.stringify writes NaN
 * and Infinity as null, which the start refuses): a piece that would not read back throws a
 * CheckpointError, and nothing is written. Reading back only new pieces keeps this cheap (a whole
 * 13 MB checkpoint takes ~0.45 s to parse and check; its unchanged pieces need not be).
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

/** Creates `dir` and its parents, one level at a time. */
export function makeDirectories(dir: string): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error(`${dir} is not a directory`), { code: 'ENOTDIR' });
    return;
  }
  const parent = dirname(dir);
  if (parent !== dir) makeDirectories(parent);
  mkdirSync(dir);
}

/** The previous generation, kept beside the checkpoint: the start falls back to it. */
export const previousOf = (path: string) => `${path}.prev`;

/**
 * Writes the checkpoint (its text read back piece by piece as checkpointBody made it): temp file
 * (exclusive create, no symlink followed; a stale one from a crash is removed first), fsync,
 * the current file renamed to the previous generation, the temp file renamed in, fsync of the
 * directory. A crash between the two renames leaves only the previous generation, which the
 * start then takes.
 */
export async function writeCheckpoint(path: string, text: string): Promise<void> {
  const temp = `${path}.tmp`;
  await unlink(temp).catch(ignore('ENOENT'));
  const handle = await open(
    temp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o644,
  );
  try {
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(path, previousOf(path)).catch(ignore('ENOENT'));
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
  await syncDirectory(dirname(resolve(path)));
}

/** Makes renames and new names in `dir` durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A catch handler that lets one error code pass. */
export function ignore(code: string): (error: NodeJS.ErrnoException) => void {
  return (error) => {
    if (error.code !== code) throw error;
  };
}
