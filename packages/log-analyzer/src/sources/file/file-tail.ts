// The path follower: follows one watched path across appends, rotation, truncation and deletion.
// Owns the path's open generations (generation.ts: the file at the path now, and those rotated
// away from it, each read to its end and let go by itself) and decides, by looking at the path,
// when a new one starts: rotation, a copytruncate copy, a re-created file, a switched symlink.
// The decisions (idle, grown, truncated, replaced, gone; when a new generation starts; when a
// rotated one is done) are pure, in decisions.ts; this file does the I/O around them.

import { type Stats, stat, statSync } from 'node:fs';
import type { ChunkSinks } from '../../transforms/log/parse-stage.js';
import { leavesPath, planArrival } from './decisions.js';
import type { FileEvents } from './file-events.js';
import { fsPath } from './fs-names.js';
import type { Generation } from './generation.js';
import { GenerationOpener } from './generation-opener.js';
import type { IdentityRegistry } from './identities.js';
import type { SavedPath } from './saved-positions.js';

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

/**
 * Where to start reading a file that is already there. `rotatedSince`: the files beside the path
 * that nobody follows and that were written since then are generations rotated away before this
 * first look (the start claims to know everything written before it): they are read whole first.
 */
export type StartAt =
  | { kind: 'end' }
  | { kind: 'beginning'; rotatedSince?: number }
  | { kind: 'saved'; saved: SavedPath; writtenAt: number };

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

function statOrNull(path: string): Promise<Stats | null> {
  return new Promise((resolve) =>
    stat(fsPath(path), (error, stats) => resolve(error || !stats.isFile() ? null : stats)),
  );
}

