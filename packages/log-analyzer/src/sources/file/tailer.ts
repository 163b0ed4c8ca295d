// Discovery: walks the directories of each --watch path or glob, follows every matching file
// with a FileTail, and notices directories that appear, vanish or are replaced. Owns the tails,
// the directories and which tail holds which file (device + inode: a file reached through
// several paths is followed once). chokidar watches each walked directory (depth 0) so changes
// wake their tail at once; a poll re-checks directories by their stat and files by a backoff
// schedule, because chokidar can drop the last change event of a burst. As the checkpoint sees
// it, the file source: its position is every path's open generations and the finished files.

import { type Dirent, type Stats, stat, statSync } from 'node:fs';
import { readdir, realpath } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import type { Checkpointed } from '../source.js';
import type { FileEvents } from './file-events.js';
import { FileTail, type FileTailOptions, type FileTailStatus, type StartAt } from './file-tail.js';
import { decodeName, fsPath } from './fs-names.js';
import { MTIME_SLACK_MS } from './generations.js';
import { compileWatchPattern, type WatchPattern } from './glob.js';
import { IdentityRegistry } from './identities.js';
import { pollDue, pollEveryMs } from './poll-schedule.js';
import type { FilePosition, SavedPath } from './saved-positions.js';

export interface TailerOptions extends Omit<FileTailOptions, 'identities' | 'isWatched' | 'onPositionsChanged'> {
  /** Every event of every followed file and watched directory. */
  events: FileEvents;
  patterns: readonly string[];
  /** Files present at the first start: read from their end or their beginning. New files: always the beginning. */
  from: 'end' | 'beginning';
  maxFiles: number;
  pollIntervalMs: number;
  /** No chokidar events: every file and directory is polled (network and VM-shared mounts). */
  usePolling?: boolean;
  /** The file source's part of the last checkpoint, if there was one (readFilePositions). */
  resumeFrom?: FilePosition | null;
  /** Tails whose file is gone, and the series they labelled, are forgotten after this long. */
  forgetAfterMs: number;
}

export interface DiscoveryStatus {
  done: boolean;
  directories: number;
  files: number;
  refused: number;
}

interface WatchedDir {
  pattern: WatchPattern;
  path: string;
  id: string;
  mtimeMs: number;
  real: string;
}

function statOrNull(path: string): Promise<Stats | null> {
  return new Promise((resolve) => stat(fsPath(path), (error, stats) => resolve(error ? null : stats)));
}

const REFUSED_KEPT = 10_000;
/** Entries of one directory handled at once while walking. */
const WALK_BATCH = 256;

function isFile(path: string): boolean {
  try {
    return statSync(fsPath(path)).isFile();
  } catch {
    return false;
  }
}

const dirKey = (pattern: WatchPattern, pathOrId: string) => `${pattern.pattern}\u0000${pathOrId}`;

export class Tailer implements Checkpointed<FilePosition> {
  readonly name = 'file';
  private readonly tails = new Map<string, FileTail>();
  private readonly lastChecked = new Map<FileTail, number>();
  private readonly gone = new Map<string, number>();
  private readonly refused = new Set<string>();
  private refusedTotal = 0;
  /** By dirKey(pattern, path): two patterns may walk the same directory. */
  private readonly dirs = new Map<string, WatchedDir>();
  /** pattern + directory identity → the path it was first walked by (loops and aliases end there). */
  private readonly dirById = new Map<string, string>();
  private readonly realToLogical = new Map<string, string>();
  private readonly identities: IdentityRegistry;
  private readonly saved: Map<string, SavedPath>;
  private patterns: WatchPattern[];
  /** Patterns a reload added, during their first walk. */
  private readonly joining = new Set<WatchPattern>();
  private readonly watchers = new Map<WatchPattern, FSWatcher>();
  private timer: NodeJS.Timeout | null = null;
  private ready = false;
  private stopping = false;
  private ticking: Promise<void> | null = null;
  private starting: Promise<void> = Promise.resolve();
  private knownAt: number;
  /** Moves whenever what position() returns may have changed other than through merges. */
  private changes = 0;

  constructor(private readonly options: TailerOptions) {
    this.patterns = options.patterns.map((p) => compileWatchPattern(p, isFile(p)));
    const resume = options.resumeFrom;
    // First start: what exists now is "before" (--from applies); later files are new.
    this.knownAt = resume?.knownAt ?? Date.now();
    this.saved = new Map((resume?.paths ?? []).map((p) => [p.path, p]));
    this.identities = new IdentityRegistry(options.forgetAfterMs, this.now);
    for (const p of resume?.paths ?? []) for (const f of p.files) this.identities.reserve(p.path, f.dev, f.ino);
    for (const f of resume?.finished ?? []) this.identities.restoreFinished(f);
  }

