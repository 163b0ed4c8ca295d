// The analyzer's SeriesSource: instant selectors read the store's current values (every family
// /metrics shows: log and pushed families read live; self, host, scraped and Pushgateway families
// as of the last `sample`); range selectors read raw points this source records every step.
// The history (history/history.ts) keeps derived points (a counter's rate per step, a histogram's
// quantiles), not the raw samples rate() and histogram_quantile() need: so this source records
// its own, only for the series range selectors ask for, only as long as they ask.

import type { Family, Series, Store } from '../../store/store.js';
import type { Matcher } from './ast.js';
import { labelKey } from './binary.js';
import {
  type InstantSample,
  type Labels,
  LOOKBACK_MS,
  matchesAll,
  nameOf,
  type RangeSeries,
  type SeriesSource,
} from './series-source.js';

export interface StoreSourceOptions {
  /** How often `sample` is called (the history step): the spacing of recorded points. */
  stepMs: number;
  /** The longest range (+ offset) an expression may read (the history window, compile.ts refuses longer). */
  windowMs: number;
}

/** One flat sample of a text exposition (self metrics, scraped and Pushgateway families). */
export interface FlatSample {
  name: string;
  labels: readonly (readonly [string, string])[];
  value: number;
}

/** A recorded series: its points in a ring, oldest overwritten. */
class Ring {
  readonly times: Float64Array;
  readonly values: Float64Array;
  /** Points written so far (the newest is at (written - 1) % capacity). */
  written = 0;
  constructor(
    readonly labels: Labels,
    capacity: number,
  ) {
    this.times = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }
  push(t: number, v: number): void {
    const at = this.written % this.times.length;
    this.times[at] = t;
    this.values[at] = v;
    this.written++;
  }
  get newest(): number {
    return this.written === 0
      ? Number.NEGATIVE_INFINITY
      : (this.times[(this.written - 1) % this.times.length] as number);
  }
  /** Points in (from, to], oldest first. */
  between(from: number, to: number): { times: number[]; values: number[] } {
    const n = this.times.length;
    const times: number[] = [];
    const values: number[] = [];
    for (let i = Math.max(0, this.written - n); i < this.written; i++) {
      const t = this.times[i % n] as number;
      if (t > from && t <= to) {
        times.push(t);
        values.push(this.values[i % n] as number);
      }
    }
    return { times, values };
  }
}

/** A selector some expression reads over time, and until when it is kept recording. */
interface Want {
  matchers: readonly Matcher[];
  /** How far back its points are kept (range + offset). */
  keepMs: number;
  usedAt: number;
}

/** Each store series' labels per exposed name (cached per label array: series share them across snapshots). */
const labelCache = new WeakMap<readonly string[], Map<string, Labels[]>>();

