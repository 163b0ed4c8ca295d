// One open generation of a watched path: the file at the path now, or one rotated away from it
// (mtail's logstream). Owns its FileReader and what is known of the file (identity, first bytes,
// size, last growth); reads to its end, notices its own truncation, and once rotated away
// finishes itself: after the rotate-wait, or at once when deleted. The path follower
// (file-tail.ts) decides when a generation starts and when it is rotated away.

import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { judgeChanged, judgePath, judgeRotated, type PathVerdict, type Seen } from './decisions.js';
import { FileReader, type FileReaderOptions } from './file-reader.js';
import { FINGERPRINT_BYTES, type Fingerprint, fingerprintOf, stillStartsWith } from './fingerprint.js';
import type { SavedFile } from './saved-positions.js';

/** What the generation's reader needs from the follower; the generation adds its own checks. */
export type GenerationReaderOptions = Omit<FileReaderOptions, 'stillSameFile'>;

/** What a look at a generation's stat found: nothing new, new bytes, or truncated (read again from 0). */
type GenerationChange = 'idle' | 'grown' | 'truncated';

export class Generation {
  private constructor(
    readonly reader: FileReader,
    readonly dev: number,
    readonly ino: number,
    /** The file's first bytes: a change tells a truncated-and-regrown file from a grown one. */
    private head: Fingerprint,
    /** Size and time when last read (with the offset, what tells an idle file by one stat). */
    private size: number,
    private mtimeMs: number,
    /** The follower's clock (ms). */
    private readonly now: () => number,
    /** When a read last found new bytes (ms, `now`'s clock). */
    private lastGrowth: number,
  ) {}

  /**
   * Follows an open file (the handle is the generation's from now on) from offset 0; the caller
   * moves it with restartAt. `stats` come from the fd: the path may have moved on since.
   */
  static async open(
    handle: FileHandle,
    stats: { dev: number; ino: number; size: number; mtimeMs: number },
    options: GenerationReaderOptions,
    now: () => number,
  ): Promise<Generation> {
    let generation: Generation | null = null;
    const reader = FileReader.over(handle, 0, {
      ...options,
      // Every read is confirmed against the first bytes before its lines are counted.
      stillSameFile: () => (generation ? generation.startsAsBefore() : Promise.resolve(true)),
    });
    const head = await fingerprintOf(handle, stats.size);
    generation = new Generation(reader, stats.dev, stats.ino, head, stats.size, stats.mtimeMs, now, now());
    return generation;
  }

  get handle(): FileHandle {
    return this.reader.handle;
  }

  /** Bytes the file held at the last read (at least what was read). */
  get knownSize(): number {
    return this.size;
  }

  /** What the path's (or the fd's) stat says about this file: see judgePath. */
  judge(seen: Seen | null): PathVerdict {
    return judgePath(
      { dev: this.dev, ino: this.ino, size: this.size, mtimeMs: this.mtimeMs, offset: this.reader.offset },
      seen,
    );
  }

  /** Whether `dev:ino` is this file. */
  is(dev: number, ino: number): boolean {
    return this.dev === dev && this.ino === ino;
  }

  /**
   * Reads to the end `stats` says the file has. A truncation (size below the offset, or first
   * bytes changed: truncated and regrown between looks) is noticed first: `onTruncated` runs
   * (the follower reads the copy, if any, from beside the path) and reading starts again at 0.
   * Returns the bytes read, and whether the file grew since the last read (reading what it
   * already held is no growth).
   */
  async readToEnd(stats: Stats, onTruncated: () => Promise<void>): Promise<{ read: number; grew: boolean }> {
    const change = await this.look(stats);
    if (change === 'idle') return { read: 0, grew: false };
    if (change === 'truncated') {
      await onTruncated();
      await this.reader.restartAt(0);
      this.head = await fingerprintOf(this.handle, stats.size);
    }
    const grew = stats.size > this.size;
    const read = await this.reader.drain(stats.size > this.reader.offset ? Number.POSITIVE_INFINITY : 0);
    this.size = Math.max(stats.size, this.reader.offset);
    this.mtimeMs = stats.mtimeMs;
    if (read > 0) this.lastGrowth = this.now();
    return { read, grew };
  }

  /** When a read last found new bytes. */
  get grewAt(): number {
    return this.lastGrowth;
  }

  /** Rotated away and just read to its end: done when deleted or quiet for the rotate-wait. */
  isDone(stats: Stats, rotateWaitMs: number): boolean {
    return judgeRotated(stats.nlink, this.now() - this.lastGrowth, rotateWaitMs) === 'finish';
  }

  /**
   * Done: its unterminated last line counts, every chunk is acknowledged, `letGo` learns where it
   * was read to (the identity registry remembers it as finished there), then its fd is closed.
   */
  async finish(letGo: (saved: SavedFile) => void): Promise<void> {
    await this.reader.flush();
    await this.reader.settled();
    letGo(this.saved());
    await this.reader.close();
  }

  /** What a checkpoint keeps of this generation. */
  saved(): SavedFile {
    return {
      dev: this.dev,
      ino: this.ino,
      offset: this.reader.committedOffset,
      head: this.head,
      tail: this.reader.tailFingerprint,
    };
  }

  /** Idle, grown, or truncated; a short fingerprint of the first bytes is taken again once there are more. */
  private async look(stats: Stats): Promise<GenerationChange> {
    const verdict = this.judge(stats);
    if (verdict === 'idle') return 'idle';
    if (verdict === 'truncated' || judgeChanged(await this.startsAsBefore()) === 'truncated') return 'truncated';
    if (this.head.length < FINGERPRINT_BYTES && stats.size > this.head.length) {
      this.head = await fingerprintOf(this.handle, stats.size);
    }
    return 'grown';
  }

  private startsAsBefore(): Promise<boolean> {
    return stillStartsWith(this.reader.handle, this.head);
  }
}
