// The store: every counted value of every source, in one place that a checkpoint can copy whole.
// Owns the metric families and their series. Sources never touch it directly: the wiring hands
// it their batches (`apply`), and a batch is acknowledged when apply returns.
// Plain maps and arrays, not prom-client metrics, so a snapshot is a cheap copy and restoring
// one on start makes counters carry on across restarts instead of resetting.

import type { FamilySpec } from '../metrics/catalog.js';
import type { SlidingQuantiles } from './quantiles.js';

/** A family's key in the store: its name, and a tenant's own family apart from the served one. */
export function familyKey(spec: Pick<FamilySpec, 'name' | 'tenant'>): string {
  return spec.tenant === undefined ? spec.name : `${spec.name}\u0000${spec.tenant}`;
}

/**
 * A series: its label values (in labelNames order, or in its own `names`' order), then its values.
 * Counter and gauge: `value` (a gauge's sample time in `at`; a cumulative counter's last running
 * total per source in `last`). Histogram: per-bucket counts (not cumulative), sum, count.
 * Summary: sum, count and the quantiles' values (live: a sliding window).
 */
interface SeriesLabels {
  labels: string[];
  names?: string[];
  /** When a push last updated it (not saved: a restart starts every series' time to live again). */
  touched?: number;
}
export type ValueSeries = SeriesLabels & { value: number; at?: number; last?: Record<string, number> };
export type CounterSeries = ValueSeries;
export type HistogramSeries = SeriesLabels & { buckets: number[]; sum: number; count: number };
export type SummarySeries = SeriesLabels & {
  sum: number;
  count: number;
  quantiles: number[];
  window?: SlidingQuantiles;
};
export type Series = ValueSeries | HistogramSeries | SummarySeries;

export interface FamilySnapshot extends FamilySpec {
  series: Series[];
}

export interface StoreSnapshot {
  families: FamilySnapshot[];
}

/**
 * Pure: the families a read serves. Unscoped (tenant null): the shared ones, one per name, never a
 * tenant's own. Scoped to a tenant: that tenant's own family of a name instead of the shared one.
 */
export function familiesFor(families: readonly FamilySnapshot[], tenant: string | null): FamilySnapshot[] {
  if (tenant === null) return families.filter((f) => f.tenant === undefined);
  const own = new Set(families.filter((f) => f.tenant === tenant).map((f) => f.name));
  return families.filter((f) => (f.tenant === undefined ? !own.has(f.name) : f.tenant === tenant));
}

// Label values are file paths, methods and status codes, or pushed values (NUL is refused): none
// contains NUL.
const SEP = '\u0000';

/** The key of a series with its own label names (pushed): names and values, alternately. */
export function pairsKey(names: readonly string[], values: readonly string[]): string {
  let key = '';
  for (let i = 0; i < names.length; i++) key += `${names[i]}${SEP}${values[i]}${SEP}`;
  return key;
}

/** A series' key in its family (checkpoint.ts refuses a saved family holding one twice). */
export function keyOf(s: Series): string {
  return s.names ? pairsKey(s.names, s.labels) : s.labels.join(SEP);
}

/** A copy of a series' saved values (a summary's quantiles computed now). */
function copySeries(s: Series, now: number): Series {
  const names = s.names ? { names: s.names } : {};
  if ('value' in s) {
    const copy: ValueSeries = { labels: s.labels, ...names, value: s.value };
    if (s.at !== undefined) copy.at = s.at;
    if (s.last) copy.last = { ...s.last };
    return copy;
  }
  if ('buckets' in s) return { labels: s.labels, ...names, buckets: [...s.buckets], sum: s.sum, count: s.count };
  return { labels: s.labels, ...names, sum: s.sum, count: s.count, quantiles: s.window?.query(now) ?? s.quantiles };
}

/** Series per chunk: a snapshot copies (and the checkpoint and exposition redo) only changed chunks. */
const CHUNK = 256;

export class Family {
  private readonly bySeriesKey = new Map<string, Series>();
  /**
   * The series in chunks of at most CHUNK, in the order they came. A chunk is copied again only
   * when one of its series changed since the last snapshot (`dirty`), so with 100,000 series of
   * which a few move each second, a checkpoint or a scrape redoes a few chunks, not everything.
   */
  private readonly chunks: Series[][] = [];
  private readonly chunkOf = new Map<Series, Series[]>();
  private readonly dirty = new Set<Series[]>();
  /** Moves with every change to a value, a series or the help text. */
  version = 0;
  constructor(readonly spec: FamilySpec) {}

  /** The series by key (read only: changes go through add, changed and remove). */
  get series(): ReadonlyMap<string, Series> {
    return this.bySeriesKey;
  }

