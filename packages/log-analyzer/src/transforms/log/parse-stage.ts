// The parse stage: the transform the wiring puts between the file source and the store. A file
// chunk goes to a worker (transforms/pool/parse-pool.ts) and comes back a ChunkSummary; applying
// that summary merges it into the store's log families, and that merge is the acknowledgement.
// Owns nothing but the binding of pool and families; the file source owns positions and order.

import type { ChunkSummary } from '../../store/chunk-summary.js';
import { emptySummary } from '../../store/chunk-summary.js';
import { type LogFamilies, mergeSummary } from '../../store/log-families.js';
import type { Lease, ParsePool } from '../pool/parse-pool.js';
import { type Rule, ruleReads } from './rule-config.js';
import type { RuleSet } from './worker.js';

/** One read of a file: whole lines, and the over-long lines that ended in it. */
export interface FileChunk {
  /** Whole lines, moved to a worker (the reader never touches them again); null: only over-long lines ended here. */
  bytes: Uint8Array | null;
  /** Lines skipped for length that ended in this read: counted, never parsed. */
  tooLong: number;
  /** The pool slot the reader took before reading; parse() gives it back, whatever happens. */
  lease: Lease;
  /** The same bytes read from the file again (a failed worker took them with it). */
  again(): Promise<Uint8Array>;
}

/**
 * Where one file's chunks go, in two steps: parse() may finish in any order (chunks are in
 * flight on several workers at once); apply() is called in read order, and the source commits
 * the chunk's position in the same synchronous section. That keeps the store's counts and the
 * checkpointed positions exactly in step: a checkpoint can never hold a chunk's counts without
 * its position, or the other way round (a restart would count it twice, or never).
 */
export interface ChunkSink {
  /** Bytes to read per chunk. */
  readonly readBytes: number;
  /** A buffer to read into (reused: it travels to a worker and back). */
  buffer(size: number): Uint8Array;
  /** Resolves with a pool slot when a chunk may be read: a busy pool pauses reading. Taken before reading. */
  ready(): Promise<Lease>;
  /** Parses on a worker. Rejects only when the bytes could be neither parsed nor read again. */
  parse(chunk: FileChunk): Promise<ChunkSummary>;
  /** Merges a parsed chunk into the store (the acknowledgement). Synchronous. */
  apply(summary: ChunkSummary): void;
}

/** The file source holds one sink per followed path (its `file` label). */
export interface ChunkSinks {
  forFile(file: string): ChunkSink;
}

/** What the stage needs of the pool (tests hand in a pool that finishes chunks in a chosen order). */
export type ChunkPool = Pick<ParsePool, 'readBytes' | 'buffer' | 'acquire' | 'run'>;

/** Told of every chunk merged (serve: line rates, the checkpoint's change counter, worker failures). */
export type OnMerged = (file: string, summary: ChunkSummary) => void;

/** The user rules and the route templates their `route` labels use. */
export interface UserRules {
  rules: readonly Rule[];
  routes: readonly string[];
}

export class ParseStage implements ChunkSinks {
  constructor(
    private readonly pool: ChunkPool,
    private readonly families: LogFamilies,
    private readonly onMerged?: OnMerged,
    /** The format a file's chunks are parsed with (its [[files]] entry's); absent: the pool's. */
    private readonly formatOf?: (file: string) => string,
    private readonly userRules: UserRules | null = null,
  ) {}

  forFile(file: string): ChunkSink {
    const { pool } = this;
    const rules = this.rulesFor(file);
    return {
      readBytes: pool.readBytes,
      buffer: (size) => pool.buffer(size),
      ready: () => pool.acquire(),
      // Asked per chunk, so a reload's new --format reaches files without an entry of their own.
      parse: (chunk) => this.parse(chunk, this.formatOf?.(file), rules),
      apply: (summary) => {
        mergeSummary(this.families, file, summary);
        this.onMerged?.(file, summary);
      },
    };
  }

  /** Starts at once (the bytes are transferred before this returns); over-long lines are added to the result. */
  private async parse(
    { bytes, tooLong, lease, again }: FileChunk,
    format: string | undefined,
    rules: string | null,
  ): Promise<ChunkSummary> {
    if (!bytes) {
      lease.release();
      return { ...emptySummary(), lines: tooLong, tooLong };
    }
    const summary = await this.pool.run(lease, bytes, again, format, rules);
    return tooLong > 0 ? { ...summary, lines: summary.lines + tooLong, tooLong: summary.tooLong + tooLong } : summary;
  }

  /** The rules that read this file, as the text a worker compiles (worker.ts RuleSet), or null for none. */
  private rulesFor(file: string): string | null {
    if (!this.userRules) return null;
    const { rules, routes } = this.userRules;
    const ids = rules.flatMap((rule, id) => (ruleReads(rule, file) ? [id] : []));
    if (ids.length === 0) return null;
    const set: RuleSet = { rules: ids.map((id) => rules[id] as Rule), ids, routes: [...routes] };
    return JSON.stringify(set);
  }
}
