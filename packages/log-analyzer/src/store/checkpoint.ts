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
import { chunksOf, type FamilySnapshot, familyKey, keyOf, type Series, type StoreSnapshot } from './store.js';

export const CHECKPOINT_FORMAT = 'log-analyzer-checkpoint';
export const CHECKPOINT_VERSION = 2;

export interface Checkpoint {
  writtenAt: number;
  store: StoreSnapshot;
  sources: Record<string, unknown>;
}

export class CheckpointError extends Error {}

const KINDS = new Set(['counter', 'gauge', 'histogram', 'summary']);
/** The Prometheus grammar (as the push decoder checks it); `le` and `quantile` are the exposition's own. */
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

import { LABEL_NAME } from '../metrics/prom-names.js';

const RESERVED_LABELS = new Set(['le', 'quantile']);

const finite = (v: unknown) => Number.isFinite(v);
const allFinite = (v: unknown) => Array.isArray(v) && v.every(finite);
const countable = (v: unknown) => Number.isFinite(v) && (v as number) >= 0;
/** Plain loops, not every(): this runs for each of up to 200,000 series at every start. */
function allCountable(values: unknown[]): boolean {
  for (const v of values) if (!countable(v)) return false;
  return true;
}
function allStrings(values: unknown[]): boolean {
  for (const v of values) if (typeof v !== 'string') return false;
  return true;
}

/**
 * Pure: why a list of label names cannot be exposed (a bad or reserved name, or one twice), or
 * null. Pushed series each carry their own list, mostly alike: the verdict is kept per list text.
 */
const labelNamesChecked = new Map<string, string | null>();
function labelNamesProblem(names: unknown): string | null {
  if (!Array.isArray(names) || !allStrings(names)) return 'bad label names';
  // With the count, two lists of one text are the same list (a name holding a comma is one name short).
  const text = `${names.length}:${names.join(',')}`;
  let problem = labelNamesChecked.get(text);
  if (problem === undefined) {
    const bad = names.find((n) => !LABEL_NAME.test(n) || n.startsWith('__') || RESERVED_LABELS.has(n));
    problem =
      bad !== undefined
        ? `label name ${JSON.stringify(bad)}`
        : new Set(names).size !== names.length
          ? `label names ${JSON.stringify(names)} repeat one`
          : null;
    if (labelNamesChecked.size > 10_000) labelNamesChecked.clear();
    labelNamesChecked.set(text, problem);
  }
  return problem;
}

/**
 * Pure: why a saved series cannot be restored, or null. Every number the store adds to must be
 * finite (JSON has no NaN or Infinity: JSON.stringify writes them as null); counts and a
 * counter's value cannot be negative; the label values match the names in number, and the
 * buckets and quantiles the family's bounds and targets (else /metrics would not parse). A
 * summary's quantiles are not restored (its window starts again), and an empty one is NaN.
 */
function seriesProblem(f: FamilySnapshot, s: Record<string, unknown> | null): string | null {
  if (typeof s !== 'object' || s === null) return 'not a series';
  const labels = s.labels;
  if (!Array.isArray(labels) || !allStrings(labels)) return 'bad labels';
  if (s.names !== undefined) {
    const problem = labelNamesProblem(s.names);
    if (problem) return problem;
  }
  const names = (s.names ?? f.labelNames) as unknown[];
  if (labels.length !== names.length) return `${labels.length} label values for ${names.length} label names`;
  if (f.kind === 'counter' || f.kind === 'gauge') {
    if (!('value' in s)) return 'no value';
    if (!finite(s.value) || (f.kind === 'counter' && !countable(s.value))) return `value ${JSON.stringify(s.value)}`;
    if (s.at !== undefined && !finite(s.at)) return `time ${JSON.stringify(s.at)}`;
    const last = s.last as Record<string, unknown> | undefined;
    if (last !== undefined && (typeof last !== 'object' || !Object.values(last ?? {}).every(finite)))
      return 'last totals';
    return null;
  }
  if (!countable(s.count) || !finite(s.sum)) return `count ${JSON.stringify(s.count)}, sum ${JSON.stringify(s.sum)}`;
  if (f.kind === 'histogram') {
    const buckets = s.buckets;
    const want = (f.bounds?.length ?? 0) + 1;
    if (!Array.isArray(buckets) || buckets.length !== want) return `bucket counts: not ${want}`;
    return allCountable(buckets) ? null : 'bucket counts';
  }
  const quantiles = s.quantiles;
  const want = f.targets?.length ?? 0;
  if (!Array.isArray(quantiles) || quantiles.length !== want) return `quantiles: not ${want}`;
  return quantiles.every((q) => q === null || finite(q)) ? null : 'quantiles';
}

