// Follows one watched path across appends, rotation, truncation and deletion.
// Owns the path's current reader and the readers of files rotated away from it, which stay
// open for `rotateWaitMs` after their last growth to catch writers that have not reopened yet.
// The decisions (idle, grown, truncated, replaced, gone; what to read on start) are pure, in
// decisions.ts; this file does the I/O around them.

import { type Stats, stat, statSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import type { ChunkSinks } from '../../transforms/log/parse-stage.js';
import { judgeChanged, judgePath } from './decisions.js';
import type { FileEvents } from './file-events.js';
import { FileReader } from './file-reader.js';
import { FINGERPRINT_BYTES, type Fingerprint, fingerprintOf, stillStartsWith } from './fingerprint.js';
import { fsPath } from './fs-names.js';
import { findCopy, findMissed, findResumeSteps, type HeldFile, holdSiblings } from './generations.js';
import type { IdentityRegistry } from './identities.js';
import type { SavedFile, SavedPath } from './saved-positions.js';

export interface FileTailOptions {
  /** Where every file's chunks go (the parse stage): one sink per path. */
  chunks: ChunkSinks;
  /** Follow, rotation, truncation, bytes read, errors: told with this path as the `file`. */
  events: Pick<FileEvents, 'follow' | 'rotation' | 'truncation' | 'read' | 'error'>;
  maxLineBytes: number;
  rotateWaitMs: number;
  /** The set of open files or where they restart changed (what a checkpoint keeps of this path). */
  onPositionsChanged?(): void;
  /** Whether a path is followed by its own tail: such a file is never read as a copy. */
  isWatched?(path: string): boolean;
  /** Which tail holds which file; one registry for all tails (see identities.ts). */
  identities?: IdentityRegistry;
  /** The clock, in ms (tests drive it). */
  now?(): number;
}

/** Where to start reading a file that is already there. */
export type StartAt = { kind: 'end' } | { kind: 'beginning' } | { kind: 'saved'; saved: SavedPath; writtenAt: number };

export interface FileTailStatus {
  path: string;
  dev: number | null;
  inode: number | null;
  offset: number;
  committedOffset: number;
  size: number;
  lagBytes: number;
  rotatedFilesOpen: number;
}

/** A held file to follow, read on from `offset`. */
interface PlannedOpen {
  candidate: HeldFile;
  offset: number;
  /** Fingerprint of the bytes before `offset`, when known. */
  tail?: Fingerprint | undefined;
}

interface OpenFile {
  reader: FileReader;
  dev: number;
  ino: number;
  head: Fingerprint;
  size: number;
  mtimeMs: number;
  lastGrowth: number;
}

/** File times come from a coarse clock: they may trail Date.now() by a tick. */
const MTIME_SLACK_MS = 20;

function statOrNull(path: string): Promise<Stats | null> {
  return new Promise((resolve) =>
    stat(fsPath(path), (error, stats) => resolve(error || !stats.isFile() ? null : stats)),
  );
}

export class FileTail {
  /**
   * Every file of this path still open, oldest first. The last is the path's current file when
   * `pathHasCurrent`; the others were rotated away and are read to their end before being let go.
   * Discovery (opening a new generation) never waits for reading, so a busy pool cannot make us
   * miss a generation that is rotated away before we get to read it: we hold its fd already.
   */
  private readonly files: OpenFile[] = [];
  private pathHasCurrent = false;
  /** The path lost its file (renamed or deleted) and nothing has replaced it yet. */
  private vanished = false;
  /** The last look found no file of ours at the path. */
  private pathEmpty = false;
  private started = false;
  private stopped = false;
  /** Let go for good: its path is no longer watched. */
  private retired = false;
  private discovering: Promise<void> = Promise.resolve();
  private reading: Promise<void> | null = null;
  private again = false;
  /** The path's file as stat saw it in the last discovery (saves an fstat when reading it). */
  private seen: Stats | null = null;
  /** When the path was last looked at (ms, wall clock like file times). */
  private lookedAt = 0;
  private followed = false;
  /**
   * Set while a discovery is under way: files it finds are not in position() until they are open,
   * so a checkpoint taken meanwhile must not claim to know everything written since then.
   */
  discoveringSince: number | null = null;
  /** The last discovery found the path's file untouched and fully read. */
  private pathIdle = false;
  private resuming: SavedPath | null = null;
  /**
   * When this tail started, a file here was last seen growing, or a new one appeared: quiet
   * tails are polled less. Reading what a file held when we found it is no activity.
   */
  lastActivity: number;

  constructor(
    /** The path as the user configured or the glob matched it: the `file` label. */
    readonly label: string,
    private readonly options: FileTailOptions,
  ) {
    this.lastActivity = this.now();
  }

  /** Opens what it should from `startAt` and reads it. */
  async start(startAt: StartAt): Promise<void> {
    // Until the saved generations are open again, a checkpoint must keep them as they were.
    if (startAt.kind === 'saved') this.resuming = startAt.saved;
    // In the discovery queue, so an event that arrives meanwhile cannot open the file a second time.
    this.discovering = this.discovering.then(async () => {
      // The start is a look: the first discovery looks beside the path for generations written
      // since (without it, a generation rotated in and out before that discovery was never read).
      this.lookedAt = Date.now();
      try {
        if (startAt.kind === 'saved') await this.resume(startAt.saved, startAt.writtenAt);
        else {
          const stats = await statOrNull(this.label);
          if (stats) await this.adopt(startAt.kind, true);
        }
        this.pathEmpty = !this.pathHasCurrent;
      } catch (error) {
        this.options.events.error(this.label, error);
      }
      this.started = true;
      this.resuming = null;
      this.options.onPositionsChanged?.();
    });
    await this.check();
  }

  /**
   * True when nothing needs doing, found with one synchronous stat of the path and no promise:
   * the file there is the one we follow, unchanged and read to its end, and nothing else is open.
   * The idle poll of thousands of quiet files costs this. False means: check().
   */
  idleNow(): boolean {
    const current = this.current();
    if (!current || this.files.length !== 1 || this.reading || this.again || this.stopped) return false;
    let stats: Stats;
    try {
      stats = statSync(fsPath(this.label));
    } catch {
      return false;
    }
    return judgePath({ ...current, offset: current.reader.offset }, stats) === 'idle';
  }

  /** Looks at the path, opens a new file there at once, and reads whatever is new. Calls coalesce. */
  async check(): Promise<void> {
    if (this.stopped || this.retired) return;
    await this.discover();
    // The idle case, the common one: the path's file is as we left it and nothing else is open.
    if (this.pathIdle && !this.again && this.files.length === 1 && !this.reading) return;
    await this.read();
  }

  /**
   * The path no longer matches what is watched (a reload changed the patterns): what its files
   * hold is read to the end, and every file is let go as a deleted one is (its offset kept as
   * finished, so a path that matches again carries on from there). The tail is then finished.
   */
  async retire(): Promise<void> {
    if (this.stopped || this.retired) return;
    await this.discovering;
    this.again = true;
    await this.read();
    this.retired = true;
    await this.reading;
    for (const file of [...this.files]) await this.letGo(file);
  }

  /**
   * Stops reading at the next chunk boundary and waits for chunks in flight; closes every file.
   * Nothing is lost: the checkpoint keeps every open generation at its committed offset, and
   * partial last lines stay unread until the next start.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const file of this.files) file.reader.stopping = true;
    await this.discovering;
    await this.reading;
    for (const file of this.files) await file.reader.close();
  }

  /** What a checkpoint keeps of this path. Synchronous: taken in the same tick as the store's values. */
  position(): SavedPath | null {
    if (this.resuming) return this.resuming;
    if (this.files.length === 0) return null;
    return { path: this.label, files: this.files.map((file) => this.saved(file)), current: this.pathHasCurrent };
  }

  status(): FileTailStatus {
    const file = this.current();
    const committed = file?.reader.committedOffset ?? 0;
    return {
      path: this.label,
      dev: file?.dev ?? null,
      inode: file?.ino ?? null,
      offset: file?.reader.offset ?? 0,
      committedOffset: committed,
      size: file?.size ?? 0,
      lagBytes: file ? Math.max(0, file.size - committed) : 0,
      rotatedFilesOpen: this.rotatedFiles().length,
    };
  }

  get openFiles(): number {
    return this.files.length;
  }

  get isOpen(): boolean {
    return this.files.length > 0;
  }

  /** Started, and its file is gone with nothing left open: it no longer takes a --max-files slot. */
  get isFinished(): boolean {
    return this.started && !this.isOpen;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private saved(file: OpenFile): SavedFile {
    return {
      dev: file.dev,
      ino: file.ino,
      offset: file.reader.committedOffset,
      head: file.head,
      tail: file.reader.tailFingerprint,
    };
  }

  private current(): OpenFile | null {
    return this.pathHasCurrent ? (this.files[this.files.length - 1] ?? null) : null;
  }

  private rotatedFiles(): OpenFile[] {
    return this.pathHasCurrent ? this.files.slice(0, -1) : [...this.files];
  }

  /** Notices a rotation or deletion and opens whatever file now sits at the path. Quick; serialized. */
  private discover(): Promise<void> {
    this.discovering = this.discovering.then(async () => {
      if (this.stopped) return;
      this.pathIdle = false;
      const previousLook = this.lookedAt;
      this.lookedAt = Date.now();
      this.discoveringSince = this.lookedAt;
      const stats = await statOrNull(this.label);
      this.seen = stats;
      const emptyBefore = this.pathEmpty;
      this.pathEmpty = stats === null;
      const current = this.current();
      if (current) {
        const verdict = judgePath({ ...current, offset: current.reader.offset }, stats);
        this.pathIdle = verdict === 'idle';
        if (this.pathIdle) return;
        this.options.onPositionsChanged?.();
        if (verdict === 'replaced' || verdict === 'gone') {
          this.pathHasCurrent = false; // renamed away, replaced or deleted
          this.vanished = true;
          // Generations that came and went since we last looked (faster than one check) are beside it.
          await this.adoptMissed(previousLook);
        }
        this.again = true;
      }
      if (!this.pathHasCurrent && stats && !this.heldElsewhere(stats)) {
        this.options.onPositionsChanged?.();
        // The path was empty at the last look: whole generations may have come and gone in the
        // gap (created, written and renamed away before this look). They are older than the
        // file at the path now, so they go first.
        if (emptyBefore) await this.adoptMissed(previousLook);
        // A new file at the path, right away or after a gap: that is a rotation.
        if (await this.adopt('beginning', false)) {
          if (this.vanished) this.options.events.rotation(this.label);
          this.vanished = false;
          const opened = this.current();
          if (opened && opened.ino !== stats.ino) {
            // The file we saw was rotated away before we could open it: it is beside the path now.
            this.files.pop();
            await this.adoptMissed(previousLook);
            this.files.push(opened);
          }
        }
      }
    });
    // A failure must not leave the queue rejected: every later discovery would be skipped.
    this.discovering = this.discovering
      .catch((error: unknown) => this.options.events.error(this.label, error))
      .finally(() => {
        this.discoveringSince = null;
      });
    return this.discovering;
  }

  private readonly isWatched = (path: string): boolean => this.options.isWatched?.(path) === true;

  /** A file this tail has open, or any tail holds or has finished: never a copy or a missed generation. */
  private holds(dev: number, ino: number): boolean {
    return (
      this.files.some((f) => f.dev === dev && f.ino === ino) || this.options.identities?.isKnown(dev, ino) === true
    );
  }

  private heldElsewhere(stats: Stats): boolean {
    return this.options.identities?.claimable(this.label, stats.dev, stats.ino) === false;
  }

  /**
   * Opens the file at the path as the current one, unless another tail follows it already.
   * A file another path read and let go carries on from where that left off.
   */
  private async adopt(from: 'end' | 'beginning', atStart: boolean): Promise<boolean> {
    const handle = await open(fsPath(this.label), 'r');
    const opened = await this.follow(handle, await handle.stat());
    if (!opened) return false;
    const { file, finished } = opened;
    if (finished && file.size >= finished.offset && (await stillStartsWith(file.reader.handle, finished.head))) {
      await file.reader.restartAt(finished.offset, finished.tail);
    } else if (from === 'end' && atStart) {
      await file.reader.restartAt(await file.reader.lineStartAtOrBefore(file.size));
    }
    this.files.push(file);
    this.pathHasCurrent = true;
    this.again = true;
    return true;
  }

  /**
   * Follows an open file and claims its identity (taken from the fd: the path may have moved on
   * since we looked). Null, and the handle closed, when another tail holds the same file.
   */
  private async follow(
    handle: FileHandle,
    stats: { dev: number; ino: number; size: number; mtimeMs: number },
  ): Promise<{ file: OpenFile; finished: SavedFile | null } | null> {
    const claim = this.options.identities?.claim(this.label, stats.dev, stats.ino) ?? { held: false, finished: null };
    if (claim.held) {
      await handle.close();
      return null;
    }
    let file: OpenFile | null = null;
    const reader = FileReader.over(handle, 0, {
      sink: this.options.chunks.forFile(this.label),
      maxLineBytes: this.options.maxLineBytes,
      onRead: (bytes) => this.options.events.read(this.label, bytes),
      onError: (error) => this.options.events.error(this.label, error),
      stillSameFile: () => (file ? stillStartsWith(file.reader.handle, file.head) : Promise.resolve(true)),
    });
    const head = await fingerprintOf(handle, stats.size);
    const now = this.now();
    file = { reader, dev: stats.dev, ino: stats.ino, head, size: stats.size, mtimeMs: stats.mtimeMs, lastGrowth: now };
    if (this.started) this.lastActivity = now; // a new generation while running
    if (!this.followed) this.options.events.follow(this.label);
    this.followed = true;
    return { file, finished: claim.finished };
  }

  /**
   * Start from a checkpoint: every generation it knows is read on from its offset, files rotated
   * in and out while we were stopped are read whole, oldest first, and the path's file goes last.
   */
  private async resume(saved: SavedPath, writtenAt: number): Promise<void> {
    const generations: SavedFile[] = [...(this.options.identities?.finishedOf(this.label) ?? []), ...saved.files];
    const opened = await this.followPlanned(
      () => holdSiblings(this.label, this.isWatched),
      async (held) =>
        (await findResumeSteps(held, generations, writtenAt)).map((step) => ({
          candidate: step.candidate,
          offset: step.offset,
          tail: step.generation?.tail,
        })),
    );
    for (const { step, file } of opened) {
      this.files.push(file); // planned oldest first, the path's own file last
      if (step.candidate.atPath) this.pathHasCurrent = true;
    }
    // Saved generations with nothing left to read (or gone) are not opened: they are remembered as
    // finished, so the next checkpoint still knows them. Otherwise a checkpoint taken before this
    // start is ready would lose them, and the start after it would read them again from 0 as
    // files it does not know (found by a 25-run loop of the crash test: 76,000 of 60,000).
    const open = new Set(this.files.map((f) => `${f.dev}:${f.ino}`));
    for (const generation of saved.files) {
      if (!open.has(`${generation.dev}:${generation.ino}`)) this.options.identities?.release(this.label, generation);
    }
    this.again = true;
  }

  /**
   * Opens, as rotated generations, the files beside the path that nobody follows or has read and
   * that were written since `sinceMs`: whole generations rotated in and out between two checks
   * (polling, or a burst of rotations). File times are coarse, so a few ms of slack.
   */
  private async adoptMissed(sinceMs: number): Promise<void> {
    if (sinceMs === 0) return;
    const opened = await this.followPlanned(
      () => holdSiblings(this.label, this.isWatched, (dev, ino) => this.holds(dev, ino)),
      async (held) => findMissed(held, sinceMs - MTIME_SLACK_MS).map((candidate) => ({ candidate, offset: 0 })),
    );
    for (const { file } of opened) {
      this.files.push(file);
      this.options.events.rotation(this.label);
    }
  }

  /**
   * Holds the files beside the path open (so renames cannot change which file is which), plans
   * on them, follows the planned ones from their offsets, and closes the others.
   */
  private async followPlanned<S extends PlannedOpen>(
    hold: () => Promise<HeldFile[]>,
    plan: (held: HeldFile[]) => Promise<S[]>,
  ): Promise<{ step: S; file: OpenFile }[]> {
    const held = await hold();
    const taken = new Set<HeldFile>();
    const opened: { step: S; file: OpenFile }[] = [];
    try {
      for (const step of await plan(held)) {
        taken.add(step.candidate);
        const result = await this.follow(step.candidate.handle, step.candidate);
        if (!result) continue;
        await result.file.reader.restartAt(step.offset, step.tail);
        opened.push({ step, file: result.file });
      }
      return opened;
    } finally {
      for (const file of held) if (!taken.has(file)) await file.handle.close();
    }
  }

  /** Reads every open file to its end, oldest first; lets rotated files go once they are done. */
  private read(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    if (!this.again && this.files.length === 0) return Promise.resolve();
    const run = async () => {
      do {
        this.again = false;
        for (const file of [...this.files]) {
          if (this.stopped) return;
          const isCurrent = file === this.current();
          // The path's stat from discovery describes the current file: no fstat needed.
          const stats = isCurrent && this.seen?.ino === file.ino ? this.seen : await file.reader.handle.stat();
          await this.drainFile(file, stats);
          if (isCurrent) continue;
          // Deleted: nobody can write to it any more. Renamed: wait for writers that have not reopened yet.
          // (Still waiting out rotateWaitMs: the next poll looks again.)
          if (stats.nlink === 0 || this.now() - file.lastGrowth >= this.options.rotateWaitMs) await this.letGo(file);
        }
        if (this.again) await this.discover();
      } while (this.again && !this.stopped);
    };
    this.reading = run()
      .catch((error: unknown) => this.options.events.error(this.label, error))
      .finally(() => {
        this.reading = null;
      });
    return this.reading;
  }

  /** Reads a file to its end, noticing truncation (size shrank, or its first bytes changed). */
  private async drainFile(file: OpenFile, stats: Stats): Promise<void> {
    const verdict = judgePath({ ...file, offset: file.reader.offset }, stats);
    if (verdict === 'idle') return;
    const truncated =
      verdict === 'truncated' || judgeChanged(await stillStartsWith(file.reader.handle, file.head)) === 'truncated';
    if (truncated) {
      this.options.onPositionsChanged?.();
      this.options.events.truncation(this.label);
      await this.adoptCopy(file);
      await file.reader.restartAt(0);
      file.head = await fingerprintOf(file.reader.handle, stats.size);
    } else if (file.head.length < FINGERPRINT_BYTES && stats.size > file.head.length) {
      file.head = await fingerprintOf(file.reader.handle, stats.size);
    }
    const grew = stats.size > file.size;
    const read = await file.reader.drain(stats.size > file.reader.offset ? Number.POSITIVE_INFINITY : 0);
    file.size = Math.max(stats.size, file.reader.offset);
    file.mtimeMs = stats.mtimeMs;
    if (read > 0) {
      file.lastGrowth = this.now();
      if (grew) this.lastActivity = file.lastGrowth;
      this.again = true; // chokidar may have dropped the event for the write that follows this one
    }
  }

  /**
   * After copytruncate: what we had not read yet is in the copy, from our committed offset on.
   * The copy is followed like a rotated generation from there (so a checkpoint keeps its
   * position too). It counts only if it starts with our first bytes, holds our last committed
   * bytes right before that offset, and is no file any tail follows or has finished (an older
   * generation with the same first lines is not a copy).
   */
  private async adoptCopy(file: OpenFile): Promise<void> {
    await file.reader.settled();
    const from = file.reader.committedOffset;
    const [copy] = await this.followPlanned(
      () => holdSiblings(this.label, this.isWatched, (dev, ino) => this.holds(dev, ino)),
      async (held) => {
        const found = await findCopy(held, { ...this.saved(file), offset: from });
        return found ? [{ candidate: found, offset: from, tail: file.reader.tailFingerprint }] : [];
      },
    );
    if (!copy) return;
    this.files.splice(this.files.indexOf(file), 0, copy.file);
    this.again = true;
  }

  /** A rotated or deleted file is done: its unterminated last line counts, and its fd is closed. */
  private async letGo(file: OpenFile): Promise<void> {
    await file.reader.flush();
    await file.reader.settled();
    this.options.identities?.release(this.label, this.saved(file));
    await file.reader.close();
    this.files.splice(this.files.indexOf(file), 1);
    this.options.onPositionsChanged?.();
  }
}
