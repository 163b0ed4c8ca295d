// Follows one watched path across appends, rotation, truncation and deletion.
// Owns the path's current reader and the readers of files rotated away from it, which stay
// open for `rotateWaitMs` after their last growth to catch writers that have not reopened yet.

import { type Stats, stat } from 'node:fs';
import type { ChunkSummary } from '../parse/chunk-summary.js';
import type { ParsePool } from '../pool/parse-pool.js';
import { FileReader } from './file-reader.js';
import { FINGERPRINT_BYTES, type Fingerprint, fingerprintOf, stillStartsWith } from './fingerprint.js';

export interface FileTailOptions {
  pool: ParsePool;
  maxLineBytes: number;
  readBytes?: number;
  rotateWaitMs: number;
  now?: () => number;
  onSummary(label: string, summary: ChunkSummary): void;
  onRead?(label: string, bytes: number): void;
  onRotation?(label: string): void;
  onTruncation?(label: string): void;
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
  private current: OpenFile | null = null;
  private readonly rotated: OpenFile[] = [];
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  /** The path lost its file (renamed or deleted) and nothing has replaced it yet. */
  private vanished = false;
  private readonly now: () => number;

  constructor(
    /** The path as the user configured or the glob matched it: the `file` label. */
    readonly label: string,
    private readonly options: FileTailOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Opens the file if it exists and reads what it should from `startAt`. */
  async start(startAt: StartAt): Promise<void> {
    const stats = await statOrNull(this.label);
    if (stats?.isFile()) this.current = await this.openAt(stats, startAt);
    await this.check();
  }

  /** Looks at the path and reads whatever is new. Calls overlap safely: they coalesce into one more pass. */
  check(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const run = async () => {
      do {
        this.again = false;
        await this.checkOnce();
      } while (this.again && !this.stopped);
    };
    this.running = run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Stops reading; waits for chunks in flight. A partial last line stays unread (and unsaved). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
    for (const file of [...this.rotated, ...(this.current ? [this.current] : [])]) await file.reader.close();
    this.rotated.length = 0;
    this.current = null;
  }

  /** Where a restart should resume: only the current file, at its fully merged offset. */
  position(): SavedPosition | null {
    const file = this.current;
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
    const file = this.current;
    const committed = file?.reader.committedOffset ?? 0;
    return {
      path: this.label,
      dev: file?.dev ?? null,
      inode: file?.ino ?? null,
      offset: file?.reader.offset ?? 0,
      committedOffset: committed,
      size: file?.size ?? 0,
      lagBytes: file ? Math.max(0, file.size - committed) : 0,
      rotatedFilesOpen: this.rotated.length,
    };
  }

  get isOpen(): boolean {
    return this.current !== null || this.rotated.length > 0;
  }

  private async checkOnce(): Promise<void> {
    if (this.stopped) return;
    await this.drainRotated();
    const stats = await statOrNull(this.label);
    const file = this.current;
    if (file && (!stats || stats.ino !== file.ino || stats.dev !== file.dev)) {
      // Renamed away, replaced or deleted: read what the old inode still holds, then let it go.
      await this.drainFile(file);
      this.current = null;
      this.rotated.push(file);
      await this.drainRotated();
      this.vanished = true;
    }
    if (!this.current && stats?.isFile()) {
      // A new file at the path, right away or after a gap: that is a rotation.
      if (this.vanished) this.options.onRotation?.(this.label);
      this.vanished = false;
      this.current = await this.openAt(stats, { kind: 'beginning' });
    }
    if (this.current) await this.drainFile(this.current);
  }

  /** Reads a file to its end, noticing truncation (size shrank, or its first bytes changed). */
  private async drainFile(file: OpenFile): Promise<void> {
    const { size } = await file.reader.handle.stat();
    const truncated = size < file.reader.offset || !(await stillStartsWith(file.reader.handle, file.fingerprint));
    if (truncated) {
      this.options.onTruncation?.(this.label);
      await file.reader.restartAt(0);
      file.fingerprint = await fingerprintOf(file.reader.handle, size);
    } else if (file.fingerprint.length < FINGERPRINT_BYTES && size > file.fingerprint.length) {
      file.fingerprint = await fingerprintOf(file.reader.handle, size);
    }
    const read = await file.reader.drain();
    file.size = Math.max(size, file.reader.offset);
    if (read > 0) {
      file.lastGrowth = this.now();
      this.again = true; // chokidar may have dropped the event for the write that follows this one
    }
  }

  /** Rotated files are read until quiet for rotateWaitMs (or deleted), then their last partial line is counted. */
  private async drainRotated(): Promise<void> {
    for (const file of [...this.rotated]) {
      await this.drainFile(file);
      const { nlink } = await file.reader.handle.stat();
      if (nlink === 0 || this.now() - file.lastGrowth >= this.options.rotateWaitMs) {
        await file.reader.flush();
        await file.reader.close();
        this.rotated.splice(this.rotated.indexOf(file), 1);
      }
    }
  }

  private async openAt(stats: Stats, startAt: StartAt): Promise<OpenFile> {
    const reader = await FileReader.open(this.label, 0, {
      pool: this.options.pool,
      maxLineBytes: this.options.maxLineBytes,
      ...(this.options.readBytes ? { readBytes: this.options.readBytes } : {}),
      onSummary: (summary) => this.options.onSummary(this.label, summary),
      onRead: (bytes) => this.options.onRead?.(this.label, bytes),
    });
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
    }
    await reader.restartAt(offset);
    return { reader, dev: stats.dev, ino: stats.ino, fingerprint, size: stats.size, lastGrowth: this.now() };
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
