// Which tail holds which file, by device + inode: a file reached through several paths
// (symlinks, bind mounts, a glob that also matches its rotated name) is followed once, under
// the first path that took it. Files let go recently are remembered with the offset they were
// counted to, so a path that reaches one later carries on from there instead of counting it
// again. Bounded: remembered files expire after forget-after, and there are at most MAX_FINISHED.

import type { FinishedFile, SavedFile } from './saved-positions.js';

export type Claim = { held: true } | { held: false; finished: FinishedFile | null };

const MAX_FINISHED = 100_000;

const key = (dev: number, ino: number) => `${dev}:${ino}`;

export class IdentityRegistry {
  private readonly held = new Map<string, string>();
  /** From the checkpoint: files its paths held, kept for them until discovery has found them. */
  private readonly reserved = new Map<string, string>();
  private readonly finished = new Map<string, FinishedFile>();

  constructor(
    private readonly keepMs: number,
    private readonly now: () => number,
  ) {}

  reserve(path: string, dev: number, ino: number): void {
    this.reserved.set(key(dev, ino), path);
  }

  dropReservations(): void {
    this.reserved.clear();
  }

  restoreFinished(file: FinishedFile): void {
    this.finished.set(key(file.dev, file.ino), file);
  }

  /** Whether `path` could take the file (no other path holds it): a check before opening it. */
  claimable(path: string, dev: number, ino: number): boolean {
    const k = key(dev, ino);
    const owner = this.held.get(k) ?? this.reserved.get(k);
    return owner === undefined || owner === path;
  }

  /**
   * Takes the file for `path`, unless it is held already (by another path, or by this one: a file
   * is never open twice) or the checkpoint keeps it for another path.
   */
  claim(path: string, dev: number, ino: number): Claim {
    const k = key(dev, ino);
    const reservedFor = this.reserved.get(k);
    if (this.held.has(k) || (reservedFor !== undefined && reservedFor !== path)) return { held: true };
    this.reserved.delete(k);
    this.held.set(k, path);
    const finished = this.finished.get(k) ?? null;
    this.finished.delete(k);
    return { held: false, finished };
  }

  /** `path` opened the file by mistake (it was renamed meanwhile): back to how it was. */
  unclaim(path: string, dev: number, ino: number): void {
    const k = key(dev, ino);
    if (this.held.get(k) !== path) return;
    this.held.delete(k);
    this.reserved.set(k, path);
  }

  /** `path` is done with the file; it is remembered as read up to `file.offset`. */
  release(path: string, file: SavedFile): void {
    const k = key(file.dev, file.ino);
    if (this.held.get(k) === path) this.held.delete(k);
    this.finished.delete(k);
    this.finished.set(k, { ...file, path, at: this.now() });
    if (this.finished.size > MAX_FINISHED) this.finished.delete(this.finished.keys().next().value as string);
  }

  /** A file some path holds, or finished recently: never a copy of anything. */
  isKnown(dev: number, ino: number): boolean {
    const k = key(dev, ino);
    return this.held.has(k) || this.finished.has(k);
  }

  finishedOf(path: string): FinishedFile[] {
    return [...this.finished.values()].filter((f) => f.path === path);
  }

  finishedFiles(): FinishedFile[] {
    return [...this.finished.values()];
  }

  expire(): void {
    const before = this.now() - this.keepMs;
    for (const [k, f] of this.finished) {
      if (f.at >= before) break; // insertion order is age order
      this.finished.delete(k);
    }
  }
}