  add(key: string, s: Series): void {
    let last = this.chunks.at(-1);
    if (!last || last.length >= CHUNK) {
      last = [];
      this.chunks.push(last);
    }
    last.push(s);
    this.chunkOf.set(s, last);
    this.bySeriesKey.set(key, s);
    this.changed(s);
  }

  /** A series' values changed: its chunk is copied again at the next snapshot. */
  changed(s: Series): void {
    this.version++;
    const chunk = this.chunkOf.get(s);
    if (chunk) this.dirty.add(chunk);
  }

  remove(key: string): void {
    const s = this.bySeriesKey.get(key);
    if (!s) return;
    this.bySeriesKey.delete(key);
    const chunk = this.chunkOf.get(s) as Series[];
    this.chunkOf.delete(s);
    chunk.splice(chunk.indexOf(s), 1);
    this.version++;
    if (chunk.length > 0) this.dirty.add(chunk);
    else {
      this.chunks.splice(this.chunks.indexOf(chunk), 1);
      this.dirty.delete(chunk);
    }
  }

  /** The chunks, each with whether it changed since the last call (which clears that). */
  takeChunks(): { chunk: readonly Series[]; changed: boolean }[] {
    const out = this.chunks.map((chunk) => ({ chunk, changed: this.dirty.has(chunk) }));
    this.dirty.clear();
    return out;
  }

  /** Adds `n` to a counter series (creating it at 0). */
  inc(labels: string[], n: number): void {
    const key = labels.join(SEP);
    const s = this.bySeriesKey.get(key) as ValueSeries | undefined;
    if (s) {
      s.value += n;
      this.changed(s);
    } else this.add(key, { labels, value: n });
  }

  /** Adds per-bucket counts (not cumulative; one per bound, then +Inf), a sum and a count. */
  observe(labels: string[], buckets: readonly number[], sum: number, count: number): void {
    const key = labels.join(SEP);
    let s = this.bySeriesKey.get(key) as HistogramSeries | undefined;
    if (!s) {
      s = { labels, buckets: new Array((this.spec.bounds?.length ?? 0) + 1).fill(0), sum: 0, count: 0 };
      this.add(key, s);
    } else this.changed(s);
    for (let i = 0; i < s.buckets.length; i++) s.buckets[i] = (s.buckets[i] as number) + (buckets[i] ?? 0);
    s.sum += sum;
    s.count += count;
  }
}

/** Saved label values → values under other label names (by name; "" for a name not saved), or null when the same. */
export function remapper(saved: readonly string[], now: readonly string[]): ((values: string[]) => string[]) | null {
  if (saved.length === now.length && saved.every((n, i) => n === now[i])) return null;
  const from = now.map((n) => saved.indexOf(n));
  return (values) => from.map((at) => (at < 0 ? '' : (values[at] ?? '')));
}

/** Adds a counter's or histogram's values into another series of the same family; false for other kinds. */
function addInto(into: Series, from: Series): boolean {
  if ('value' in into && 'value' in from && into.at === undefined) {
    into.value += from.value;
    return true;
  }
  if ('buckets' in into && 'buckets' in from) {
    for (let i = 0; i < into.buckets.length; i++)
      into.buckets[i] = (into.buckets[i] as number) + (from.buckets[i] ?? 0);
    into.sum += from.sum;
    into.count += from.count;
    return true;
  }
  return false;
}

/**
 * The chunks a family copy was made of (each a copy, shared with later copies while its series
 * did not change): the checkpoint and the exposition cache their work per chunk.
 */
const copiedChunks = new WeakMap<FamilySnapshot, readonly Series[][]>();

export function chunksOf(copy: FamilySnapshot): readonly Series[][] | undefined {
  return copiedChunks.get(copy);
}

export class Store {
  private readonly families = new Map<string, Family>();
  /** One per family added or deleted, plus the versions the deleted families had reached. */
  private retired = 0;
  /**
   * Each family's last copy, the version it was taken at, and each live chunk's copy. Copies are
   * never changed after.
   */
  private readonly copies = new WeakMap<
    Family,
    { version: number; copy: FamilySnapshot; chunks: Map<readonly Series[], Series[]> }
  >();

  /** The family of that name (familyKey), created on first use; the same spec must be given every time. */
  family(spec: FamilySpec): Family {
    const key = familyKey(spec);
    let family = this.families.get(key);
    if (!family) {
      family = new Family(spec);
      this.families.set(key, family);
      this.retired++;
    }
    return family;
  }

  /**
   * Moves with every change of any family, and when one is added or deleted; never goes back
   * (a deleted family's version stays counted), so equal versions mean nothing changed. Summed
   * when asked (once per checkpoint): a change costs only its family's increment.
   */
  get version(): number {
    let version = this.retired;
    for (const family of this.families.values()) version += family.version;
    return version;
  }

