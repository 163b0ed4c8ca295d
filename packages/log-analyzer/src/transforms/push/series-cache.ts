// The fast decoder's memory of what it has checked before, by raw bytes: a series (name, labels,
// service and tenant_id as the sender wrote them, under one tenant scope and limits) → its name and
// sorted, validated key; and small texts and layouts (help, buckets, quantiles) → their values.
// Bounded; a hit is always compared byte for byte, so a hash collision or an eviction costs only
// time (the item is checked again the exact way), never a different answer. One set per thread
// (FastCaches, at the end).

import type { Target } from '../../metrics/catalog.js';
import type { MetricType } from '../../store/push-batch.js';
import { hashBytes } from './fast-json.js';
import { ItemTable } from './fast-scan.js';

/** Series held at most by default (two generations of half each); about 300 bytes a series. */
export const SERIES_CACHE_SIZE = 65_536;

export interface SeriesEntry {
  hash: number;
  /**
   * The name's bytes, then the labels value's, the service's and the tenant_id's, each from a
   * word boundary, packed four to a little-endian word in `words` from `at` (a chunk shared by
   * many entries: no object of its own to miss in the CPU cache, and compared four bytes a step).
   */
  words: Int32Array;
  at: number;
  nameLength: number;
  labelsLength: number;
  /** -1: no service (absent, not a string, or ''); likewise tenantLength. */
  serviceLength: number;
  tenantLength: number;
  /** Tenant scope and limits the key was checked under (fast-decode.ts contextOf), by number. */
  context: number;
  name: string;
  key: string;
  service: string | null;
  /** The group this series took in the batch `batch` (for family, type, help and source as given). */
  batch: number;
  group: number;
  source: string;
  type: MetricType | null;
  help: string | null;
  layout: unknown;
  /** The help text and layout this series came with last (a series repeats its own). */
  helpMemo: Memo<string> | null;
  bucketsMemo: Memo<number[] | null> | null;
  targetsMemo: Memo<Target[] | null> | null;
}

/** Byte ranges of the body (read through `dv` too): the parts of a series' identity. */
export interface Parts {
  b: Uint8Array;
  dv: DataView;
  nameStart: number;
  nameEnd: number;
  labelsStart: number;
  labelsEnd: number;
  /** -1 when none (see SeriesEntry). */
  serviceStart: number;
  serviceEnd: number;
  tenantStart: number;
  tenantEnd: number;
}

/** Words a range of `length` bytes takes (none for -1: absent). */
const wordsOf = (length: number) => (length + 3) >> 2;

/** FNV-1a style over [start, end), a word at a step, continuing from `h`. */
function hashRange(p: Parts, start: number, end: number, h: number): number {
  const { dv, b } = p;
  let i = start;
  for (; i + 4 <= end; i += 4) h = Math.imul(h ^ dv.getInt32(i, true), 0x01000193);
  for (; i < end; i++) h = Math.imul(h ^ (b[i] as number), 0x01000193);
  return h;
}

/**
 * The hash of a series' identity; `seed` is its context's, `labels` its labels' (a function of
 * their bytes: fast-scan.ts hashes them while it scans them).
 */
export function seriesHash(p: Parts, seed: number, labels: number): number {
  let h = hashRange(p, p.nameStart, p.nameEnd, seed);
  h = Math.imul(h ^ labels, 0x01000193);
  if (p.serviceStart >= 0) h = hashRange(p, p.serviceStart, p.serviceEnd, Math.imul(h ^ 0xfe, 0x01000193));
  if (p.tenantStart >= 0) h = hashRange(p, p.tenantStart, p.tenantEnd, Math.imul(h ^ 0xfd, 0x01000193));
  return h;
}

/** The bytes [start, end) as packed at words[at …] (the last word's unused bytes zero). */
function same(p: Parts, start: number, end: number, words: Int32Array, at: number, length: number): boolean {
  if (start < 0) return length === -1;
  if (end - start !== length) return false;
  const { dv, b } = p;
  let i = start;
  for (; i + 4 <= end; i += 4) if (dv.getInt32(i, true) !== words[at++]) return false;
  if (i === end) return true;
  let w = 0;
  for (let shift = 0; i < end; i++, shift += 8) w |= (b[i] as number) << shift;
  return w === words[at];
}

function matches(e: SeriesEntry, p: Parts, context: number): boolean {
  let at = e.at;
  if (e.context !== context || !same(p, p.nameStart, p.nameEnd, e.words, at, e.nameLength)) return false;
  at += wordsOf(e.nameLength);
  if (!same(p, p.labelsStart, p.labelsEnd, e.words, at, e.labelsLength)) return false;
  at += wordsOf(e.labelsLength);
  if (!same(p, p.serviceStart, p.serviceEnd, e.words, at, e.serviceLength)) return false;
  at += wordsOf(e.serviceLength);
  return same(p, p.tenantStart, p.tenantEnd, e.words, at, e.tenantLength);
}

const span = (start: number, end: number) => (start < 0 ? -1 : end - start);

/** Words per chunk of packed bytes (256 KiB). */
const CHUNK_WORDS = 1 << 16;

/**
 * Series by hash, in two generations: when the young one is full it becomes the old one (the old
 * is dropped) and a series found in the old is moved to the young. So what is pushed again and
 * again stays, at most `size` are held, and there is no moment all are forgotten at once. A hash
 * taken by another identity is replaced by the newer. Packed bytes live in chunks; a chunk is
 * freed when no entry it holds is left.
 */