export class StoreSource implements SeriesSource {
  private others: InstantSample[] = [];
  private readonly wants = new Map<string, Want>();
  private readonly rings = new Map<string, Ring>();
  private capacity = 2;
  /** When `sample` last recorded (instant reads at or after it read live values). */
  lastSampleAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: Store,
    private readonly options: StoreSourceOptions,
    /** Self, host, scraped and Pushgateway samples, read when `sample` runs (async: prom-client). */
    private readonly more: () => Promise<readonly FlatSample[]> = async () => [],
  ) {}

  /** Series being recorded (for the benchmark and the status of rules). */
  get recorded(): number {
    return this.rings.size;
  }

  /** Refreshes the non-store samples and records a point of every wanted series (call every step). */
  async sample(now: number): Promise<void> {
    const flat = await this.more();
    this.others = flat.map((s) => ({ labels: { __name__: s.name, ...Object.fromEntries(s.labels) }, value: s.value }));
    this.record(now);
  }

  /** Records now's values of the wanted series; forgets wants unused for a window and series gone as long. */
  record(now: number): void {
    this.lastSampleAt = now;
    let keep = 0;
    for (const [key, want] of this.wants) {
      if (now - want.usedAt > this.options.windowMs) this.wants.delete(key);
      else keep = Math.max(keep, want.keepMs);
    }
    const capacity = Math.ceil(keep / this.options.stepMs) + 2;
    if (capacity !== this.capacity) {
      // A longer range was asked for: rings are made again at the new size as series come (kept points move over).
      this.capacity = capacity;
      for (const [key, ring] of this.rings) this.rings.set(key, this.resized(ring));
    }
    const done = new Set<string>();
    for (const want of this.wants.values()) {
      for (const s of this.live(want.matchers)) {
        const key = labelKey(s.labels);
        if (done.has(key)) continue;
        done.add(key);
        let ring = this.rings.get(key);
        if (!ring) {
          ring = new Ring(s.labels, this.capacity);
          this.rings.set(key, ring);
        }
        ring.push(now, s.value);
      }
    }
    for (const [key, ring] of this.rings) if (now - ring.newest > this.options.windowMs) this.rings.delete(key);
  }

  private resized(ring: Ring): Ring {
    const next = new Ring(ring.labels, this.capacity);
    const { times, values } = ring.between(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
    for (let i = Math.max(0, times.length - this.capacity); i < times.length; i++)
      next.push(times[i] as number, values[i] as number);
    return next;
  }

  private want(matchers: readonly Matcher[], keepMs: number): void {
    const key = matchers.map((m) => `${m.name}\u0000${m.op}\u0000${m.value}`).join('\u0001');
    const want = this.wants.get(key);
    const now = Math.max(this.lastSampleAt, 0);
    if (want) {
      want.usedAt = now;
      want.keepMs = Math.max(want.keepMs, keepMs);
    } else this.wants.set(key, { matchers, keepMs, usedAt: now });
  }

  instant(matchers: readonly Matcher[], atMs: number): InstantSample[] {
    if (atMs >= this.lastSampleAt) return this.live(matchers);
    // In the past (offset): the newest recorded point within the lookback.
    this.want(matchers, this.lastSampleAt - atMs + LOOKBACK_MS);
    const out: InstantSample[] = [];
    for (const ring of this.rings.values()) {
      if (!matchesAll(matchers, ring.labels)) continue;
      const { times, values } = ring.between(atMs - LOOKBACK_MS, atMs);
      if (times.length > 0) out.push({ labels: ring.labels, value: values.at(-1) as number });
    }
    return out;
  }

  range(matchers: readonly Matcher[], fromMs: number, toMs: number): RangeSeries[] {
    this.want(matchers, Math.max(this.lastSampleAt, toMs) - fromMs);
    const out: RangeSeries[] = [];
    for (const ring of this.rings.values()) {
      if (!matchesAll(matchers, ring.labels)) continue;
      const { times, values } = ring.between(fromMs, toMs);
      if (times.length > 0) out.push({ labels: ring.labels, times, values });
    }
    return out;
  }

  /** The current value of every matching series: store families, then the others. */
  private live(matchers: readonly Matcher[]): InstantSample[] {
    const name = nameOf(matchers);
    const out: InstantSample[] = [];
    for (const family of this.store.all()) {
      const spec = family.spec;
      // A tenant's own clashing family is served only on reads scoped to it (store.familiesFor).
      if (spec.tenant !== undefined) continue;
      if (name !== undefined && !name.startsWith(spec.name)) continue;
      for (const part of partsOf(family)) {
        if (name !== undefined && name !== part.name) continue;
        for (const s of family.series.values()) {
          const all = labelsOf(family, s, part);
          const values = part.values(s);
          for (let i = 0; i < all.length; i++) {
            const labels = all[i] as Labels;
            if (matchesAll(matchers, labels)) out.push({ labels, value: values[i] as number });
          }
        }
      }
    }
    for (const s of this.others) if (matchesAll(matchers, s.labels)) out.push(s);
    return out;
  }
}

/** One exposed name of a store family: `x`, or `x_bucket`/`x_sum`/`x_count` of a histogram, … */
interface Part {
  name: string;
  /** The extra label of each value (`le` or `quantile`), or none. */
  extra?: { label: string; values: string[] };
  values(s: Series): number[];
}

const partCache = new WeakMap<Family, Part[]>();

function partsOf(family: Family): Part[] {
  let parts = partCache.get(family);
  if (parts) return parts;
  const { name, kind, bounds = [], targets = [] } = family.spec;
  const sum = (s: Series) => ['sum' in s ? s.sum : Number.NaN];
  const count = (s: Series) => ['count' in s ? s.count : Number.NaN];
  if (kind === 'histogram') {
    parts = [
      {
        name: `${name}_bucket`,
        extra: { label: 'le', values: [...bounds.map(String), '+Inf'] },
        // The store keeps per-bucket counts; the exposition (and PromQL) sees them cumulative.
        values: (s) => {
          let total = 0;
          return 'buckets' in s ? s.buckets.map((b) => (total += b)) : [];
        },
      },
      { name: `${name}_sum`, values: sum },
      { name: `${name}_count`, values: count },
    ];
  } else if (kind === 'summary') {
    parts = [
      {
        name,
        extra: { label: 'quantile', values: targets.map((t) => String(t.quantile)) },
        values: (s) => ('window' in s && s.window ? s.window.query(Date.now()) : 'quantiles' in s ? s.quantiles : []),
      },
      { name: `${name}_sum`, values: sum },
      { name: `${name}_count`, values: count },
    ];
  } else parts = [{ name, values: (s) => ['value' in s ? s.value : Number.NaN] }];
  partCache.set(family, parts);
  return parts;
}

/** A series' label sets under one part (one per bucket or quantile), with `__name__`. */
function labelsOf(family: Family, s: Series, part: Part): Labels[] {
  let byPart = labelCache.get(s.labels);
  if (!byPart) {
    byPart = new Map();
    labelCache.set(s.labels, byPart);
  }
  let all = byPart.get(part.name);
  if (all) return all;
  const names = s.names ?? family.spec.labelNames;
  const base: Labels = { __name__: part.name };
  names.forEach((n, i) => {
    base[n] = s.labels[i] as string;
  });
  all = part.extra ? part.extra.values.map((v) => ({ ...base, [part.extra?.label as string]: v })) : [base];
  byPart.set(part.name, all);
  return all;
}
