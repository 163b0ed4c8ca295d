// The analyzer's SeriesSource: instant selectors read the store's current values (every family
// /metrics shows: log and pushed families read live; self, host, scraped and Pushgateway families
// as of the last `sample`); range selectors read raw points this source records when sampled.
// The history (history/history.ts) keeps derived points (a counter's rate per step, a histogram's
// quantiles), not the raw samples rate() and histogram_quantile() need: so this source records
// its own, only for the series range selectors ask for, only as long as they ask. One instance
// serves every reader (rules and /api/v1/query, each through `reader(name)`): a series is held in
// one ring whoever reads it, and each reader's sample records the series it reads (app.ts says
// who samples and when).

import type { Family, Series, Store } from '../../store/store.js';
import { parseTextFormat } from '../../transforms/pushgateway/text-format.js';
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
  /** How often `sample` is called at least (the history step): the usual spacing of recorded points. */
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

/** The samples of a text exposition (scraped targets, Pushgateway groups); none if it does not parse. */
export function exposedSamples(text: string): FlatSample[] {
  if (text.trim() === '') return [];
  const parsed = parseTextFormat(text);
  return 'error' in parsed ? [] : parsed.families.flatMap((f) => f.samples);
}

/**
 * A recorded series: its points in a ring, oldest overwritten. Invariant: a point within `keepMs`
 * of the newest is never overwritten. Points come at uneven spacing (a step's and an evaluation's
 * samples interleave): a full ring whose oldest point is still wanted grows instead.
 */
