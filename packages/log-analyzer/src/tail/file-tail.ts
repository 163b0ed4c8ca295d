// Follows one watched path across appends, rotation, truncation and deletion.
// Owns the path's current reader and the readers of files rotated away from it, which stay
// open for `rotateWaitMs` after their last growth to catch writers that have not reopened yet.

import { type Stats, stat } from 'node:fs';
import type { ChunkSummary } from '../parse/chunk-summary.js';
import type { ParsePool } from '../pool/parse-pool.js';
import { findCopy } from './copy-recovery.js';
import { FileReader } from './file-reader.js';
import { FINGERPRINT_BYTES, type Fingerprint, fingerprintOf, stillStartsWith } from './fingerprint.js';

export interface FileTailOptions {
  pool: ParsePool;
  maxLineBytes: number;
  rotateWaitMs: number;
  onSummary(label: string, summary: ChunkSummary): void;
  onRead?(label: string, bytes: number): void;
  onRotation?(label: string): void;
  onTruncation?(label: string): void;
  /** A file could not be opened or read (permissions, I/O errors); the next check tries again. */
  onError?(label: string, error: unknown): void;
  /** Whether a path is followed by its own tail: such a file is never read as a copytruncate copy. */
  isWatched?(path: string): boolean;
}

/** Where to start reading a file that is already there. */
export type StartAt =
  | { kind: 'end' }
  | { kind: 'beginning' }
  | { kind: 'saved'; dev: number; ino: number; offset: number; fingerprint: Fingerprint };

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

export interface SavedPosition {
  path: string;
  dev: number;
  ino: number;
  offset: number;
  fingerprint: Fingerprint;
}

interface OpenFile {
  reader: FileReader;
  dev: number;
  ino: number;
  fingerprint: Fingerprint;
  size: number;
  lastGrowth: number;
}

