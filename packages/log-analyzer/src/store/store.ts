// The store: every counted value of every source, in one place that a checkpoint can copy whole.
// Owns the metric families and their series. Sources never touch it directly: the wiring hands
// it their batches (`apply`), and a batch is acknowledged when apply returns.
// Plain maps and arrays, not prom-client metrics, so a snapshot is a cheap copy and restoring
// one on start makes counters carry on across restarts instead of resetting.

export type FamilyKind = 'counter' | 'histogram';

export interface FamilySpec {
  name: string;
  help: string;
  kind: FamilyKind;
  labelNames: readonly string[];
  /** Histogram upper bounds (without +Inf). */
  bounds?: readonly number[];
}

/** A series: its label values in labelNames order, then the value or (histogram) buckets, sum, count. */
export type CounterSeries = { labels: string[]; value: number };
export type HistogramSeries = { labels: string[]; buckets: number[]; sum: number; count: number };

export interface FamilySnapshot extends FamilySpec {
  series: (CounterSeries | HistogramSeries)[];
}

export interface StoreSnapshot {
  families: FamilySnapshot[];
}

// Label values are file paths, methods and status codes: none can contain NUL.
const SEP = '\u0000';

export class Family {
  readonly series = new Map<string, CounterSeries | HistogramSeries>();
  constructor(readonly spec: FamilySpec) {}

  /** Adds `n` to a counter series (creating it at 0). */
  inc(labels: string[], n: number): void {
    const key = labels.join(SEP);
    const s = this.series.get(key) as CounterSeries | undefined;
    if (s) s.value += n;
    else this.series.set(key, { labels, value: n });
  }

  /** Adds per-bucket counts (not cumulative; one per bound, then +Inf), a sum and a count. */
  observe(labels: string[], buckets: readonly number[], sum: number, count: number): void {
    const key = labels.join(SEP);
    let s = this.series.get(key) as HistogramSeries | undefined;
    if (!s) {
      s = { labels, buckets: new Array((this.spec.bounds?.length ?? 0) + 1).fill(0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    for (let i = 0; i < s.buckets.length; i++) s.buckets[i] = (s.buckets[i] as number) + (buckets[i] ?? 0);
    s.sum += sum;
    s.count += count;
  }
}

export class Store {
  private readonly families = new Map<string, Family>();

  /** The family of that name, created on first use; the same spec must be given every time. */
  family(spec: FamilySpec): Family {
    let family = this.families.get(spec.name);
    if (!family) {
      family = new Family(spec);
      this.families.set(spec.name, family);
    }
    return family;
  }

  has(name: string): boolean {
    return this.families.has(name);
  }

  /** Drops every series whose label `name` has `value` (a file that is gone and forgotten). */
  dropSeries(name: string, value: string): number {
    let dropped = 0;
    for (const family of this.families.values()) {
      const at = family.spec.labelNames.indexOf(name);
      if (at < 0) continue;
      for (const [key, s] of family.series) {
        if (s.labels[at] === value) {
          family.series.delete(key);
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

  /** A deep copy of every value: what a checkpoint saves and what /metrics serves. Synchronous. */
  snapshot(): StoreSnapshot {
    const families: FamilySnapshot[] = [];
    for (const { spec, series } of this.families.values()) {
      const copy: FamilySnapshot['series'] = [];
      for (const s of series.values()) {
        copy.push(
          'value' in s
            ? { labels: s.labels, value: s.value }
            : { labels: s.labels, buckets: [...s.buckets], sum: s.sum, count: s.count },
        );
      }
      families.push({ ...spec, series: copy });
    }
    return { families };
  }

  /** Loads a snapshot's values into an empty store (a restart carrying on from its checkpoint). */
  restore(snapshot: StoreSnapshot): void {
    for (const saved of snapshot.families) {
      const family = this.family(saved);
      for (const s of saved.series) {
        if ('value' in s) family.inc([...s.labels], s.value);
        else family.observe([...s.labels], s.buckets, s.sum, s.count);
      }
    }
  }
}
