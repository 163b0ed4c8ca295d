// Opens the generations of one watched path for its follower (file-tail.ts): the file at the
// path, and the files beside it that hold lines not counted yet (generations rotated in and out
// between two looks, the copy copytruncate left, what a checkpoint knows on start). Every file
// opened is claimed in the identity registry first: a file reached through several paths is
// followed once. Which files those are is decided in generations.ts and decisions.ts.

import { type FileHandle, open } from 'node:fs/promises';
import { type Fingerprint, stillStartsWith } from './fingerprint.js';
import { fsPath } from './fs-names.js';
import { Generation, type GenerationReaderOptions } from './generation.js';
import {
  findAfterTruncation,
  findMissed,
  findResumeSteps,
  type HeldFile,
  holdSiblings,
  MTIME_SLACK_MS,
} from './generations.js';
import type { IdentityRegistry } from './identities.js';
import type { SavedFile, SavedPath } from './saved-positions.js';

export interface GenerationOpenerOptions {
  reader: GenerationReaderOptions;
  /** Whether a path is followed by its own tail: such a file is never read as a copy. */
  isWatched?(path: string): boolean;
  identities?: IdentityRegistry;
  /** A generation of this path was opened at `now` (the first one, or a new one). */
  onOpen(now: number): void;
  /** The first time this path follows a file (an alias of another path's file never does). */
  onFollow?(): void;
  now(): number;
}

/** A held file to follow, read on from `offset`. */
interface PlannedOpen {
  candidate: HeldFile;
  offset: number;
  /** Fingerprint of the bytes before `offset`, when known. */
  tail?: Fingerprint | undefined;
}

export class GenerationOpener {
  private followed = false;

  constructor(
    private readonly label: string,
    private readonly options: GenerationOpenerOptions,
  ) {}

  /**
   * Opens the file at the path, unless another tail follows it already (null then). A file
   * another path read and let go carries on from where that left off; on the first start with
   * --from end, reading starts at the line being written.
   */
  async atPath(from: 'end' | 'beginning', atStart: boolean): Promise<Generation | null> {
    const handle = await open(fsPath(this.label), 'r');
    const opened = await this.follow(handle, await handle.stat());
    if (!opened) return null;
    const { generation, finished } = opened;
    const { reader } = generation;
    if (finished && generation.knownSize >= finished.offset && (await stillStartsWith(handle, finished.head))) {
      await reader.restartAt(finished.offset, finished.tail);
    } else if (from === 'end' && atStart) {
      await reader.restartAt(await reader.lineStartAtOrBefore(generation.knownSize));
    }
    return generation;
  }

  /**
   * Start from a checkpoint: every generation it knows is read on from its offset, files rotated
   * in and out while we were stopped are read whole, oldest first, and the path's file goes last.
   */
  async resume(saved: SavedPath, writtenAt: number): Promise<{ generation: Generation; atPath: boolean }[]> {
    const identities = this.options.identities;
    const generations: SavedFile[] = [...(identities?.finishedOf(this.label) ?? []), ...saved.files];
    const opened = await this.followPlanned(
      () => holdSiblings(this.label, this.isWatched),
      async (held) =>
        (await findResumeSteps(held, generations, writtenAt)).map((step) => ({
          candidate: step.candidate,
          offset: step.offset,
          tail: step.generation?.tail,
        })),
    );
    // Saved generations with nothing left to read (or gone) are not opened: they are remembered as
    // finished, so the next checkpoint still knows them. Otherwise a checkpoint taken before this
    // start is ready would lose them, and the start after it would read them again from 0 as
    // files it does not know (found by a 25-run loop of the crash test: 76,000 of 60,000).
    const open = new Set(opened.map(({ generation }) => `${generation.dev}:${generation.ino}`));
    for (const generation of saved.files) {
      if (!open.has(`${generation.dev}:${generation.ino}`)) identities?.release(this.label, generation);
    }
    return opened.map(({ step, generation }) => ({ generation, atPath: step.candidate.atPath }));
  }