class Ring {
  times: Float64Array;
  values: Float64Array;
  /** Points written so far (the newest is at (written - 1) % capacity). */
  written = 0;
  constructor(
    readonly labels: Labels,
    capacity: number,
  ) {
    this.times = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }
  push(t: number, v: number, keepMs: number): void {
    const n = this.times.length;
    if (this.written >= n && (this.times[this.written % n] as number) >= t - keepMs) this.grow(n * 2);
    const at = this.written % this.times.length;
    this.times[at] = t;
    this.values[at] = v;
    this.written++;
  }
  /** Moves the points, oldest first, into arrays of `capacity` (at least as many as held). */
  grow(capacity: number): void {
    const { times, values } = this.between(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
    this.times = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
    this.times.set(times);
    this.values.set(values);
    this.written = times.length;
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
  /** Who read it (`reader(name)`; ANY: a read straight on the source): whose samples record it. */
  readers: Set<string>;
  /** When its series were last read from the store and recorded (another reader's sample just before serves). */
  recordedAt: number;
}

/** The reader of reads made straight on the source (tests, the benchmark): every sample records them. */
const ANY = '';

/** Each store series' labels per exposed name (cached per label array: series share them across snapshots). */
const labelCache = new WeakMap<readonly string[], Map<string, Labels[]>>();

export class StoreSource implements SeriesSource {
  private others: InstantSample[] = [];
  private readonly wants = new Map<string, Want>();
  /** Recorded series by metric name, then by label key (a selector names its metric: one lookup). */
  private readonly rings = new Map<string, Map<string, Ring>>();
  /** Who has read this source (a reader's `sample` refreshes the others only once it has read). */
  private readonly readBy = new Set<string>();
  /** Who reads now (set by a reader's view around its read; the source is single-threaded). */
  private reading = ANY;
  /** When each reader's `sample` last recorded. */
  private readonly sampledAt = new Map<string, number>();
  /** When `sample` last recorded (instant reads from a step before it on read live values). */
  lastSampleAt = Number.NEGATIVE_INFINITY;
  /** A `sample` under way (its `more` is async): a second caller shares it instead of recording twice. */
  private sampling: Promise<void> | null = null;
  /** Samples taken and skipped as fresh enough (the test of one recording per cadence). */
  readonly samples = { recorded: 0, fresh: 0 };

  constructor(
    private readonly store: Store,
    private readonly options: StoreSourceOptions,
    /** Self, host, scraped and Pushgateway samples, read when `sample` runs (async: prom-client). */
    private readonly more: () => Promise<readonly FlatSample[]> = async () => [],
  ) {}

  /** Series being recorded (for the benchmark and the status of rules). */
  get recorded(): number {
    let n = 0;
    for (const byKey of this.rings.values()) n += byKey.size;
    return n;
  }

  /** Points the rings hold room for (16 bytes each): what the recording costs in memory. */
  get keptPoints(): number {
    let n = 0;
    for (const byKey of this.rings.values()) for (const ring of byKey.values()) n += ring.times.length;
    return n;
  }

  /**
   * The source as one reader sees it (`rules`, `query`): what it reads is recorded by its own
   * `sample(now, freshMs, name)`, on its own cadence; a series two readers read shares one ring.
   */
  reader(name: string): SeriesSource {
    const as = <T>(read: () => T): T => {
      this.reading = name;
      try {
        return read();
      } finally {
        this.reading = ANY;
      }
    };
    return {
      instant: (matchers, atMs) => as(() => this.instant(matchers, atMs)),
      range: (matchers, fromMs, toMs) => as(() => this.range(matchers, fromMs, toMs)),
    };
  }

  /**
   * Refreshes the non-store samples and records a point of every series `reader` reads (all,
   * without one), unless its last recording is younger than `freshMs` (then that serves); a
   * series whose newest point (another reader's) is younger than `freshMs` keeps that one. One
   * sample at a time: a second caller waits for the first.
   */
  async sample(now: number, freshMs = 0, reader?: string): Promise<void> {
    while (this.sampling) await this.sampling;
    // A reader that has read nothing yet (no rule, no query) records nothing and renders nothing.
    if (reader !== undefined && !this.readBy.has(reader)) return;
    if (now - (this.sampledAt.get(reader ?? ANY) ?? Number.NEGATIVE_INFINITY) < freshMs) {
      this.samples.fresh++;
      return;
    }
    this.samples.recorded++;
    this.sampling = this.refreshAndRecord(now, freshMs, reader);
    try {
      await this.sampling;
    } finally {
      this.sampling = null;
    }
  }

  private async refreshAndRecord(now: number, freshMs = 0, reader?: string): Promise<void> {
    this.sampledAt.set(reader ?? ANY, now);
    try {
      // Nothing read yet (no rule, no query): an idle analyzer does not render its self metrics every step.
      if (this.readBy.size === 0) return;
      const flat = await this.more();
      this.others = flat.map((s) => ({
        labels: { __name__: s.name, ...Object.fromEntries(s.labels) },
        value: s.value,
      }));
    } finally {
      // A failed read of the others (the caller counts it) keeps their last values; the store's still count.
      this.record(now, freshMs, reader);
    }
  }

  /**
   * Records now's values of the wanted series, each ring as long as the longest range that reads
   * it (a rule over 1h of one metric does not make every recorded series an hour long); forgets
   * wants unused for a window and series gone as long.
   */
  record(now: number, freshMs = 0, reader?: string): void {
    this.lastSampleAt = Math.max(this.lastSampleAt, now);
    for (const [key, want] of this.wants) if (now - want.usedAt > this.options.windowMs) this.wants.delete(key);
    // Each series once, kept as long as the longest range reading it.
    const sized = new Map<string, { ring: Ring; keepMs: number; value: number }>();
    for (const want of this.wants.values()) {
      if (reader !== undefined && !want.readers.has(reader) && !want.readers.has(ANY)) continue;
      // Recorded a moment ago (by the other reader's sample): those points serve, the store is not read again.
      if (now - want.recordedAt < freshMs) continue;
      want.recordedAt = now;
      // Sized for the recorder's cadence (twice its freshMs; a step without one): rules every 15 s
      // hold a third fewer points than 10 s steps. Points closer than that grow the ring (Ring).
      const capacity = Math.ceil(want.keepMs / (freshMs > 0 ? 2 * freshMs : this.options.stepMs)) + 2;
      for (const s of this.live(want.matchers)) {
        const key = labelKey(s.labels);
        const name = s.labels.__name__ ?? '';
        let byKey = this.rings.get(name);
        if (!byKey) {
          byKey = new Map();
          this.rings.set(name, byKey);
        }
        const ring = byKey.get(key) ?? new Ring(s.labels, capacity);
        if (!byKey.has(key)) byKey.set(key, ring);
        // A longer range reads it now: the kept points move over to a longer ring.
        else if (ring.times.length < capacity) ring.grow(capacity);
        const keep = sized.get(key);
        if (keep !== undefined) {
          keep.keepMs = Math.max(keep.keepMs, want.keepMs);
          continue;
        }
        sized.set(key, { ring, keepMs: want.keepMs, value: s.value });
      }
    }
    for (const { ring, keepMs, value } of sized.values())
      if (now - ring.newest >= freshMs) ring.push(now, value, keepMs);
    for (const [name, byKey] of this.rings) {
      for (const [key, ring] of byKey) if (now - ring.newest > this.options.windowMs) byKey.delete(key);
      if (byKey.size === 0) this.rings.delete(name);
    }
  }

  private want(matchers: readonly Matcher[], keepMs: number): void {
    const key = matchers.map((m) => `${m.name}\u0000${m.op}\u0000${m.value}`).join('\u0001');
    const want = this.wants.get(key);
    const now = Math.max(this.lastSampleAt, 0);
    if (want) {
      want.usedAt = now;
      want.keepMs = Math.max(want.keepMs, keepMs);
      want.readers.add(this.reading);
    } else
      this.wants.set(key, {
        matchers,
        keepMs,
        usedAt: now,
        readers: new Set([this.reading]),
        recordedAt: Number.NEGATIVE_INFINITY,
      });
  }

  instant(matchers: readonly Matcher[], atMs: number): InstantSample[] {
    this.readBy.add(this.reading);
    // Within a step of the last sample the current values are the newest there are (a rule's
    // evaluation time a moment behind the clock must not read an unrecorded selector as absent).
    if (atMs >= this.lastSampleAt - this.options.stepMs) return this.live(matchers);
    // In the past (offset): the newest recorded point within the lookback.
    this.want(matchers, this.lastSampleAt - atMs + LOOKBACK_MS);
    const out: InstantSample[] = [];
    for (const ring of this.ringsFor(matchers)) {
      if (!matchesAll(matchers, ring.labels)) continue;
      const { times, values } = ring.between(atMs - LOOKBACK_MS, atMs);
      if (times.length > 0) out.push({ labels: ring.labels, value: values.at(-1) as number });
    }
    return out;
  }

  range(matchers: readonly Matcher[], fromMs: number, toMs: number): RangeSeries[] {
    this.readBy.add(this.reading);
    this.want(matchers, Math.max(this.lastSampleAt, toMs) - fromMs);
    const out: RangeSeries[] = [];
    for (const ring of this.ringsFor(matchers)) {
      if (!matchesAll(matchers, ring.labels)) continue;
      const { times, values } = ring.between(fromMs, toMs);
      if (times.length > 0) out.push({ labels: ring.labels, times, values });
    }
    return out;
  }

  /** The recorded series a selector may match: those of its metric name, or all. */
  private *ringsFor(matchers: readonly Matcher[]): Iterable<Ring> {
    const name = nameOf(matchers);
    if (name !== undefined) {
      yield* this.rings.get(name)?.values() ?? [];
      return;
    }
    for (const byKey of this.rings.values()) yield* byKey.values();
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
