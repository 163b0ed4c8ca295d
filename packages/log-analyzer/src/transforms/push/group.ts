// Decoded samples → the store's DecodedBatch, grouped by family and series. Pure. The one grouping
// both decoders use (batch.ts from Sample objects, fast-decode.ts from bytes without them), so
// families, keys and their order cannot differ between the two paths.

import type { Target } from '../../metrics/catalog.js';
import type { BatchShape, DecodedBatch, FamilyInfo, MetricType, Rejection } from '../../store/push-batch.js';
import type { Sample } from './decode.js';

/** The exposed name: namespace and prefix put before it; a counter's ends in `_total`. */
export function exposedName(sample: Pick<Sample, 'name' | 'type'>, namespace: string, prefix: string): string {
  let name = `${namespace ? `${namespace}_` : ''}${prefix}${sample.name}`;
  if (sample.type === 'counter' && !name.endsWith('_total')) name += '_total';
  return name;
}

const SEP = '\u0001';

/**
 * Collects samples in body order. Families by raw name, then type, help and layout compared (a
 * batch repeats the same few); series per family; a series pushed by another source than the
 * batch's first sample's is a group apart.
 */
export class BatchGrouper {
  private readonly families: FamilyInfo[] = [];
  private readonly byName = new Map<string, number[]>();
  private readonly groupAt: Map<string, number>[] = [];
  private readonly family: number[] = [];
  private readonly keys: string[] = [];
  private readonly sources: string[] = [];
  private readonly counts: number[] = [];
  /** Per sample in body order, `n` of them: typed, sized for the batch (grown if it was not). */
  private groupOf: Int32Array;
  private values: Float64Array;
  private stamps: Float64Array;
  private indexes: Int32Array;
  private n = 0;
  private firstSource: string | undefined;

  constructor(
    private readonly namespace: string,
    private readonly prefix: string,
    capacity = 16,
  ) {
    this.groupOf = new Int32Array(capacity);
    this.values = new Float64Array(capacity);
    this.stamps = new Float64Array(capacity);
    this.indexes = new Int32Array(capacity);
  }

  /** The family of (name, type, help, layout), added at its first appearance. */
  familyOf(
    name: string,
    type: MetricType,
    help: string | null,
    buckets: number[] | null,
    targets: Target[] | null,
  ): number {
    let candidates = this.byName.get(name);
    if (!candidates) {
      candidates = [];
      this.byName.set(name, candidates);
    }
    for (const at of candidates) {
      if (sameFamily(this.families[at] as FamilyInfo, type, help, buckets, targets)) return at;
    }
    const f = this.families.length;
    candidates.push(f);
    this.families.push({
      name: exposedName({ name, type }, this.namespace, this.prefix),
      type,
      help,
      buckets,
      targets,
    });
    this.groupAt.push(new Map());
    return f;
  }

  /** The group of a series of family `f` from `source`; the first call fixes the batch's first source. */
  groupIn(f: number, key: string, source: string): number {
    if (this.firstSource === undefined) this.firstSource = source;
    const series = this.groupAt[f] as Map<string, number>;
    const groupKey = source === this.firstSource ? key : `${key}${SEP}${source}`;
    let g = series.get(groupKey);
    if (g === undefined) {
      g = this.keys.length;
      series.set(groupKey, g);
      this.family.push(f);
      this.keys.push(key);
      this.sources.push(source);
      this.counts.push(0);
    }
    return g;
  }

  /** One sample of group `g` (stamp: NaN when none). */
  add(g: number, index: number, value: number, stamp: number): void {
    const n = this.n++;
    if (n === this.groupOf.length) this.grow();
    this.groupOf[n] = g;
    this.values[n] = value;
    this.stamps[n] = stamp;
    this.indexes[n] = index;
    this.counts[g] = (this.counts[g] as number) + 1;
  }

  private grow(): void {
    const size = Math.max(16, this.groupOf.length * 2);
    const groupOf = new Int32Array(size);
    groupOf.set(this.groupOf);
    this.groupOf = groupOf;
    const values = new Float64Array(size);
    values.set(this.values);
    this.values = values;
    const stamps = new Float64Array(size);
    stamps.set(this.stamps);
    this.stamps = stamps;
    const indexes = new Int32Array(size);
    indexes.set(this.indexes);
    this.indexes = indexes;
  }

  sample(index: number, sample: Sample): void {
    const f = this.familyOf(sample.name, sample.type, sample.help, sample.buckets, sample.targets);
    this.add(this.groupIn(f, sample.key, sample.source), index, sample.value, sample.timestamp ?? Number.NaN);
  }

  /** The batch: each group's samples contiguous, in body order within a group. */
  finish(shape: BatchShape, total: number, rejected: Rejection[]): DecodedBatch {
    const { keys, counts, groupOf, n } = this;
    const start = new Int32Array(keys.length + 1);
    for (let g = 0; g < keys.length; g++) start[g + 1] = (start[g] as number) + (counts[g] as number);
    const fill = start.slice(0, keys.length);
    const values = new Float64Array(n);
    const stamps = new Float64Array(n);
    const indexes = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const g = groupOf[i] as number;
      const at = fill[g] as number;
      fill[g] = at + 1;
      values[at] = this.values[i] as number;
      stamps[at] = this.stamps[i] as number;
      indexes[at] = this.indexes[i] as number;
    }
    return {
      shape,
      total,
      rejected,
      families: this.families,
      family: Int32Array.from(this.family),
      keys,
      sources: this.sources,
      start,
      values,
      stamps,
      indexes,
    };
  }
}

function sameFamily(
  info: FamilyInfo,
  type: MetricType,
  help: string | null,
  b: number[] | null,
  q: Target[] | null,
): boolean {
  if (info.type !== type || info.help !== help) return false;
  const a = info.buckets;
  if (a !== b && (a === null || b === null || a.length !== b.length || a.some((x, i) => x !== b[i]))) return false;
  const p = info.targets;
  return (
    p === q ||
    (p !== null &&
      q !== null &&
      p.length === q.length &&
      p.every((t, i) => t.quantile === q[i]?.quantile && t.epsilon === q[i]?.epsilon))
  );
}
