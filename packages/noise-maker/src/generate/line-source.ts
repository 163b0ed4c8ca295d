// Produces batches of log lines: the traffic model rendered in the chosen format, with the
// requested share of malformed lines and timestamps from the wall clock or a simulated one. Pure.
// For speed, POOL_SIZE requests are drawn from the model and rendered once to bytes, split
// around %t; each line then draws one of them at random and gets its own timestamp, which keeps
// the model's distributions while making a line cost a random draw and three byte copies.
// The draws restart from a seed of their own every BLOCK_LINES lines, so any block of lines can
// be rendered on its own (on another thread) and still be the same bytes for the same seed.

import { compileFormat, type FormatPlan } from 'log-analyzer/format';
import { apacheTime, createLineFormatter } from './format-line.js';
import { malformedLine } from './malformed.js';
import { createRandom, type Random } from './random.js';
import { TrafficModel } from './traffic-model.js';

export interface LineSourceOptions {
  format: string;
  seed: number;
  errorRate: number;
  malformedRate: number;
  /** Simulated time: line i is stamped startTimeMs + i / simulatedRate seconds. Null: the wall clock. */
  startTimeMs: number | null;
  simulatedRate: number;
}

/**
 * Distinct requests rendered up front (a site with this many distinct request lines in play).
 * Every line written draws one at random, so the pool (~200 bytes a line) must stay in a core's
 * cache: 16,384 (3 MB) made a line cost 0.6 µs here, 4,096 (0.8 MB) 0.2 µs.
 */
const POOL_SIZE = 4096;
/** Lines per block: the unit that can be rendered independently. */
export const BLOCK_LINES = 4096;

/** A block rendered on its own: the lines' bytes, where each ends, and which are malformed. */
export interface RenderedBlock {
  bytes: Uint8Array;
  /** ends[i]: offset just past line i's newline. */
  ends: Uint32Array;
  /** Indexes (within the block) of the malformed lines. */
  malformed: Uint32Array;
}
/** Stands in for the timestamp while a pooled line is rendered, then marks where it goes. */
const TIME_SLOT = '\u0000';

interface Pooled {
  /** The line split around its timestamp(s): parts.join(time) is the line. */
  parts: string[];
  /** With exactly one %t: the whole line's bytes, with a stand-in where the timestamp goes. */
  bytes: Uint8Array | null;
  timeAt: number;
  status: string;
}

const encoder = new TextEncoder();

export class LineSource {
  private readonly plan: FormatPlan;
  private readonly pool: Pooled[];
  /** The draws of the current block (replaced at each block's first line). */
  private random: Random = createRandom(0);
  private index = 0;
  private cachedSecond = Number.NaN;
  private cachedTime = '';
  private cachedTimeBytes = new Uint8Array(0);
  private out = Buffer.allocUnsafe(1 << 20);
  malformed = 0;

  constructor(private readonly options: LineSourceOptions) {
    this.plan = compileFormat(options.format);
    const format = createLineFormatter(this.plan.source);
    const model = new TrafficModel({ seed: options.seed, errorRate: options.errorRate });
    const placeholder = apacheTime(0);
    this.pool = Array.from({ length: POOL_SIZE }, () => {
      const req = model.next();
      const parts = format(req, TIME_SLOT).split(TIME_SLOT);
      const single = parts.length === 2;
      return {
        parts,
        bytes: single ? encoder.encode(parts.join(placeholder)) : null,
        timeAt: single ? Buffer.byteLength(parts[0] as string) : 0,
        status: String(req.status),
      };
    });
    // One buffer for all pooled lines, not one each: fewer cache and TLB misses on the random draws.
    const arena = new Uint8Array(this.pool.reduce((n, p) => n + (p.bytes?.length ?? 0), 0));
    let at = 0;
    for (const p of this.pool) {
      if (!p.bytes) continue;
      arena.set(p.bytes, at);
      p.bytes = arena.subarray(at, at + p.bytes.length);
      at += p.bytes.length;
    }
  }

  /** `count` lines, each ending in "\n", as bytes valid until the next call. `nowMs` stamps them unless time is simulated. */
  next(count: number, nowMs: number): Uint8Array {
    return this.render(count, nowMs, null);
  }

  /** Block `block` (lines block × BLOCK_LINES onwards), in buffers of its own. */
  block(block: number, nowMs: number): RenderedBlock {
    this.index = block * BLOCK_LINES;
    const record = { ends: new Uint32Array(BLOCK_LINES), malformed: [] as number[] };
    const bytes = this.render(BLOCK_LINES, nowMs, record).slice();
    return { bytes, ends: record.ends, malformed: Uint32Array.from(record.malformed) };
  }

  private render(count: number, nowMs: number, record: { ends: Uint32Array; malformed: number[] } | null): Uint8Array {
    const { startTimeMs, simulatedRate, malformedRate, seed } = this.options;
    const { pool } = this;
    let out = this.out;
    let pos = 0;
    for (let i = 0; i < count; i++) {
      const ms = startTimeMs === null ? nowMs : startTimeMs + (this.index * 1000) / simulatedRate;
      const time = this.timeFor(ms);
      if (this.index % BLOCK_LINES === 0) this.random = createRandom(blockSeed(seed, this.index / BLOCK_LINES));
      const random = this.random;
      const entry = pool[random.int(POOL_SIZE)] as Pooled;
      this.index++;
      // Either the pooled bytes with this line's timestamp written over the stand-in, or a one-off.
      let bytes = entry.bytes;
      let stamp = bytes !== null;
      if (malformedRate > 0 && random.next() < malformedRate) {
        bytes = encoder.encode(malformedLine(this.plan, entry.parts.join(time), entry.status, time, random));
        stamp = false;
        this.malformed++;
        record?.malformed.push(i);
      } else if (bytes === null) {
        bytes = encoder.encode(entry.parts.join(time));
      }
      if (pos + bytes.length + 1 > out.length) {
        const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, pos + bytes.length + 1));
        out.copy(bigger, 0, 0, pos);
        out = this.out = bigger;
      }
      out.set(bytes, pos);
      if (stamp) out.set(this.cachedTimeBytes, pos + entry.timeAt);
      pos += bytes.length;
      out[pos++] = 0x0a;
      if (record) record.ends[i] = pos;
    }
    return out.subarray(0, pos);
  }

  private timeFor(ms: number): string {
    const second = Math.floor(ms / 1000);
    if (second !== this.cachedSecond) {
      this.cachedSecond = second;
      this.cachedTime = apacheTime(second * 1000);
      this.cachedTimeBytes = encoder.encode(this.cachedTime);
    }
    return this.cachedTime;
  }
}

/** The draws' seed for a block: the run's seed and the block's number, mixed (32-bit). */
function blockSeed(seed: number, block: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(block + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  return (h ^ (h >>> 15)) >>> 0;
}
