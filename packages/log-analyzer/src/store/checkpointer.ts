// Takes checkpoints of the store and the sources' positions, and publishes what /metrics serves.
// Owns the checkpoint file and the published snapshot. Invariant: every value /metrics serves is
// already in a durable checkpoint, so a crash can never make a served counter go backwards
// (Prometheus would read that as a reset and rate() would spike). Without a checkpoint file the
// same cycle publishes without writing.

import { checkpointBody, serializeCheckpoint, writeCheckpoint } from './checkpoint.js';
import type { Store, StoreSnapshot } from './store.js';

/**
 * A source as the checkpointer sees it (sources/source.ts re-exports it as part of the source
 * contract; it lives here because the store may not import the sources). P is the source's own
 * position type, never `unknown`: the source validated what it restored, at its edge.
 */
export interface Checkpointed<P> {
  /** Its key in the checkpoint's `sources`. */
  readonly name: string;
  /** The position the store's counts include now; read in the checkpoint's synchronous section. */
  position(): P;
  /**
   * Moves whenever position() may have changed without the store changing (a file discovered or
   * forgotten, a batch applied that changed no value): with the store's version it tells the
   * checkpointer whether anything is new.
   */
  readonly positionVersion: number;
  /**
   * The position restored at start, from the checkpoint the first write keeps as the previous
   * generation (absent or null: that checkpoint held none of this source's).
   */
  readonly restored?: P | null;
  /**
   * A checkpoint holding `newest` is durable; `oldestKept` is the position of the oldest
   * generation a start may still fall back to (`<file>.prev`), null when that generation holds
   * none of this source's. What both include may go.
   */
  durable(newest: P, oldestKept: P | null): void;
}

export interface CheckpointerOptions {
  store: Store;
  /** Where to write; null: nothing is durable, the cycle only publishes. */
  path: string | null;
  /** Every source whose position a checkpoint saves, each under its name. */
  sources: readonly Checkpointed<unknown>[];
  /** Whether a checkpoint was on disk at start (the first write keeps it as the previous generation). */
  resumed?: boolean;
  /** A checkpoint is durable (after every source was told). */
  onWritten?(seconds: number, bytes: number): void;
  onError?(error: Error): void;
}

export interface Published {
  snapshot: StoreSnapshot;
  /** Increases with every publication: renders are cached per generation. */
  generation: number;
  at: number;
}

export class Checkpointer {
  published: Published = { snapshot: { families: [] }, generation: 0, at: 0 };
  /** The store's version and each source's positionVersion at the last checkpoint taken (null: none yet). */
  private lastVersions: number[] | null = null;
  private running: Promise<void> | null = null;
  private again = false;

  /**
   * Each source's position in the last checkpoint written (or found at start), in the order of
   * `sources`: the next write keeps that checkpoint as the previous generation. null: none yet.
   */
  private newest: unknown[] | null;

  constructor(private readonly options: CheckpointerOptions) {
    this.newest = options.resumed ? options.sources.map((source) => source.restored ?? null) : null;
  }

  /** The store's version, then every source's positionVersion: all equal to the last ones means nothing is new. */
  private versions(): number[] {
    const versions = [this.options.store.version];
    for (const source of this.options.sources) versions.push(source.positionVersion);
    return versions;
  }

  /**
   * Takes a checkpoint now (coalesced: a call during a write waits for one more after it) and
   * publishes it once it is durable. Never rejects: a failed write is reported and leaves the
   * previous publication in place.
   */
  checkpoint(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.once();
      } while (this.again);
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async once(): Promise<void> {
    const versions = this.versions();
    const last = this.lastVersions;
    if (last && versions.every((v, i) => v === last[i])) {
      // Nothing moved: what is published (and on disk) is still every current value.
      this.published = { ...this.published, at: Date.now() };
      return;
    }
    // One synchronous section: the counts and the positions they include are taken together.
    const at = Date.now();
    const snapshot = this.options.store.snapshot();
    const { path, sources } = this.options;
    const taken = sources.map((source) => source.position());
    const positions: Record<string, unknown> = {};
    sources.forEach((source, i) => {
      positions[source.name] = taken[i];
    });
    if (path) {
      const started = performance.now();
      let full: string;
      try {
        // Refused (a CheckpointError) when a piece would not read back: the last checkpoint stands.
        full = serializeCheckpoint(checkpointBody(snapshot, positions), at);
        await writeCheckpoint(path, full);
      } catch (error) {
        this.options.onError?.(error as Error);
        return; // tried again at the next interval: the versions stay unrecorded
      }
      const oldestKept = this.newest ?? taken;
      this.newest = taken;
      sources.forEach((source, i) => {
        source.durable(taken[i], oldestKept[i] ?? null);
      });
      this.options.onWritten?.((performance.now() - started) / 1000, full.length);
    }
    this.lastVersions = versions;
    this.published = { snapshot, generation: this.published.generation + 1, at };
  }
}
