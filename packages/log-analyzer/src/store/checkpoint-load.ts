// Which checkpoint generation a start carries on from. The newest (`<file>`) if it reads back;
// else the previous one (`<file>.prev`, one checkpoint older: the push log and the file positions
// it holds are replayed from there); else the start is refused, since starting fresh would reset
// every counter and lose every read position, unless --start-fresh says so. A file that cannot be
// used is never overwritten: it is moved aside under a name no other takes. The decision is pure
// (planLoad); reading and moving are at the edge.

import { existsSync } from 'node:fs';
import { readFile, rename, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type Checkpoint, CheckpointError, parseCheckpoint, previousOf, syncDirectory } from './checkpoint.js';
import { type CheckpointLock, lockCheckpoint } from './checkpoint-lock.js';

/** What one generation's file turned out to be. */
export type Generation =
  | { state: 'missing' }
  | { state: 'usable' }
  /** Corrupt, not a checkpoint, or not readable (EACCES, EIO, a directory): never "no checkpoint". */
  | { state: 'unusable'; reason: string };

export interface LoadPlan {
  /** The generation to carry on from; null: a fresh start (a first one, or --start-fresh). */
  load: 'current' | 'previous' | null;
  /** The unusable generations to move aside before anything is written. */
  aside: ('current' | 'previous')[];
  /** Said once at start (null: nothing to say). */
  say: string | null;
  /** Why the start is refused (null: it goes on). */
  refuse: string | null;
}

/** Pure: from the two generations (and --start-fresh), what the start does. */
export function planLoad(path: string, current: Generation, previous: Generation, startFresh: boolean): LoadPlan {
  const prev = previousOf(path);
  const asidePrevious: LoadPlan['aside'] = previous.state === 'unusable' ? ['previous'] : [];
  if (current.state === 'usable') {
    const say =
      previous.state === 'unusable'
        ? `previous checkpoint generation ${prev} is unusable (${previous.reason}); moved aside`
        : null;
    return { load: 'current', aside: asidePrevious, say, refuse: null };
  }
  if (previous.state === 'usable') {
    const why =
      current.state === 'missing'
        ? `checkpoint ${path} is missing (a stop between the two renames of a write)`
        : `checkpoint ${path} is unusable (${current.reason}; moved aside)`;
    return {
      load: 'previous',
      aside: current.state === 'unusable' ? ['current'] : [],
      say: `${why}: resuming from the previous generation ${prev}, one checkpoint older (files and the push log are read again from its positions)`,
      refuse: null,
    };
  }
  if (current.state === 'missing' && previous.state === 'missing')
    return { load: null, aside: [], say: null, refuse: null };
  const reasons = [
    current.state === 'unusable' ? `${path} is unusable (${current.reason})` : `${path} is missing`,
    previous.state === 'unusable' ? `${prev} is unusable (${previous.reason})` : `${prev} is missing`,
  ].join(' and ');
  const aside: LoadPlan['aside'] = [...(current.state === 'unusable' ? ['current' as const] : []), ...asidePrevious];
  if (startFresh) {
    return {
      load: null,
      aside,
      say: `no usable checkpoint: ${reasons}; moved aside, starting fresh (--start-fresh)`,
      refuse: null,
    };
  }
  return {
    load: null,
    aside: [],
    say: null,
    refuse: `no usable checkpoint: ${reasons}; refusing to start from zero (every counter and read position would be lost). Fix or move the files, or start once with --start-fresh to keep them aside and start fresh`,
  };
}

/** Pure: a name beside `path` for an unusable file that no earlier one has (`taken` says which exist). */
export function asideName(path: string, now: Date, taken: (name: string) => boolean): string {
  const base = `${path}.corrupt-${now.toISOString().replace(/:/g, '-')}`;
  let name = base;
  for (let n = 1; taken(name); n++) name = `${base}-${n}`;
  return name;
}

export interface LoadedCheckpoint {
  checkpoint: Checkpoint | null;
  /** Which file it came from (null: a fresh start). */
  from: string | null;
}

/** The reads a load needs; node:fs by default, a failing one in tests (EIO cannot be made otherwise as root). */
export interface CheckpointReader {
  read(path: string): Promise<{ text: string; mtimeMs: number }>;
}

const NODE_READER: CheckpointReader = {
  async read(path) {
    const text = await readFile(path, 'utf8');
    return { text, mtimeMs: (await stat(path)).mtimeMs };
  },
};

async function examine(
  path: string,
  reader: CheckpointReader,
): Promise<{ generation: Generation; checkpoint?: Checkpoint }> {
  let file: { text: string; mtimeMs: number };
  try {
    file = await reader.read(path);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') return { generation: { state: 'missing' } };
    return { generation: { state: 'unusable', reason: `cannot be read: ${e.code ?? e.message}` } };
  }
  try {
    return { generation: { state: 'usable' }, checkpoint: parseCheckpoint(file.text, file.mtimeMs) };
  } catch (error) {
    return { generation: { state: 'unusable', reason: (error as Error).message } };
  }
}

/**
 * Reads the checkpoint (or its previous generation) and moves unusable files aside. Throws a
 * CheckpointError (one line: which files, why, what to do) when the start must be refused.
 */
export async function loadCheckpoint(
  path: string,
  options: { startFresh: boolean; say: (message: string) => void; reader?: CheckpointReader },
): Promise<LoadedCheckpoint> {
  const reader = options.reader ?? NODE_READER;
  const current = await examine(path, reader);
  const previous = await examine(previousOf(path), reader);
  const plan = planLoad(path, current.generation, previous.generation, options.startFresh);
  if (plan.refuse) throw new CheckpointError(plan.refuse);
  const moved: string[] = [];
  for (const which of plan.aside) {
    const from = which === 'current' ? path : previousOf(path);
    const to = asideName(from, new Date(), existsSync);
    try {
      await rename(from, to);
    } catch (error) {
      throw new CheckpointError(
        `cannot move the unusable checkpoint ${from} aside: ${(error as NodeJS.ErrnoException).code ?? error}`,
      );
    }
    moved.push(`${from} → ${to}`);
  }
  if (moved.length > 0) await syncDirectory(dirname(resolve(path)));
  if (plan.say) options.say(moved.length > 0 ? `${plan.say} (${moved.join(', ')})` : plan.say);
  if (plan.load === 'current') return { checkpoint: current.checkpoint ?? null, from: path };
  if (plan.load === 'previous') return { checkpoint: previous.checkpoint ?? null, from: previousOf(path) };
  return { checkpoint: null, from: null };
}

/**
 * What a start carries on from, under the checkpoint's lock: the lock first (one analyzer per
 * checkpoint, and so per push log and Redis consumer name), then the generation to load. A refused
 * load lets the lock go. The caller releases the lock at stop.
 */
export async function openCheckpoint(
  path: string,
  options: { startFresh: boolean; say: (message: string) => void },
): Promise<{ lock: CheckpointLock; checkpoint: Checkpoint | null }> {
  const lock = await lockCheckpoint(path, { lost: options.say });
  try {
    return { lock, checkpoint: (await loadCheckpoint(path, options)).checkpoint };
  } catch (error) {
    await lock.release();
    throw error;
  }
}