export class SeriesCache {
  private young = new Map<number, SeriesEntry>();
  private old = new Map<number, SeriesEntry>();
  private readonly generation: number;
  private chunk = new Int32Array(CHUNK_WORDS);
  private used = 0;

  constructor(size = SERIES_CACHE_SIZE) {
    this.generation = Math.max(1, size >> 1);
  }

  find(hash: number, p: Parts, context: number): SeriesEntry | undefined {
    const e = this.young.get(hash);
    if (e !== undefined && matches(e, p, context)) return e;
    const o = this.old.get(hash);
    if (o === undefined || !matches(o, p, context)) return undefined;
    this.keep(o);
    return o;
  }

  add(hash: number, p: Parts, context: number, name: string, key: string, service: string | null): SeriesEntry {
    const ranges = [
      [p.nameStart, p.nameEnd],
      [p.labelsStart, p.labelsEnd],
      [p.serviceStart, p.serviceEnd],
      [p.tenantStart, p.tenantEnd],
    ] as const;
    let need = 0;
    for (const [start, end] of ranges) need += wordsOf(span(start, end));
    if (this.used + need > this.chunk.length) {
      this.chunk = new Int32Array(Math.max(CHUNK_WORDS, need));
      this.used = 0;
    }
    const words = this.chunk;
    const at = this.used;
    let w = at;
    for (const [start, end] of ranges) {
      if (start < 0) continue;
      for (let i = start, k = 0; i < end; i++, k++) {
        words[w + (k >> 2)] = (words[w + (k >> 2)] as number) | ((p.b[i] as number) << ((k & 3) * 8));
      }
      w += wordsOf(end - start);
    }
    this.used = w;
    const entry: SeriesEntry = {
      hash,
      words,
      at,
      nameLength: p.nameEnd - p.nameStart,
      labelsLength: p.labelsEnd - p.labelsStart,
      serviceLength: span(p.serviceStart, p.serviceEnd),
      tenantLength: span(p.tenantStart, p.tenantEnd),
      context,
      name,
      key,
      service,
      batch: -1,
      group: -1,
      source: '',
      type: null,
      help: null,
      layout: null,
      helpMemo: null,
      bucketsMemo: null,
      targetsMemo: null,
    };
    this.keep(entry);
    return entry;
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  private keep(e: SeriesEntry): void {
    if (this.young.size >= this.generation) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(e.hash, e);
  }
}

/**
 * Small values by the bytes they were read from (one range, or two: quantiles and epsilons),
 * forgotten all at once past `size` (help texts and layouts: a body repeats a few).
 */
export interface Memo<T> {
  /** The bytes it was read from: the first range's `split` bytes, then the second's. */
  bytes: Uint8Array;
  split: number;
  value: T;
}

/** Whether ranges [s1, e1) and [s2, e2) of `b` hold what `memo` was read from. */
export function sameBytes(memo: Memo<unknown>, b: Uint8Array, s1: number, e1: number, s2 = 0, e2 = 0): boolean {
  const { bytes } = memo;
  if (memo.split !== e1 - s1 || bytes.length !== e1 - s1 + e2 - s2) return false;
  let k = 0;
  for (let i = s1; i < e1; i++) if (b[i] !== bytes[k++]) return false;
  for (let i = s2; i < e2; i++) if (b[i] !== bytes[k++]) return false;
  return true;
}

export class BytesMemo<T> {
  private readonly entries = new Map<number, Memo<T>>();

  constructor(private readonly size = 1024) {}

  find(b: Uint8Array, s1: number, e1: number, s2 = 0, e2 = 0): Memo<T> | undefined {
    const e = this.entries.get(hashBytes(b, s2, e2, hashBytes(b, s1, e1)));
    return e !== undefined && sameBytes(e, b, s1, e1, s2, e2) ? e : undefined;
  }

  add(b: Uint8Array, value: T, s1: number, e1: number, s2 = 0, e2 = 0): Memo<T> {
    if (this.entries.size >= this.size) this.entries.clear();
    const bytes = new Uint8Array(e1 - s1 + e2 - s2);
    bytes.set(b.subarray(s1, e1));
    bytes.set(b.subarray(s2, e2), e1 - s1);
    const memo = { bytes, split: e1 - s1, value };
    this.entries.set(hashBytes(b, s2, e2, hashBytes(b, s1, e1)), memo);
    return memo;
  }
}

/** The caches of this thread: series, help texts, layouts. */
export class FastCaches {
  readonly series: SeriesCache;
  readonly help = new BytesMemo<string>();
  readonly buckets = new BytesMemo<number[] | null>();
  readonly targets = new BytesMemo<Target[] | null>();
  /** Metric names, one string each (so the family lookups compare references). */
  readonly names = new Interner();
  readonly table = new ItemTable();
  batches = 0;
  /** Items taken from their bytes, and items handed to the exact checks (for tests and benchmarks). */
  taken = 0;
  checked = 0;

  constructor(seriesSize?: number) {
    this.series = new SeriesCache(seriesSize);
  }
}

/** One string object per distinct text, forgotten all at once past 4,096. */
export class Interner {
  private readonly strings = new Map<string, string>();

  intern(s: string): string {
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    if (this.strings.size >= 4096) this.strings.clear();
    this.strings.set(s, s);
    return s;
  }
}
