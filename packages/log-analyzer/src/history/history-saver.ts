// Keeps the history file beside the checkpoint (`<checkpoint>.history`, history-file.ts): read
// back once at start, written on its own cadence (--history-save-interval, default 1 min) and at
// stop, never inside a checkpoint: the counts' checkpoint (every second) does not carry tens of
// megabytes of history. Written as the checkpoint is: temp file (exclusive, no symlink followed),
// fsync, rename, fsync of the directory; a crash leaves the old file or the new one. A file that
// cannot be used is refused with one line and the start goes on with an empty history (the counts
// come from the checkpoint, untouched).

import { constants } from 'node:fs';
import { type FileHandle, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ignore, syncDirectory } from '../store/checkpoint.js';
import type { History } from './history.js';
import { maxFileBytes, parseHistory, serializeHistory } from './history-file.js';

export class HistorySaver {
  saves = 0;
  lastBytes = 0;
  restored = 0;
  private running: Promise<void> | null = null;

  constructor(
    private readonly history: History,
    readonly path: string,
    private readonly say: (line: string) => void,
    private readonly onError: (error: Error) => void,
  ) {}

  /** Reads the file back into the history (at start, before the first sample). */
  async load(now: number): Promise<void> {
    let size: number;
    try {
      size = (await stat(this.path)).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      return this.refuse((error as Error).message);
    }
    const bound = maxFileBytes(this.history.options);
    if (size > bound) return this.refuse(`${size} bytes, more than the ${bound} these history settings can write`);
    let bytes: Buffer;
    try {
      bytes = await readFile(this.path);
    } catch (error) {
      return this.refuse((error as Error).message);
    }
    const parsed = parseHistory(bytes, this.history.options, now);
    if ('refused' in parsed) return this.refuse(parsed.refused);
    this.history.restore(parsed.tracks);
    this.restored = this.history.size;
  }

  private refuse(reason: string): void {
    this.say(`history file ${this.path} refused (${reason}): starting with an empty history; counts are unaffected`);
  }

  /** Writes the history now (coalesced: a call during a write is that write). Never rejects. */
  save(now: number): Promise<void> {
    this.running ??= this.write(now)
      .catch((error: unknown) => this.onError(error as Error))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  private async write(now: number): Promise<void> {
    const { header, body, bytes } = serializeHistory(this.history, now);
    const temp = `${this.path}.tmp`;
    await unlink(temp).catch(ignore('ENOENT'));
    const handle = await open(
      temp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o644,
    );
    try {
      try {
        await writeAll(handle, [header, body]);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.path);
    } catch (error) {
      await unlink(temp).catch(() => {});
      throw error;
    }
    await syncDirectory(dirname(resolve(this.path)));
    this.saves++;
    this.lastBytes = bytes;
  }
}

/** Writes every byte of `parts`, in order (writev may write less than asked). */
async function writeAll(handle: FileHandle, parts: Buffer[]): Promise<void> {
  let rest = parts.filter((p) => p.length > 0);
  while (rest.length > 0) {
    let { bytesWritten } = await handle.writev(rest);
    const next: Buffer[] = [];
    for (const part of rest) {
      if (bytesWritten >= part.length) bytesWritten -= part.length;
      else {
        next.push(part.subarray(bytesWritten));
        bytesWritten = 0;
      }
    }
    rest = next;
  }
}
