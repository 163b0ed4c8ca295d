// The file source's part of a checkpoint: what it keeps of each path and file, and reading it back
// (validated; positions files of version 1, one offset per path, read as one current generation). Pure.

import type { RestorePosition } from '../source.js';
import type { SavedGeneration } from './decisions.js';
import type { Fingerprint } from './fingerprint.js';

/** A generation as the checkpoint keeps it: identity, committed offset, and what lies around it. */
export interface SavedFile extends SavedGeneration {
  head: Fingerprint;
  /** The bytes just before `offset`. */
  tail: Fingerprint;
}

/** A file that was read to its end and let go: kept in the checkpoint until it expires. */
export interface FinishedFile extends SavedFile {
  path: string;
  /** When it was let go (ms since epoch). */
  at: number;
}

/** Everything the checkpoint keeps of one path: its open generations, oldest first. */
export interface SavedPath {
  path: string;
  files: SavedFile[];
  /** The last of `files` is the file at the path. */
  current: boolean;
}

/** The file source's position: what a checkpoint keeps of it, and what a start resumes from. */
export interface FilePosition {
  paths: SavedPath[];
  finished: FinishedFile[];
  /** Every file written before then is in `paths` or `finished`, or was never to be read (ms since epoch). */
  knownAt: number;
}

const isCount = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

function isFingerprint(f: unknown): f is Fingerprint {
  const o = f as Fingerprint | null;
  return typeof o === 'object' && o !== null && isCount(o.length) && typeof o.sha256 === 'string';
}

function isSavedFile(f: unknown): f is SavedFile {
  const o = f as SavedFile | null;
  return (
    typeof o === 'object' &&
    o !== null &&
    isCount(o.dev) &&
    isCount(o.ino) &&
    isCount(o.offset) &&
    isFingerprint(o.head) &&
    isFingerprint(o.tail)
  );
}

interface Version1 {
  path: string;
  dev: number;
  ino: number;
  offset: number;
  fingerprint: Fingerprint;
}

/** Null when there is nothing usable (a warning is the caller's). */
export const readFilePositions: RestorePosition<FilePosition> = (value, writtenAt) => {
  const doc = value as { paths?: unknown; finished?: unknown; files?: unknown; knownAt?: unknown } | null | undefined;
  if (!doc || typeof doc !== 'object') return null;
  if (Array.isArray(doc.files)) {
    const paths = (doc.files as Version1[])
      .filter((p) => typeof p?.path === 'string' && isFingerprint(p.fingerprint) && isCount(p.offset))
      .map((p) => ({
        path: p.path,
        files: [{ dev: p.dev, ino: p.ino, offset: p.offset, head: p.fingerprint, tail: { length: 0, sha256: '' } }],
        current: true,
      }));
    return { knownAt: writtenAt, paths, finished: [] };
  }
  const paths = (Array.isArray(doc.paths) ? doc.paths : []).filter(
    (p): p is SavedPath =>
      typeof p?.path === 'string' &&
      typeof p.current === 'boolean' &&
      Array.isArray(p.files) &&
      p.files.every(isSavedFile),
  );
  const finished = (Array.isArray(doc.finished) ? doc.finished : []).filter(
    (f): f is FinishedFile =>
      isSavedFile(f) && typeof (f as FinishedFile).path === 'string' && isCount((f as FinishedFile).at),
  );
  // Files written after knownAt may hold lines nobody counted (older checkpoints: their write time).
  const knownAt = isCount(doc.knownAt) ? doc.knownAt : writtenAt;
  return { knownAt, paths, finished };
};