  /** Walks every pattern once and starts polling; resolves once the files present at start are read. */
  start(): Promise<void> {
    this.starting = this.discoverAll();
    return this.starting;
  }

  private async discoverAll(): Promise<void> {
    if (!this.options.usePolling)
      for (const pattern of this.patterns) this.watchers.set(pattern, this.watcher(pattern));
    await Promise.all(this.patterns.map((pattern) => this.walk(pattern, pattern.base)));
    if (this.stopping) return;
    for (const pattern of this.patterns) {
      if (!this.dirs.has(dirKey(pattern, pattern.base))) this.options.events.waiting(pattern.base);
    }
    this.ready = true;
    this.changes++; // knownAt moves on from here
    // Checkpointed files whose path no longer matches anything: let other paths have them.
    this.identities.dropReservations();
    this.timer = setInterval(() => void this.tick(), this.options.pollIntervalMs);
    this.timer.unref();
  }

  get discovery(): DiscoveryStatus {
    return { done: this.ready, directories: this.dirs.size, files: this.tails.size, refused: this.refusedTotal };
  }

  /** Files with an open descriptor (a deleted file's tail stays known but holds nothing open). */
  get fileCount(): number {
    let open = 0;
    for (const tail of this.tails.values()) if (tail.isOpen) open++;
    return open;
  }

  /** Descriptors the file source holds: one per open file. */
  get openDescriptors(): number {
    let n = 0;
    for (const tail of this.tails.values()) n += tail.openFiles;
    return n;
  }

  statuses(): FileTailStatus[] {
    return [...this.tails.values()].map((tail) => tail.status());
  }

  /** Moves when a file is found, opened, let go or forgotten (position() changed with no merge). */
  get positionVersion(): number {
    return this.changes;
  }

  /**
   * The file source's part of a checkpoint. Synchronous. `knownAt`: every file written before
   * then is in it or was never to be read; it moves on only once discovery (and every resume)
   * is done, so a crash during a start does not hide files rotated in and out before it.
   */
  position(): FilePosition {
    if (this.ready) {
      // Only what every tail saw in its last look is known: a generation that came and went
      // after a path's last look is newer than its lookedAt, so a start reads it whole.
      // (File times trail the clock by up to a tick: a file written just after a look may carry
      // a time just before it.)
      let knownAt = Date.now();
      for (const tail of this.tails.values()) knownAt = Math.min(knownAt, tail.lookedAt);
      knownAt -= MTIME_SLACK_MS;
      this.knownAt = Math.max(this.knownAt, knownAt);
    }
    const paths = [...this.tails.values()].flatMap((tail) => tail.position() ?? []);
    // Paths from the checkpoint not seen again yet keep their place until they are forgotten.
    for (const [path, saved] of this.saved) if (!this.tails.has(path)) paths.push(saved);
    return { paths, finished: this.identities.finishedFiles(), knownAt: this.knownAt };
  }

  /** Nothing to let go: the files themselves are what a start reads again. */
  durable(): void {}