  /**
   * The files beside the path that nobody follows or has read (`holds` says which this path has
   * open) and that were written since `sinceMs`, oldest first: whole generations rotated in and
   * out between two checks (polling, or a burst of rotations). File times are coarse, so a few
   * ms of slack.
   */
  async missed(sinceMs: number, holds: (dev: number, ino: number) => boolean): Promise<Generation[]> {
    if (sinceMs === 0) return [];
    const opened = await this.followPlanned(
      () => holdSiblings(this.label, this.isWatched, this.known(holds)),
      async (held) => findMissed(held, sinceMs - MTIME_SLACK_MS).map((candidate) => ({ candidate, offset: 0 })),
    );
    return opened.map(({ generation }) => generation);
  }

  /**
   * After copytruncate: what we had not read of `truncated` (a generation's saved position) is in
   * the copy, from its committed offset on. The copy counts only if it starts with our first
   * bytes, holds our last committed bytes right before that offset, and is no file any tail
   * follows or has finished (an older generation with the same first lines is not a copy).
   * Then, read whole, the generations written since `sinceMs` that are not ours (findAfterTruncation).
   */
  async afterTruncation(
    truncated: SavedFile,
    sinceMs: number,
    holds: (dev: number, ino: number) => boolean,
  ): Promise<{ generation: Generation; copy: boolean }[]> {
    const opened = await this.followPlanned(
      () => holdSiblings(this.label, this.isWatched, this.known(holds)),
      async (held) => {
        const { copy, missed } = await findAfterTruncation(held, truncated, sinceMs - MTIME_SLACK_MS);
        const fromCopy = copy ? [{ candidate: copy, offset: truncated.offset, tail: truncated.tail, copy: true }] : [];
        const whole = sinceMs === 0 ? [] : missed.map((candidate) => ({ candidate, offset: 0, copy: false }));
        return [...fromCopy, ...whole];
      },
    );
    return opened.map(({ step, generation }) => ({ generation, copy: step.copy }));
  }

  private readonly isWatched = (path: string): boolean => this.options.isWatched?.(path) === true;

  /** A file this path has open, or any tail holds or has finished: never a copy or a missed generation. */
  private known(holds: (dev: number, ino: number) => boolean): (dev: number, ino: number) => boolean {
    return (dev, ino) => holds(dev, ino) || this.options.identities?.isKnown(dev, ino) === true;
  }

  /**
   * Follows an open file as a generation of this path and claims its identity (taken from the
   * fd: the path may have moved on since we looked). Null, and the handle closed, when another
   * tail holds the same file.
   */
  private async follow(
    handle: FileHandle,
    stats: { dev: number; ino: number; size: number; mtimeMs: number },
  ): Promise<{ generation: Generation; finished: SavedFile | null } | null> {
    const claim = this.options.identities?.claim(this.label, stats.dev, stats.ino) ?? { held: false, finished: null };
    if (claim.held) {
      await handle.close();
      return null;
    }
    const generation = await Generation.open(handle, stats, this.options.reader, this.options.now);
    this.options.onOpen(generation.grewAt);
    if (!this.followed) this.options.onFollow?.();
    this.followed = true;
    return { generation, finished: claim.finished };
  }

  /**
   * Holds the files beside the path open (so renames cannot change which file is which), plans
   * on them, follows the planned ones from their offsets, and closes the others.
   */
  private async followPlanned<S extends PlannedOpen>(
    hold: () => Promise<HeldFile[]>,
    plan: (held: HeldFile[]) => Promise<S[]>,
  ): Promise<{ step: S; generation: Generation }[]> {
    const held = await hold();
    const taken = new Set<HeldFile>();
    const opened: { step: S; generation: Generation }[] = [];
    try {
      for (const step of await plan(held)) {
        taken.add(step.candidate);
        const result = await this.follow(step.candidate.handle, step.candidate);
        if (!result) continue;
        await result.generation.reader.restartAt(step.offset, step.tail);
        opened.push({ step, generation: result.generation });
      }
      return opened;
    } finally {
      for (const file of held) if (!taken.has(file)) await file.handle.close();
    }
  }
}
