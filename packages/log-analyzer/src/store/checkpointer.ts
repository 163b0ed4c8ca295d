// Takes checkpoints of the store and the sources' positions, and publishes what /metrics serves.
// Owns the checkpoint file and the published snapshot. Invariant: every value /metrics serves is
// already in a durable checkpoint, so a crash can never make a served counter go backwards
// (Prometheus would read that as a reset and rate() would spike). Without a checkpoint file the
// same cycle publishes without writing.

import { checkpointBody, serializeCheckpoint, writeCheckpoint } from './checkpoint.js';
import type { Store, StoreSnapshot } from './store.js';

export interface CheckpointerOptions {
  store: Store;
  /** Where to write; null: nothing is durable, the cycle only publishes. */
  path: string | null;
  /** Every source's committed position, read in the same tick as the store's snapshot. */
  positions(): Record<string, unknown>;
  /**
   * Changes whenever the store or a position may have changed. Equal to the last checkpoint's:
   * nothing is taken or written (an idle analyzer costs nothing here).
   */
  version(): string;
  /** The positions of the checkpoint on disk at start (it becomes the previous generation at the first write). */
  kept?: Record<string, unknown> | null;
  /**
   * A checkpoint is durable: these are the positions it saved, and those of the oldest generation
   * kept beside it (`<file>.prev`, which a start falls back to): a source may drop what that includes.
   */
  onWritten?(
    seconds: number,
    bytes: number,
    positions: Record<string, unknown>,
    oldestKept: Record<string, unknown>,
  ): void;
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
  private lastVersion: string | null = null;
  private running: Promise<void> | null = null;
  private again = false;

  /** The positions of the last checkpoint written (or found at start): the next write keeps it as the previous generation. */
  private newest: Record<string, unknown> | null;

  constructor(private readonly options: CheckpointerOptions) {
    this.newest = options.kept ?? null;
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
    const version = this.options.version();
    if (version === this.lastVersion) {
      // Nothing moved: what is published (and on disk) is still every current value.
      this.published = { ...this.published, at: Date.now() };
      return;
    }
    // One synchronous section: the counts and the positions they include are taken together.
    const at = Date.now();
    const snapshot = this.options.store.snapshot();
    const positions = this.options.positions();
    const { path } = this.options;
    if (path) {
      const started = performance.now();
      let full: string;
      try {
        // Refused (a CheckpointError) when a piece would not read back: the last checkpoint stands.
        full = serializeCheckpoint(checkpointBody(snapshot, positions), at);
        await writeCheckpoint(path, full);
      } catch (error) {
        this.options.onError?.(error as Error);
        return; // tried again at the next interval: the version stays unrecorded
      }
      const oldestKept = this.newest ?? positions;
      this.newest = positions;
      this.options.onWritten?.((performance.now() - started) / 1000, full.length, positions, oldestKept);
    }
    this.lastVersion = version;
    this.published = { snapshot, generation: this.published.generation + 1, at };
  }
}
