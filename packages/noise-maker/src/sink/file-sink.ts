// The only code that writes files: appends (O_APPEND, so concurrent writers and copytruncate
// behave), creates directories, and rotates the way logrotate does.

import {
  closeSync,
  copyFileSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

export type RotateMode = 'rename' | 'copytruncate';

export interface Rotation {
  /** Rotate after this many lines... */
  everyLines: number | null;
  /** ...or once the file reaches this many bytes. */
  everyBytes: number | null;
  mode: RotateMode;
  /** Rotated generations kept: path.1 (newest) … path.keep; older ones are deleted. */
  keep: number;
}

export class FileSink {
  private fd: number;
  private lines = 0;
  private bytes = 0;
  rotations = 0;

  constructor(
    readonly path: string,
    private readonly rotation: Rotation | null,
  ) {
    if (path === '-') {
      this.fd = 1;
      return;
    }
    makeDirectories(dirname(path));
    this.fd = openSync(path, 'a');
  }

  /** Lines that may be written before the next line-count rotation (Infinity when none is due). */
  get linesUntilRotation(): number {
    return this.rotation?.everyLines ? this.rotation.everyLines - this.lines : Number.POSITIVE_INFINITY;
  }

  write(buffer: Uint8Array, lines: number): void {
    let offset = 0;
    while (offset < buffer.length) {
      try {
        offset += writeSync(this.fd, buffer, offset);
      } catch (error) {
        // stdout may be a non-blocking pipe: wait for the reader rather than drop lines.
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      }
    }
    this.lines += lines;
    this.bytes += buffer.length;
    const r = this.rotation;
    if (
      r &&
      ((r.everyLines !== null && this.lines >= r.everyLines) || (r.everyBytes !== null && this.bytes >= r.everyBytes))
    ) {
      this.rotate();
    }
  }

  close(): void {
    if (this.fd !== 1 && this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  rotate(): void {
    const { mode, keep } = this.rotation as Rotation;
    const generation = (n: number) => `${this.path}.${n}`;
    if (existsSync(generation(keep))) unlinkSync(generation(keep));
    for (let n = keep - 1; n >= 1; n--) if (existsSync(generation(n))) renameSync(generation(n), generation(n + 1));
    if (mode === 'rename') {
      // Closed once: if what follows fails, that failure is the one reported (not EBADF at close).
      this.close();
      if (keep > 0) renameSync(this.path, generation(1));
      else unlinkSync(this.path);
      this.fd = openSync(this.path, 'a');
    } else {
      if (keep > 0) copyFileSync(this.path, generation(1));
      ftruncateSync(this.fd, 0);
    }
    this.lines = 0;
    this.bytes = 0;
    this.rotations++;
  }
}

/**
 * `mkdir -p`, one level at a time: Node 20's recursive mkdirSync spins forever on some
 * paths (under /proc, for one) instead of failing, and we want the failure's real reason.
 */
function makeDirectories(dir: string): void {
  if (existsSync(dir)) return;
  const parent = dirname(dir);
  if (parent !== dir) makeDirectories(parent);
  mkdirSync(dir);
}
