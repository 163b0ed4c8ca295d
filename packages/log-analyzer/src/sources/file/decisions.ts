// The file source's decisions, as pure functions of what we know and what stat and the
// fingerprints say: is this file the same, grown, truncated, replaced or gone; when a new
// generation starts at a path and when a rotated one is done; and on start, which files beside a
// path hold lines the checkpoint has not counted yet. No I/O here.

/** What we know of a file we hold open. */
export interface Known {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  /** Next byte to read. */
  offset: number;
}

export interface Seen {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

export type PathVerdict =
  /** Same file, same size and time, all of it read: nothing to do (an idle check costs this one stat). */
  | 'idle'
  /** Same file, changed: look at its first bytes, then read. */
  | 'changed'
  /** Same file, shorter than what we read: truncated (copytruncate); read again from 0. */
  | 'truncated'
  /** Another file sits at the path now (rename rotation, delete and re-create). */
  | 'replaced'
  /** Nothing (or no regular file) at the path. */
  | 'gone';

/** What the path's stat says about the file we hold for it. */
export function judgePath(known: Known, seen: Seen | null): PathVerdict {
  if (!seen) return 'gone';
  if (seen.dev !== known.dev || seen.ino !== known.ino) return 'replaced';
  if (seen.size < known.offset) return 'truncated';
  if (seen.size === known.size && seen.mtimeMs === known.mtimeMs && known.offset >= seen.size) return 'idle';
  return 'changed';
}

/** After 'changed': the file still starts with the bytes we fingerprinted, or it was truncated and regrew. */
export function judgeChanged(headStillMatches: boolean): 'grown' | 'truncated' {
  return headStillMatches ? 'grown' : 'truncated';
}

/** The file we follow at the path left it (renamed away, replaced, deleted): it becomes a rotated generation. */
export function leavesPath(verdict: PathVerdict): boolean {
  return verdict === 'replaced' || verdict === 'gone';
}

/** What a look at the path finds, once the file we followed there (if any) is known to stay or leave. */
export interface Arrival {
  /** We still follow a file at the path. */
  following: boolean;
  /** A regular file sits at the path. */
  fileThere: boolean;
  /** That file is followed under another path already (a symlink, a glob that matches it too). */
  heldElsewhere: boolean;
  /** The previous look found nothing at the path. */
  emptyBefore: boolean;
}

export type ArrivalStep =
  /** Whole generations may have come and gone since the last look: open them from beside the path. */
  | 'find-missed'
  /** Open the file at the path as the new current generation. */
  | 'open-at-path';

/**
 * Whether a new generation starts at the path, in order. Nothing was at the path at the last
 * look: whole generations may have been created, written and renamed away in the gap; they are
 * older than the file at the path now, so they go first.
 */
export function planArrival({ following, fileThere, heldElsewhere, emptyBefore }: Arrival): ArrivalStep[] {
  if (following || !fileThere || heldElsewhere) return [];
  return emptyBefore ? ['find-missed', 'open-at-path'] : ['open-at-path'];
}

/**
 * A generation rotated away from the path, just read to its end: deleted, nobody can write to it
 * any more; renamed, it stays open `rotateWaitMs` after its last growth for writers that have not
 * reopened yet (the next poll looks again).
 */
export function judgeRotated(links: number, quietMs: number, rotateWaitMs: number): 'finish' | 'wait' {
  return links === 0 || quietMs >= rotateWaitMs ? 'finish' : 'wait';
}

/** A generation the checkpoint knows: a file that was at the path, or rotated away from it. */
export interface SavedGeneration {
  dev: number;
  ino: number;
  /** Everything before this byte is counted. */
  offset: number;
}

/** A file found beside the path on start (the path's own file included). */
export interface Candidate {
  name: string;
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  /** This is the file at the path itself. */
  atPath: boolean;
}

export interface ResumeStep<G extends SavedGeneration, C extends Candidate = Candidate> {
  candidate: C;
  offset: number;
  /** The saved generation this file continues; none for a file read whole. */
  generation: G | null;
}

export interface ResumeInput<G extends SavedGeneration, C extends Candidate> {
  /** Generations the checkpoint holds for this path, oldest first, and those it let go recently. */
  saved: readonly G[];
  candidates: readonly C[];
  /**
   * Whether a candidate holds what we read of a generation: its first bytes and the bytes just
   * before the saved offset match (and it is long enough). Supplied by the caller, who reads them.
   */
  sameContent(candidate: C, generation: G): boolean;
  /** Whether a candidate starts with a generation's first bytes (a copy of it, maybe a short one). */
  startsLike?(candidate: C, generation: G): boolean;
  /** When the checkpoint was written (ms); 0 when unknown. */
  writtenAt: number;
}

/**
 * Which files to read on start, from where, oldest first; the path's own file, if any, last.
 * - A saved generation is found by device + inode (and its content still matching), else by
 *   content alone (a copytruncate copy, or a rename onto another file system); it is read from its
 *   saved offset. Each candidate serves one generation.
 * - A candidate the checkpoint does not know, modified after the checkpoint was written, was
 *   rotated in and out while we were stopped: it is read whole. Unless it starts like a saved
 *   generation: then it is a copy of one (copytruncate stopped between its copy and its
 *   truncation, with the file we know still at the path), and its lines are that generation's.
 * - The path's file, when the checkpoint does not know it, is read from 0: the path is known, so
 *   whatever sits there now arrived after the checkpoint.
 */
export function planResume<G extends SavedGeneration, C extends Candidate>({
  saved,
  candidates,
  sameContent,
  startsLike = () => false,
  writtenAt,
}: ResumeInput<G, C>): ResumeStep<G, C>[] {
  const used = new Set<C>();
  const steps: ResumeStep<G, C>[] = [];
  for (const generation of saved) {
    // A file shorter than the offset is not that generation (it was truncated, or the inode reused).
    const fits = (c: C) => !used.has(c) && c.size >= generation.offset && sameContent(c, generation);
    const byInode = candidates.find((c) => c.dev === generation.dev && c.ino === generation.ino && fits(c));
    const found = byInode ?? candidates.find(fits);
    if (!found) continue;
    used.add(found);
    if (found.size > generation.offset || found.atPath)
      steps.push({ candidate: found, offset: generation.offset, generation });
  }
  const unknown = candidates
    .filter((c) => !used.has(c) && !c.atPath && c.mtimeMs > writtenAt && !saved.some((g) => startsLike(c, g)))
    .sort((a, b) => a.mtimeMs - b.mtimeMs);
  for (const candidate of unknown) steps.push({ candidate, offset: 0, generation: null });
  const atPath = candidates.find((c) => c.atPath && !used.has(c));
  if (atPath) steps.push({ candidate: atPath, offset: 0, generation: null });
  // The path's own file is followed on: it goes last whatever generation it matched.
  const at = steps.findIndex((s) => s.candidate.atPath);
  if (at >= 0 && at !== steps.length - 1) steps.push(...steps.splice(at, 1));
  return steps;
}
