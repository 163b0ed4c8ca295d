// The fast decoder's memory of what it has checked before, by raw bytes: a series (name, labels,
// service and tenant_id as the sender wrote them, under one tenant scope and limits) → its name and
// sorted, validated key; and small texts and layouts (help, buckets, quantiles) → their values.
// Bounded; a hit is always compared byte for byte, so a hash collision or an eviction costs only
// time (the item is checked again the exact way), never a different answer. One per thread.

import type { Target } from '../../metrics/catalog.js';
import type { MetricType } from '../../store/push-batch.js';
import { hashBytes } from './fast-json.js';

/** Series held at most by default (two generations of half each); about 250 bytes a series. */
export const SERIES_CACHE_SIZE = 65_536;

export interface SeriesEntry {
  hash: number;
  /** The name's bytes, then the labels value's, the service's and the tenant_id's (their lengths below). */
  bytes: Uint8Array;
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
  family: number;
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

/** A byte range of the body: the part of the series identity it holds. */
export interface Parts {
  b: Uint8Array;
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

/**
 * The hash of a series' identity; `seed` is its context's, `labels` its labels' (a function of
 * their bytes: fast-scan.ts hashes them while it scans them).
 */
export function seriesHash(p: Parts, seed: number, labels: number): number {
  const { b } = p;
  let h = hashBytes(b, p.nameStart, p.nameEnd, seed);
  h = Math.imul(h ^ labels, 0x01000193);
  if (p.serviceStart >= 0) h = hashBytes(b, p.serviceStart, p.serviceEnd, Math.imul(h ^ 0xfe, 0x01000193));
  if (p.tenantStart >= 0) h = hashBytes(b, p.tenantStart, p.tenantEnd, Math.imul(h ^ 0xfd, 0x01000193));
  return h;
}

function same(b: Uint8Array, start: number, end: number, bytes: Uint8Array, at: number, length: number): boolean {
  if (start < 0) return length === -1;
  if (end - start !== length) return false;
  for (let i = start; i < end; i++) if (b[i] !== bytes[at++]) return false;
  return true;
}

function matches(e: SeriesEntry, p: Parts, context: number): boolean {
  const { b } = p;
  const at = e.nameLength + e.labelsLength;
  return (
    e.context === context &&
    same(b, p.nameStart, p.nameEnd, e.bytes, 0, e.nameLength) &&
    same(b, p.labelsStart, p.labelsEnd, e.bytes, e.nameLength, e.labelsLength) &&
    same(b, p.serviceStart, p.serviceEnd, e.bytes, at, e.serviceLength) &&
    same(b, p.tenantStart, p.tenantEnd, e.bytes, at + Math.max(0, e.serviceLength), e.tenantLength)
  );
}

const span = (start: number, end: number) => (start < 0 ? 0 : end - start);

/**
 * Series by hash, in two generations: when the young one is full it becomes the old one (the old
 * is dropped) and a series found in the old is moved to the young. So what is pushed again and
 * again stays, at most `size` are held, and there is no moment all are forgotten at once. A hash
 * taken by another identity is replaced by the newer.
 */
export class SeriesCache {
  private young = new Map<number, SeriesEntry>();
  private old = new Map<number, SeriesEntry>();
  private readonly generation: number;

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
    const { b } = p;
    const nameLength = p.nameEnd - p.nameStart;
    const labelsLength = span(p.labelsStart, p.labelsEnd);
    const bytes = new Uint8Array(
      nameLength + labelsLength + span(p.serviceStart, p.serviceEnd) + span(p.tenantStart, p.tenantEnd),
    );
    let at = 0;
    for (const [start, end] of [
      [p.nameStart, p.nameEnd],
      [p.labelsStart, p.labelsEnd],
      [p.serviceStart, p.serviceEnd],
      [p.tenantStart, p.tenantEnd],
    ] as const) {
      if (start < 0) continue;
      bytes.set(b.subarray(start, end), at);
      at += end - start;
    }
    const entry: SeriesEntry = {
      hash,
      bytes,
      nameLength,
      labelsLength,
      serviceLength: p.serviceStart < 0 ? -1 : p.serviceEnd - p.serviceStart,
      tenantLength: p.tenantStart < 0 ? -1 : p.tenantEnd - p.tenantStart,
      context,
      name,
      key,
      service,
      batch: -1,
      family: -1,
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
