// Discovery: expands --watch paths and globs into FileTails, watching directories (never the
// files themselves, which loses rotations) with chokidar, plus a periodic re-check because
// chokidar can drop the last change event of a burst.

import { realpath } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import { FileTail, type FileTailOptions, type FileTailStatus, type SavedPosition, type StartAt } from './file-tail.js';
import { compileWatchPattern, type WatchPattern } from './glob.js';

export interface TailerOptions extends FileTailOptions {
  patterns: readonly string[];
  /** Files present at start: read from their end or their beginning. New files: always the beginning. */
  from: 'end' | 'beginning';
  maxFiles: number;
  pollIntervalMs: number;
  usePolling?: boolean;
  /** Saved positions from a previous run, by path. */
  positions?: ReadonlyMap<string, SavedPosition>;
  onFileAdded?(label: string): void;
  onFileRefused?(label: string): void;
}

export class Tailer {
  private readonly tails = new Map<string, FileTail>();
  private readonly refused = new Set<string>();
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | null = null;
  private ready = false;
  private isWatched: (path: string) => boolean = () => false;
  private stopping = false;

  constructor(private readonly options: TailerOptions) {}

  /** Resolves once every file present at start is open and read up to where it should be. */
  async start(): Promise<void> {
    const patterns = this.options.patterns.map(compileWatchPattern);
    this.isWatched = (path) => patterns.some((pattern) => pattern.matches(path));
    await Promise.all(patterns.map((pattern) => this.watchPattern(pattern)));
    this.ready = true;
    this.timer = setInterval(() => this.checkAll(), this.options.pollIntervalMs);
    this.timer.unref();
  }

  /** Files with an open descriptor (a deleted file's tail stays known but holds nothing open). */
  get fileCount(): number {
    let open = 0;
    for (const tail of this.tails.values()) if (tail.isOpen) open++;
    return open;
  }

  statuses(): FileTailStatus[] {
    return [...this.tails.values()].map((tail) => tail.status());
  }

  positions(): SavedPosition[] {
    return [...this.tails.values()].flatMap((tail) => tail.position() ?? []);
  }

  /** Resolves after one check of every file: everything written before the call has been read. */
  async checkAll(): Promise<void> {
    await Promise.all([...this.tails.values()].map((tail) => tail.check()));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.all(this.watchers.map((w) => w.close()));
    await Promise.all([...this.tails.values()].map((tail) => tail.stop()));
  }

  private async watchPattern(pattern: WatchPattern): Promise<void> {
    // Watch the real directory (symlinks resolved) but label files by the path the user gave.
    const realBase = await realpath(pattern.base);
    const toLabel = (path: string) => join(pattern.base, relative(realBase, path));
    const watcher = watch(realBase, {
      depth: Number.isFinite(pattern.depth) ? pattern.depth : undefined,
      ignoreInitial: false,
      atomic: false,
      usePolling: this.options.usePolling ?? false,
      interval: this.options.pollIntervalMs,
      ignored: (path, stats) => stats?.isFile() === true && !pattern.matches(toLabel(path)),
    });
    this.watchers.push(watcher);
    const initial: Promise<void>[] = [];
    watcher.on('add', (path) => {
      const label = toLabel(path);
      const added = this.track(label).catch((error: unknown) => {
        console.error(
          `log-analyzer: cannot follow ${label}: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
      if (!this.ready) initial.push(added);
    });
    watcher.on('change', (path) => void this.tails.get(toLabel(path))?.check());
    watcher.on('unlink', (path) => void this.tails.get(toLabel(path))?.check());
    watcher.on('error', (error) => console.error(`log-analyzer: watching ${pattern.base}: ${String(error)}`));
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    await Promise.all(initial);
  }

  private async track(label: string): Promise<void> {
    if (this.stopping) return;
    const known = this.tails.get(label);
    if (known) return void (await known.check());
    let active = 0;
    for (const tail of this.tails.values()) if (!tail.isFinished) active++;
    if (active >= this.options.maxFiles) {
      if (!this.refused.has(label)) {
        this.refused.add(label);
        console.error(
          `log-analyzer: not following ${label}: already following --max-files=${this.options.maxFiles} files`,
        );
        this.options.onFileRefused?.(label);
      }
      return;
    }
    const tail = new FileTail(label, { ...this.options, isWatched: (path) => this.isWatched(path) });
    this.tails.set(label, tail);
    this.options.onFileAdded?.(label);
    const saved = this.options.positions?.get(label);
    const startAt: StartAt = saved
      ? { kind: 'saved', ...saved }
      : { kind: this.ready ? 'beginning' : this.options.from };
    await tail.start(startAt);
  }
}