/** Pure: why a family's bounds or targets cannot be exposed, or null. */
function layoutProblem(f: FamilySnapshot): string | null {
  const { bounds, targets } = f;
  if (bounds !== undefined) {
    // Strictly ascending: each bound is a bucket's upper limit (+Inf is implied, never saved).
    if (!allFinite(bounds) || bounds.some((b, i) => i > 0 && b <= (bounds[i - 1] as number)))
      return `bucket bounds ${JSON.stringify(bounds)}`;
  }
  if (targets !== undefined) {
    // As the push decoder takes them: quantile in (0, 1), epsilon in (0, 0.5].
    const ok = (t: { quantile?: unknown; epsilon?: unknown } | null) =>
      typeof t?.quantile === 'number' &&
      t.quantile > 0 &&
      t.quantile < 1 &&
      typeof t.epsilon === 'number' &&
      t.epsilon > 0 &&
      t.epsilon <= 0.5;
    if (!Array.isArray(targets) || !targets.every(ok)) return `targets ${JSON.stringify(targets)}`;
  }
  if (f.kind !== 'histogram' && bounds !== undefined) return 'bucket bounds on a non-histogram';
  if (f.kind !== 'summary' && targets !== undefined) return 'targets on a non-summary';
  return null;
}

/** How a problem names a family: its name, and a tenant's own family's tenant. */
const nameOf = (f: FamilySnapshot) =>
  `family ${METRIC_NAME.test(f.name) ? f.name : JSON.stringify(f.name)}${f.tenant === undefined ? '' : ` (tenant ${f.tenant})`}`;

/** Pure: why a saved family cannot be restored (naming it and the series), or null. */
function familyProblem(f: FamilySnapshot | null): string | null {
  if (typeof f?.name !== 'string') return 'a family without a name';
  if (!METRIC_NAME.test(f.name)) return `${nameOf(f)}: not a Prometheus metric name`;
  if (
    typeof f.help !== 'string' ||
    !KINDS.has(f.kind) ||
    !Array.isArray(f.labelNames) ||
    !Array.isArray(f.series) ||
    (f.tenant !== undefined && typeof f.tenant !== 'string')
  ) {
    return `${nameOf(f)}: unexpected shape`;
  }
  const problem = labelNamesProblem(f.labelNames) ?? layoutProblem(f);
  if (problem) return `${nameOf(f)}: ${problem}`;
  const keys = new Set<string>();
  for (const s of f.series) {
    const problem = seriesProblem(f, s as unknown as Record<string, unknown>);
    if (problem) return `${nameOf(f)}, series ${JSON.stringify(s?.labels ?? null)}: ${problem}`;
    // Two series of one key would be two samples alike in /metrics (and one in the store).
    const key = keyOf(s);
    if (keys.has(key)) return `${nameOf(f)}, series ${JSON.stringify(s.labels)}: twice`;
    keys.add(key);
  }
  return null;
}

/** Pure: why a saved store cannot be restored, or null. */
function snapshotProblem(value: unknown): string | null {
  const families = (value as StoreSnapshot | undefined)?.families;
  if (!Array.isArray(families)) return 'no families';
  const keys = new Set<string>();
  for (const f of families) {
    const problem = familyProblem(f);
    if (problem) return problem;
    const key = familyKey(f);
    if (keys.has(key)) return `${nameOf(f)}: twice`;
    keys.add(key);
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