  /** One poll: directories by their stat, then every tail that is due. Resolves when done. */
  tick(): Promise<void> {
    if (this.ticking) return this.ticking;
    this.ticking = (async () => {
      await this.pollDirectories();
      const now = this.now();
      const due: Promise<void>[] = [];
      for (const tail of this.tails.values()) {
        const every = pollEveryMs(this.options.pollIntervalMs, now - tail.lastActivity, !this.options.usePolling);
        if (!pollDue(now, this.lastChecked.get(tail) ?? 0, every)) continue;
        this.lastChecked.set(tail, now);
        // With events, the file system is local: a synchronous stat tells an idle file cheaply.
        if (!this.options.usePolling && tail.idleNow()) continue;
        due.push(tail.check());
      }
      await Promise.all(due);
      this.forget(now);
    })().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  /**
   * Follows these patterns from now on (a reload): new ones are watched and walked (their files
   * read from the beginning: they are new to us); for removed ones the watching stops, and a file
   * no pattern matches any more is read to its end and let go, as a deleted one is.
   */
  async setPatterns(next: readonly string[]): Promise<void> {
    const keep = this.patterns.filter((p) => next.includes(p.pattern));
    const removed = this.patterns.filter((p) => !next.includes(p.pattern));
    const added = next
      .filter((source, i) => next.indexOf(source) === i && !keep.some((p) => p.pattern === source))
      .map((source) => compileWatchPattern(source, isFile(source)));
    this.patterns = [...keep, ...added];
    for (const pattern of removed) {
      await this.watchers.get(pattern)?.close();
      this.watchers.delete(pattern);
      for (const dir of [...this.dirs.values()]) {
        if (dir.pattern !== pattern) continue;
        this.dirs.delete(dirKey(pattern, dir.path));
        this.dirById.delete(dirKey(pattern, dir.id));
      }
    }
    for (const pattern of added) if (!this.options.usePolling) this.watchers.set(pattern, this.watcher(pattern));
    // Files only the new patterns match, found by their first walk, start where --from says (as
    // files present at start do); files that appear later are new and read whole.
    for (const pattern of added) this.joining.add(pattern);
    try {
      await Promise.all(added.map((pattern) => this.walk(pattern, pattern.base)));
    } finally {
      for (const pattern of added) this.joining.delete(pattern);
    }
    const unwatched = [...this.tails].filter(([label]) => !this.patterns.some((p) => p.matches(label)));
    await Promise.all(unwatched.map(([, tail]) => tail.retire()));
    this.changes++;
  }

  /** Resolves after one check of every file: everything written before the call has been read. */
  async checkAll(): Promise<void> {
    await this.pollDirectories();
    await Promise.all([...this.tails.values()].map((tail) => tail.check()));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.all([...this.watchers.values()].map((w) => w.close()));
    await this.starting.catch(() => {});
    await this.ticking;
    await Promise.all([...this.tails.values()].map((tail) => tail.stop()));
  }

  private readonly now = (): number => this.options.now?.() ?? Date.now();

  private watcher(pattern: WatchPattern): FSWatcher {
    const watcher = watch([], {
      depth: 0,
      ignoreInitial: true,
      atomic: false,
      // Only the directories we walked and the files that match: nothing else is stat'ed or kept.
      ignored: (path) => !this.realToLogical.has(path) && !pattern.matches(this.logical(path)),
    });
    const wake = (path: string) => {
      // A name that is not UTF-8 reaches chokidar with its bytes replaced (U+FFFD): not a path
      // that can be opened. The directory's own poll finds it by its bytes (tail/fs-names.ts).
      if (path.includes('\uFFFD')) return;
      const label = this.logical(path);
      const tail = this.tails.get(label);
      if (tail) void tail.check();
      else void this.track(label);
    };
    watcher.on('add', wake);
    watcher.on('change', wake);
    watcher.on('unlink', wake);
    watcher.on('error', (error) => this.options.events.watchError(pattern.base, error));
    return watcher;
  }

  /** A path as chokidar reports it (under a real directory) → the path the user's glob matched. */
  private logical(path: string): string {
    const dir = this.realToLogical.get(dirname(path));
    return dir === undefined ? path : join(dir, basename(path));
  }

  /**
   * Reads a directory and everything below it that may hold matches. A directory's device +
   * inode is walked once per pattern: symlink loops end, aliases are walked once.
   */
  private async walk(pattern: WatchPattern, dir: string): Promise<void> {
    if (this.stopping) return;
    const stats = await statOrNull(dir);
    if (!stats?.isDirectory()) return;
    const id = `${stats.dev}:${stats.ino}`;
    const first = this.dirById.get(dirKey(pattern, id));
    if (first !== undefined && first !== dir && this.dirs.has(dirKey(pattern, first))) return; // reached before by another path
    this.dirById.set(dirKey(pattern, id), dir);
    const real = await realpath(fsPath(dir), { encoding: 'buffer' }).then(decodeName, () => dir);
    const known = this.dirs.get(dirKey(pattern, dir));
    if (known?.id !== id) {
      if (known) this.watchers.get(pattern)?.unwatch(known.real);
      this.realToLogical.set(real, dir);
      this.watchers.get(pattern)?.add(real);
    }
    this.dirs.set(dirKey(pattern, dir), { pattern, path: dir, id, mtimeMs: stats.mtimeMs, real });
    let entries: Dirent<Buffer>[];
    try {
      entries = await readdir(fsPath(dir), { withFileTypes: true, encoding: 'buffer' });
    } catch (error) {
      this.options.events.watchError(dir, error);
      return;
    }
    // A bounded number at a time: a directory of 50,000 files must not open them all at once.
    for (let i = 0; i < entries.length && !this.stopping; i += WALK_BATCH) {
      const found: Promise<void>[] = [];
      for (const entry of entries.slice(i, i + WALK_BATCH)) {
        const path = join(dir, decodeName(entry.name));
        if ((entry.isFile() || entry.isSymbolicLink()) && pattern.matches(path)) found.push(this.track(path));
        else if ((entry.isDirectory() || entry.isSymbolicLink()) && pattern.mayContain(path)) {
          found.push(this.walk(pattern, path));
        }
      }
      await Promise.all(found);
    }
  }

  /** Each watched directory by its stat: new entries, gone, or replaced by another directory. */
  private async pollDirectories(): Promise<void> {
    const work: Promise<void>[] = [];
    for (const pattern of this.patterns) {
      if (!this.dirs.has(dirKey(pattern, pattern.base))) work.push(this.walk(pattern, pattern.base));
    }
    for (const known of [...this.dirs.values()]) {
      const { path } = known;
      work.push(
        statOrNull(path).then((stats) => {
          if (!this.dirs.has(dirKey(known.pattern, path))) return; // dropped with its parent meanwhile
          if (!stats?.isDirectory()) {
            this.dropDir(known);
            // Its parent (if still watched) notices a re-created directory by its own mtime.
            return;
          }
          if (`${stats.dev}:${stats.ino}` !== known.id || stats.mtimeMs !== known.mtimeMs) {
            return this.walk(known.pattern, path);
          }
        }),
      );
    }
    await Promise.all(work);
  }

  private dropDir(known: WatchedDir): void {
    const { path, pattern } = known;
    this.dirs.delete(dirKey(pattern, path));
    this.dirById.delete(dirKey(pattern, known.id));
    this.realToLogical.delete(known.real);
    this.watchers.get(pattern)?.unwatch(known.real);
    // Below it, nothing is there any more either; the base is walked again once it comes back.
    for (const sub of [...this.dirs.values()]) {
      if (sub.pattern === pattern && sub.path.startsWith(`${path}/`)) this.dropDir(sub);
    }
    const parent = path === pattern.base ? undefined : this.dirs.get(dirKey(pattern, dirname(path)));
    if (parent) parent.mtimeMs = -1; // walk the parent on the next poll: the directory may be back
  }

  private async track(label: string): Promise<void> {
    if (this.stopping) return;
    const known = this.tails.get(label);
    if (known) return void (await known.check());
    if (this.tails.size >= this.options.maxFiles && this.activeTails() >= this.options.maxFiles) {
      if (!this.refused.has(label)) {
        if (this.refused.size < REFUSED_KEPT) this.refused.add(label);
        this.refusedTotal++;
        this.options.events.refused(label);
      }
      return;
    }
    this.refused.delete(label);
    const tail = new FileTail(label, {
      ...this.options,
      isWatched: (path) => this.patterns.some((p) => p.matches(path)),
      identities: this.identities,
      onPositionsChanged: () => {
        this.changes++;
      },
    });
    this.tails.set(label, tail);
    this.changes++;
    this.lastChecked.set(tail, this.now());
    const saved = this.saved.get(label);
    if (saved && this.options.resumeFrom) {
      // Handed over in this same tick: a checkpoint taken meanwhile must still see the path's
      // saved generations (the tail keeps them until it has them open again).
      this.saved.delete(label);
      await tail.start({ kind: 'saved', saved, writtenAt: this.options.resumeFrom.knownAt });
    } else {
      await tail.start(await this.startAt(label));
    }
  }

  private activeTails(): number {
    let active = 0;
    for (const tail of this.tails.values()) if (!tail.isFinished) active++;
    return active;
  }

  /** Where a path the checkpoint does not know starts. */
  private async startAt(label: string): Promise<StartAt> {
    const resume = this.options.resumeFrom;
    if (this.joining.size > 0 && this.patterns.every((p) => !p.matches(label) || this.joining.has(p))) {
      return { kind: this.options.from };
    }
    // The first look at a path comes a while after the start (the walk, under load) or after the
    // file appeared: the generations rotated away from it since knownAt (the start's, or the last
    // checkpoint's) hold lines nobody counted, and a checkpoint claims to know them.
    const beginning = { kind: 'beginning', rotatedSince: this.knownAt } as const;
    if (this.ready) return beginning;
    // Not in the checkpoint: a file written since the checkpoint holds lines nobody counted.
    const stats = resume ? await statOrNull(label) : null;
    if (stats && resume && stats.mtimeMs > resume.knownAt) return beginning;
    return this.options.from === 'beginning' ? beginning : { kind: 'end' };
  }

  /** Tails whose file has been gone for forgetAfterMs are dropped, with the series they labelled. */
  private forget(now: number): void {
    for (const [label, tail] of this.tails) {
      if (!tail.isFinished) {
        this.gone.delete(label);
        continue;
      }
      const since = this.gone.get(label);
      if (since === undefined) this.gone.set(label, now);
      else if (now - since >= this.options.forgetAfterMs) {
        this.tails.delete(label);
        this.changes++;
        this.lastChecked.delete(tail);
        this.gone.delete(label);
        this.refused.delete(label);
        this.options.events.forget(label);
      }
    }
    this.identities.expire();
  }
}