function statOrNull(path: string): Promise<Stats | null> {
  return new Promise((resolve) => stat(path, (error, stats) => resolve(error ? null : stats)));
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
  private started = false;
  private stopped = false;
  private discovering: Promise<void> = Promise.resolve();
  private reading: Promise<void> | null = null;
  private again = false;

  constructor(
    /** The path as the user configured or the glob matched it: the `file` label. */
    readonly label: string,
    private readonly options: FileTailOptions,
  ) {}

  /** Opens the file if it exists and reads what it should from `startAt`. */
  async start(startAt: StartAt): Promise<void> {
    // In the discovery queue, so an event that arrives meanwhile cannot open the file a second time.
    this.discovering = this.discovering.then(async () => {
      try {
        const stats = await statOrNull(this.label);
        if (stats?.isFile()) {
          this.files.push(await this.openAt(startAt));
          this.pathHasCurrent = true;
        }
      } catch (error) {
        this.options.onError?.(this.label, error);
      }
      this.started = true;
    });
    await this.check();
  }

  /** Looks at the path, opens a new file there at once, and reads whatever is new. Calls coalesce. */
  async check(): Promise<void> {
    if (this.stopped) return;
    await this.discover();
    await this.read();
  }

  /**
   * Stops reading; waits for chunks in flight. The current file's partial last line stays unread
   * (its saved position stays before it). Rotated-away files are read to their end and their last
   * line counted now: a restart could not find them again.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.discovering;
    await this.reading;
    for (const file of this.rotatedFiles()) {
      await this.drainFile(file);
      await this.letGo(file);
    }
    await this.current()?.reader.close();
  }

  /** Where a restart should resume: only the current file, at its fully merged offset. */
  position(): SavedPosition | null {
    const file = this.current();
    if (!file) return null;
    return {
      path: this.label,
      dev: file.dev,
      ino: file.ino,
      offset: file.reader.committedOffset,
      fingerprint: file.fingerprint,
    };
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

  get isOpen(): boolean {
    return this.files.length > 0;
  }

  /** Started, and its file is gone with nothing left open: it no longer takes a --max-files slot. */
  get isFinished(): boolean {
    return this.started && !this.isOpen;
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
      const stats = await statOrNull(this.label);
      const current = this.current();
      if (current && (!stats || stats.ino !== current.ino || stats.dev !== current.dev)) {
        this.pathHasCurrent = false; // renamed away, replaced or deleted
        this.vanished = true;
      }
      if (!this.pathHasCurrent && stats?.isFile()) {
        // A new file at the path, right away or after a gap: that is a rotation.
        if (this.vanished) this.options.onRotation?.(this.label);
        this.vanished = false;
        this.files.push(await this.openAt({ kind: 'beginning' }));
        this.pathHasCurrent = true;
        this.again = true;
      }
    });
    // A failure must not leave the queue rejected: every later discovery would be skipped.
    this.discovering = this.discovering.catch((error: unknown) => this.options.onError?.(this.label, error));
    return this.discovering;
  }

  /** Reads every open file to its end, oldest first; lets rotated files go once they are done. */
  private read(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    const run = async () => {
      do {
        this.again = false;
        for (const file of [...this.files]) {
          if (this.stopped) return;
          await this.drainFile(file);
          if (file === this.current()) continue;
          const { nlink } = await file.reader.handle.stat();
          // Deleted: nobody can write to it any more. Renamed: wait for writers that have not reopened yet.
          // (Still waiting out rotateWaitMs: the next poll looks again.)
          if (nlink === 0 || Date.now() - file.lastGrowth >= this.options.rotateWaitMs) await this.letGo(file);
        }
        if (this.again) await this.discover();
      } while (this.again && !this.stopped);
    };
    this.reading = run()
      .catch((error: unknown) => this.options.onError?.(this.label, error))
      .finally(() => {
        this.reading = null;
      });
    return this.reading;
  }

  /** Reads a file to its end, noticing truncation (size shrank, or its first bytes changed). */
  private async drainFile(file: OpenFile): Promise<void> {
    const { size } = await file.reader.handle.stat();
    const truncated = size < file.reader.offset || !(await stillStartsWith(file.reader.handle, file.fingerprint));
    if (truncated) {
      this.options.onTruncation?.(this.label);
      await this.readRestFromCopy(file);
      await file.reader.restartAt(0);
      file.fingerprint = await fingerprintOf(file.reader.handle, size);
    } else if (file.fingerprint.length < FINGERPRINT_BYTES && size > file.fingerprint.length) {
      file.fingerprint = await fingerprintOf(file.reader.handle, size);
    }
    const read = await file.reader.drain();
    file.size = Math.max(size, file.reader.offset);
    if (read > 0) {
      file.lastGrowth = Date.now();
      this.again = true; // chokidar may have dropped the event for the write that follows this one
    }
  }

  /** After copytruncate: what we had not read yet is in the copy, from our committed offset on. */
  private async readRestFromCopy(file: OpenFile): Promise<void> {
    await file.reader.settled();
    // From the start of the partial line, if one is held.
    await this.readRestOfOldFile(file.fingerprint, file.reader.committedOffset);
  }

  /**
   * Reads, from `from` to its end, the file beside ours that still starts with `fingerprint`
   * (a copytruncate copy, or a generation renamed away while we were stopped), if there is one.
   */
  private async readRestOfOldFile(fingerprint: Fingerprint, from: number): Promise<void> {
    const old = await findCopy(this.label, fingerprint, from, (p) => this.options.isWatched?.(p) ?? false);
    if (!old) return;
    const reader = await FileReader.open(old, from, {
      pool: this.options.pool,
      maxLineBytes: this.options.maxLineBytes,
      onSummary: (summary) => this.options.onSummary(this.label, summary),
      onRead: (bytes) => this.options.onRead?.(this.label, bytes),
    });
    try {
      await reader.drain();
      await reader.flush();
    } finally {
      await reader.close();
    }
  }

  /** A rotated or deleted file is done: its unterminated last line counts, and its fd is closed. */
  private async letGo(file: OpenFile): Promise<void> {
    await file.reader.flush();
    await file.reader.close();
    this.files.splice(this.files.indexOf(file), 1);
  }

  private async openAt(startAt: StartAt): Promise<OpenFile> {
    let file: OpenFile | null = null;
    const reader = await FileReader.open(this.label, 0, {
      pool: this.options.pool,
      maxLineBytes: this.options.maxLineBytes,
      onSummary: (summary) => this.options.onSummary(this.label, summary),
      onRead: (bytes) => this.options.onRead?.(this.label, bytes),
      stillSameFile: () => (file ? stillStartsWith(file.reader.handle, file.fingerprint) : Promise.resolve(true)),
    });
    // Identity from the open fd, not the path: the path may have moved on since we looked.
    const stats = await reader.handle.stat();
    const fingerprint = await fingerprintOf(reader.handle, stats.size);
    let offset = 0;
    if (startAt.kind === 'end') offset = await lineStartAtOrBefore(reader, stats.size);
    if (startAt.kind === 'saved') {
      const same =
        startAt.dev === stats.dev &&
        startAt.ino === stats.ino &&
        startAt.offset <= stats.size &&
        (await stillStartsWith(reader.handle, startAt.fingerprint));
      if (same) offset = startAt.offset;
      // Rotated while we were stopped: what the old file got after our position is still counted.
      else await this.readRestOfOldFile(startAt.fingerprint, startAt.offset);
    }
    await reader.restartAt(offset);
    file = { reader, dev: stats.dev, ino: stats.ino, fingerprint, size: stats.size, lastGrowth: Date.now() };
    return file;
  }
}

/** Start of the line that contains `size` (so a line being written when we start is read whole). */
async function lineStartAtOrBefore(reader: FileReader, size: number): Promise<number> {
  const window = Math.min(size, 64 * 1024);
  if (window === 0) return 0;
  const buffer = Buffer.alloc(window);
  const { bytesRead } = await reader.handle.read(buffer, 0, window, size - window);
  const nl = buffer.subarray(0, bytesRead).lastIndexOf(0x0a);
  return nl < 0 ? (window === size ? 0 : size) : size - window + nl + 1;
}