  has(name: string): boolean {
    return this.families.has(name);
  }

  /** A family by name (a tenant's own pushed family by its familyKey). */
  get(name: string): Family | undefined {
    return this.families.get(name);
  }

  delete(name: string): void {
    const family = this.families.get(name);
    if (!family) return;
    this.families.delete(name);
    this.retired += family.version + 1;
  }

  all(): IterableIterator<Family> {
    return this.families.values();
  }

  /** Drops every series whose label `name` has `value` (a file that is gone and forgotten). */
  dropSeries(name: string, value: string): number {
    let dropped = 0;
    for (const family of this.families.values()) {
      const at = family.spec.labelNames.indexOf(name);
      if (at < 0) continue;
      for (const [key, s] of family.series) {
        if (s.labels[at] === value) {
          family.remove(key);
          dropped++;
        }
      }
    }
    return dropped;
  }

  get seriesCount(): number {
    let n = 0;
    for (const family of this.families.values()) n += family.series.size;
    return n;
  }

  /** Sum of a counter's (or a histogram's count's) series whose labels include `match`. */
  sum(name: string, match: Record<string, string> = {}): number {
    const family = this.families.get(name);
    if (!family) return 0;
    const wanted = Object.entries(match).map(([k, v]) => [family.spec.labelNames.indexOf(k), v] as const);
    let total = 0;
    for (const s of family.series.values()) {
      if (wanted.every(([at, v]) => at >= 0 && s.labels[at] === v)) total += 'value' in s ? s.value : s.count;
    }
    return total;
  }

  /** Sums of a counter's (or a histogram's count's) series by the value of one label, in one pass. */
  sumBy(name: string, label: string): Map<string, number> {
    const sums = new Map<string, number>();
    const family = this.families.get(name);
    const at = family?.spec.labelNames.indexOf(label) ?? -1;
    if (!family || at < 0) return sums;
    for (const s of family.series.values()) {
      const value = s.labels[at] as string;
      sums.set(value, (sums.get(value) ?? 0) + ('value' in s ? s.value : s.count));
    }
    return sums;
  }

  /** A deep copy of every value: what a checkpoint saves and what /metrics serves. Synchronous. */
  snapshot(now = Date.now()): StoreSnapshot {
    const families: FamilySnapshot[] = [];
    for (const family of this.families.values()) {
      const { spec, version } = family;
      // A summary's quantiles move with time (its window turns) even when nothing is observed.
      const timeless = spec.kind !== 'summary';
      const previous = this.copies.get(family);
      if (previous && previous.version === version && timeless) {
        families.push(previous.copy);
        continue;
      }
      const chunks = new Map<readonly Series[], Series[]>();
      const copied: Series[][] = [];
      for (const { chunk, changed } of family.takeChunks()) {
        let copy = timeless && !changed ? previous?.chunks.get(chunk) : undefined;
        copy ??= chunk.map((s) => copySeries(s, now));
        chunks.set(chunk, copy);
        copied.push(copy);
      }
      // (`series` last: the checkpoint writes the rest first. A pushed family's tenants change in place.)
      const tenants = spec.tenants && { tenants: { ...spec.tenants } };
      const snapshot = { ...spec, ...tenants, series: copied.flat() };
      copiedChunks.set(snapshot, copied);
      this.copies.set(family, { version, copy: snapshot, chunks });
      families.push(snapshot);
    }
    return { families };
  }

  /** Loads a snapshot's values into an empty store (a restart carrying on from its checkpoint). */
  restore(snapshot: StoreSnapshot): void {
    for (const { series, ...spec } of snapshot.families) {
      const family = this.family(spec.tenants ? { ...spec, tenants: { ...spec.tenants } } : spec);
      // A family made before the restore with other label names (the [[files]] entries' labels
      // changed): each saved series takes the new names' values by name, "" for a new one.
      const remap = remapper(spec.labelNames, family.spec.labelNames);
      // A summary's window is not saved: its quantiles start again empty (its sum and count carry on).
      for (const s of series) {
        const copy = copySeries(s, 0);
        if (!('value' in copy) && !('buckets' in copy)) copy.quantiles = copy.quantiles.map(() => Number.NaN);
        if (remap && !copy.names) {
          copy.labels = remap(copy.labels);
          // A label gone from the config: series that differed only by it become one.
          const same = family.series.get(keyOf(copy));
          if (same && addInto(same, copy)) {
            family.changed(same);
            continue;
          }
        }
        family.add(keyOf(copy), copy);
      }
    }
  }
}