export class FileTail {
  /**
   * The generations rotated away from the path and still open, oldest first: each is read to its
   * end and lets itself go. Discovery (opening a new generation) never waits for reading, so a busy
   * pool cannot make us miss a generation that is rotated away before we get to read it: we hold
   * its fd already.
   */
  private readonly rotated: Generation[] = [];
  /** The generation at the path, read after the rotated ones (it is the newest). */
  private current: Generation | null = null;
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
  /**
   * When the last finished look at the path started (ms, wall clock like file times): files
   * written since may be beside the path unseen, so a checkpoint claims to know only what was
   * written before it (Tailer.position's knownAt). A look in progress does not count until it has
   * opened the generations it found beside the path: a checkpoint taken meanwhile would claim them.
   */
  lookedAt = 0;
  private readonly opener: GenerationOpener;
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
    this.opener = new GenerationOpener(label, {
      reader: {
        sink: options.chunks.forFile(label),
        maxLineBytes: options.maxLineBytes,
        onRead: (bytes) => options.events.read(label, bytes),
        onError: (error) => options.events.error(label, error),
      },
      isWatched: options.isWatched,
      identities: options.identities,
      onFollow: () => options.events.follow(label),
      onOpen: (now) => {
        if (this.started) this.lastActivity = now; // a new generation while running
      },
      now: () => this.now(),
    });
  }

  /** Opens what it should from `startAt` and reads it. */
  async start(startAt: StartAt): Promise<void> {
    // Until the saved generations are open again, a checkpoint must keep them as they were.
    if (startAt.kind === 'saved') this.resuming = startAt.saved;
    // In the discovery queue, so an event that arrives meanwhile cannot open the file a second time.
    this.discovering = this.discovering.then(async () => {
      // The start is a look: the first discovery looks beside the path for generations written
      // since (without it, a generation rotated in and out before that discovery was never read).
      const lookStart = Date.now();
      try {
        if (startAt.kind === 'saved') {
          // The generations the checkpoint knows and those rotated in and out meanwhile, oldest first.
          for (const { generation, atPath } of await this.opener.resume(startAt.saved, startAt.writtenAt)) {
            if (atPath) this.current = generation;
            else this.rotated.push(generation);
          }
          this.again = true;
        } else {
          const stats = await statOrNull(this.label);
          const ours = !stats || (await this.adopt(startAt.kind, true));
          // After the path's file is open: a rotation meanwhile leaves nothing between the two.
          if (ours && startAt.kind === 'beginning' && startAt.rotatedSince)
            await this.adoptMissed(startAt.rotatedSince);
        }
        this.pathEmpty = this.current === null;
        this.lookedAt = lookStart;
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
    const current = this.current;
    if (!current || this.rotated.length > 0 || this.reading || this.again || this.stopped) return false;
    const lookStart = Date.now();
    let stats: Stats;
    try {
      stats = statSync(fsPath(this.label));
    } catch {
      return false;
    }
    if (current.judge(stats) !== 'idle') return false;
    // A whole look: our file is still at the path, so nothing was rotated away from it since the
    // last one. Otherwise an idle file would hold the checkpoint's knownAt back at its last change,
    // and a start would read whole again the generations let go (and forgotten) since then.
    this.lookedAt = lookStart;
    return true;
  }

  /** Looks at the path, opens a new file there at once, and reads whatever is new. Calls coalesce. */
  async check(): Promise<void> {
    if (this.stopped || this.retired) return;
    await this.discover();
    // The idle case, the common one: the path's file is as we left it and nothing else is open.
    if (this.pathIdle && !this.again && this.openFiles === 1 && !this.reading) return;
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
    for (const generation of this.generations()) await this.letGo(generation);
  }

  /**
   * Stops reading at the next chunk boundary and waits for chunks in flight; closes every file.
   * Nothing is lost: the checkpoint keeps every open generation at its committed offset, and
   * partial last lines stay unread until the next start.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const generation of this.generations()) generation.reader.stopping = true;
    await this.discovering;
    await this.reading;
    for (const generation of this.generations()) await generation.reader.close();
  }

  /** What a checkpoint keeps of this path. Synchronous: taken in the same tick as the store's values. */
  position(): SavedPath | null {
    if (this.resuming) return this.resuming;
    if (this.openFiles === 0) return null;
    return {
      path: this.label,
      files: this.generations().map((generation) => generation.saved()),
      current: this.current !== null,
    };
  }

  status(): FileTailStatus {
    const file = this.current;
    const committed = file?.reader.committedOffset ?? 0;
    const size = file?.knownSize ?? 0;
    return {
      path: this.label,
      dev: file?.dev ?? null,
      inode: file?.ino ?? null,
      offset: file?.reader.offset ?? 0,
      committedOffset: committed,
      size,
      lagBytes: file ? Math.max(0, size - committed) : 0,
      rotatedFilesOpen: this.rotated.length,
    };
  }

  get openFiles(): number {
    return this.rotated.length + (this.current ? 1 : 0);
  }

  get isOpen(): boolean {
    return this.openFiles > 0;
  }

  /** Started, and its file is gone with nothing left open: it no longer takes a --max-files slot. */
  get isFinished(): boolean {
    return this.started && !this.isOpen;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** Every open generation, oldest first: the rotated ones, then the path's. */
  private generations(): Generation[] {
    return this.current ? [...this.rotated, this.current] : [...this.rotated];
  }

  /**
   * Looks at the path: the file we follow may have left it (renamed away, replaced or deleted:
   * it stays open as a rotated generation), and a new generation may start there (planArrival).
   * Quick; serialized.
   */
  private discover(): Promise<void> {
    this.discovering = this.discovering.then(async () => {
      if (this.stopped) return;
      // The look's time counts once it is over (see lookedAt).
      const lookStart = Date.now();
      await this.look(this.lookedAt);
      this.lookedAt = lookStart;
    });
    // A failure must not leave the queue rejected: every later discovery would be skipped.
    this.discovering = this.discovering.catch((error: unknown) => this.options.events.error(this.label, error));
    return this.discovering;
  }

  /** One look at the path (discover's body); `previousLook`: when the last finished one started. */
  private async look(previousLook: number): Promise<void> {
    this.pathIdle = false;
    const stats = await statOrNull(this.label);
    this.seen = stats;
    const emptyBefore = this.pathEmpty;
    this.pathEmpty = stats === null;
    const verdict = this.current?.judge(stats) ?? null;
    this.pathIdle = verdict === 'idle';
    if (this.pathIdle) return;
    if (this.current && verdict !== null) {
      this.options.onPositionsChanged?.();
      if (leavesPath(verdict)) {
        this.rotated.push(this.current); // renamed away, replaced or deleted: read to its end
        this.current = null;
        this.vanished = true;
        // Generations that came and went since we last looked (faster than one check) are beside it.
        await this.adoptMissed(previousLook);
      }
      this.again = true;
    }
    const arrival = planArrival({
      following: this.current !== null,
      fileThere: stats !== null,
      heldElsewhere: stats !== null && this.options.identities?.claimable(this.label, stats.dev, stats.ino) === false,
      emptyBefore,
    });
    if (!stats || arrival.length === 0) return;
    this.options.onPositionsChanged?.();
    if (arrival.includes('find-missed')) await this.adoptMissed(previousLook);
    if (!(await this.adopt('beginning', false))) return;
    // A new file at the path, right away or after a gap: that is a rotation.
    if (this.vanished) this.options.events.rotation(this.label);
    this.vanished = false;
    // The file we saw was rotated away before we could open it: it is beside the path now,
    // older than the one we opened (read first: the path's file is read last).
    if (this.current && this.current.ino !== stats.ino) await this.adoptMissed(previousLook);
  }

  /** Whether this path has `dev:ino` open. */
  private holdsOpen = (dev: number, ino: number): boolean =>
    this.current?.is(dev, ino) === true || this.rotated.some((g) => g.is(dev, ino));

  /** Opens the file at the path as the current generation, unless another tail follows it already. */
  private async adopt(from: 'end' | 'beginning', atStart: boolean): Promise<boolean> {
    const generation = await this.opener.atPath(from, atStart);
    if (!generation) return false;
    this.current = generation;
    this.again = true;
    return true;
  }

  /** Opens, as rotated generations, whole generations rotated in and out since `sinceMs`. */
  private async adoptMissed(sinceMs: number): Promise<void> {
    for (const generation of await this.opener.missed(sinceMs, this.holdsOpen)) {
      this.rotated.push(generation);
      this.options.events.rotation(this.label);
    }
  }

  /** Reads every open generation to its end, oldest first; rotated ones let themselves go once done. */
  private read(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    if (!this.again && this.openFiles === 0) return Promise.resolve();
    const run = async () => {
      do {
        this.again = false;
        for (const generation of this.generations()) {
          if (this.stopped) return;
          const isCurrent = generation === this.current;
          // The path's stat from discovery describes the current file: no fstat needed.
          const stats = isCurrent && this.seen?.ino === generation.ino ? this.seen : await generation.handle.stat();
          // After a truncation, from its copy first (then from 0).
          const { read, grew } = await generation.readToEnd(stats, () => this.truncated(generation));
          if (read > 0) {
            if (grew) this.lastActivity = generation.grewAt;
            this.again = true; // chokidar may have dropped the event for the write that follows this one
          }
          // Rotated away: let go once deleted or quiet for rotateWaitMs (else the next poll looks again).
          if (!isCurrent && generation.isDone(stats, this.options.rotateWaitMs)) {
            await this.letGo(generation);
          }
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

  /**
   * After copytruncate: what we had not read yet is in the copy, from our committed offset on.
   * The copy is followed like a rotated generation from there, read before the truncated file (so
   * a checkpoint keeps its position too). A second copytruncate before we looked again left the
   * copy of a generation we never saw beside it (ours moved on to .2, that one is .1): it is read
   * whole after ours, as a rename rotation's missed generations are.
   */
  private async truncated(generation: Generation): Promise<void> {
    this.options.onPositionsChanged?.();
    this.options.events.truncation(this.label);
    await generation.reader.settled();
    const found = await this.opener.afterTruncation(generation.saved(), this.lookedAt, this.holdsOpen);
    const at = this.rotated.indexOf(generation);
    this.rotated.splice(at < 0 ? this.rotated.length : at, 0, ...found.map((f) => f.generation));
    for (const f of found) if (!f.copy) this.options.events.rotation(this.label);
    this.again = true;
  }

  /** A rotated or deleted generation is done: it finishes, and the registry remembers where it ended. */
  private async letGo(generation: Generation): Promise<void> {
    await generation.finish((saved) => this.options.identities?.release(this.label, saved));
    if (generation === this.current) this.current = null;
    else {
      const at = this.rotated.indexOf(generation);
      if (at >= 0) this.rotated.splice(at, 1);
    }
    this.options.onPositionsChanged?.();
  }
}
