// Short-term history of every series in the store, log-derived and pushed alike: every `stepMs`
// (10 s) one point per series in a ring that covers `windowMs` (1 h), and per `rollupMs` (5 min)
// a rollup {count, sum, min, max, last} in a ring that covers `rollupWindowMs` (24 h). Points are
// Float32Array slots aligned to the clock (a slot's time is its index × step), NaN where there was
// none: ~7 KB per series with the defaults, whatever the traffic.
// What is kept of a series: a counter as its rate per second over the step; a gauge as its value;
// a histogram as its p50/p95/p99 over the step's observations and its observation rate; a summary
// as its quantiles and its observation rate. At most `maxSeries` are kept; a new one past that
// pushes out the one least recently changed (counted).

import type { FamilyKind } from '../metrics/catalog.js';
import { type Family, pairsKey, type Series, type Store } from '../store/store.js';

export interface HistoryOptions {
  stepMs: number;
  windowMs: number;
  rollupMs: number;
  rollupWindowMs: number;
  maxSeries: number;
}

const HISTOGRAM_QUANTILES = [0.5, 0.95, 0.99];

/** One kept series: a store series itself, or one derived from it (a quantile, a rate of observations). */
export class Track {
  points: Float32Array;
  /** Per rollup: count, sum, min, max, last. */
  rollups: Float32Array;
  /** The step of the newest point (its index × stepMs is its time); -1: none yet. */
  lastStep = -1;
  lastRollup = -1;
  /** When its value last changed (ms): the least recently changed go first past the cap. */
  changedAt = 0;
  lastValue = Number.NaN;

  constructor(
    readonly name: string,
    readonly type: FamilyKind,
    readonly labels: Readonly<Record<string, string>>,
    private readonly sizes: { points: number; rollups: number },
  ) {
    this.points = new Float32Array(0);
    this.rollups = new Float32Array(0);
    this.clear();
  }

  /** Starts again empty (also how a track pushed out past the cap comes back). */
  clear(): void {
    this.points = new Float32Array(this.sizes.points).fill(Number.NaN);
    this.rollups = new Float32Array(this.sizes.rollups * 5).fill(Number.NaN);
    this.lastStep = -1;
    this.lastRollup = -1;
  }

  /** Pushed out past the cap: its memory goes (the object stays with its series, for a return). */
  release(): void {
    this.points = new Float32Array(0);
    this.rollups = new Float32Array(0);
  }

  /** The points of the last `steps` steps up to `step`, oldest first (NaN where none). */
  series(step: number, steps: number): { step: number; value: number }[] {
    const out: { step: number; value: number }[] = [];
    this.each(step, steps, (s, value) => out.push({ step: s, value }));
    return out;
  }

  /** Visits the points of the last `steps` steps up to `step`, oldest first, skipping gaps. */
  each(step: number, steps: number, visit: (step: number, value: number) => void): void {
    const n = this.points.length;
    const last = Math.min(step, this.lastStep);
    for (let s = Math.max(step - Math.min(steps, n) + 1, this.lastStep - n + 1, 0); s <= last; s++) {
      const value = this.points[s % n] as number;
      if (!Number.isNaN(value)) visit(s, value);
    }
  }

  /** Rollups of the last `count` periods up to `index`: {index, count, sum, min, max, last}. */
  rollupsUpTo(index: number, count: number) {
    const n = this.rollups.length / 5;
    const out: { index: number; count: number; sum: number; min: number; max: number; last: number }[] = [];
    for (let r = Math.max(index - Math.min(count, n) + 1, 0); r <= index; r++) {
      if (r > this.lastRollup || r <= this.lastRollup - n) continue;
      const at = (r % n) * 5;
      const c = this.rollups[at] as number;
      if (!(c > 0)) continue;
      const [sum, min, max, last] = [1, 2, 3, 4].map((k) => this.rollups[at + k] as number) as [
        number,
        number,
        number,
        number,
      ];
      out.push({ index: r, count: c, sum, min, max, last });
    }
    return out;
  }

  record(step: number, rollup: number, value: number, now: number): void {
    const n = this.points.length;
    for (let s = Math.max(this.lastStep + 1, step - n + 1); s < step; s++) this.points[s % n] = Number.NaN;
    this.points[step % n] = value;
    this.lastStep = step;
    const m = this.rollups.length / 5;
    if (rollup !== this.lastRollup) {
      for (let r = Math.max(this.lastRollup + 1, rollup - m + 1); r <= rollup; r++) {
        const at = (r % m) * 5;
        this.rollups.fill(Number.NaN, at, at + 5);
        this.rollups[at] = 0;
      }
      this.lastRollup = rollup;
    }
    if (Number.isNaN(value)) return;
    const at = (rollup % m) * 5;
    const c = this.rollups[at] as number;
    this.rollups[at] = c + 1;
    this.rollups[at + 1] = c === 0 ? value : (this.rollups[at + 1] as number) + value;
    this.rollups[at + 2] = c === 0 ? value : Math.min(this.rollups[at + 2] as number, value);
    this.rollups[at + 3] = c === 0 ? value : Math.max(this.rollups[at + 3] as number, value);
    this.rollups[at + 4] = value;
    if (value !== this.lastValue) this.changedAt = now;
    this.lastValue = value;
  }
}

/** One track as the history file holds it (history-file.ts). */
export interface SavedTrack {
  name: string;
  type: FamilyKind;
  labels: Record<string, string>;
  lastStep: number;
  lastRollup: number;
  changedAt: number;
  lastValue: number;
  points: Float32Array;
  rollups: Float32Array;
}

/** What a store series was at the last step (counters, histograms, summaries: for rates and deltas). */
interface Previous {
  at: number;
  value: number;
  buckets?: number[];
  tracks: Track[];
}

/** A counter's rate per second over `seconds` (from zero again after a reset); NaN without a previous value. */
function rateOf(value: number, last: number, seconds: number): number {
  return Number.isNaN(last) || seconds <= 0 ? Number.NaN : (value >= last ? value - last : value) / seconds;
}

export class History {
  readonly options: HistoryOptions;
  /** Every track by key, least recently changed first (re-inserted when it changes). */
  private readonly tracks = new Map<string, Track>();
  private readonly keyOf = new Map<Track, string>();
  private readonly previous = new WeakMap<Series, Previous>();
  dropped = 0;

  constructor(
    private readonly store: Store,
    options: HistoryOptions,
  ) {
    // A copy: a reload changes maxSeries in place.
    this.options = { ...options };
  }

  get size(): number {
    return this.tracks.size;
  }

  get pointsPerSeries(): number {
    return Math.round(this.options.windowMs / this.options.stepMs);
  }

  stepOf(ms: number): number {
    return Math.floor(ms / this.options.stepMs);
  }

  rollupOf(ms: number): number {
    return Math.floor(ms / this.options.rollupMs);
  }

  /** Takes one point of every series (call every stepMs; the clock is the caller's). */
  sample(now: number): void {
    const step = this.stepOf(now);
    const rollup = this.rollupOf(now);
    for (const family of this.store.all()) {
      for (const series of family.series.values()) this.sampleSeries(family, series, now, step, rollup);
    }
  }

  private sampleSeries(family: Family, series: Series, now: number, step: number, rollup: number): void {
    const { kind } = family.spec;
    let previous = this.previous.get(series);
    if (!previous) {
      previous = { at: now, value: Number.NaN, tracks: this.tracksFor(family, series) };
      this.previous.set(series, previous);
    }
    const seconds = (now - previous.at) / 1000;
    const rate = (value: number, last: number) => rateOf(value, last, seconds);
    if ('value' in series && previous.tracks.length === 1) {
      // A counter or a gauge: one track. Most series, every step: no arrays, no closures (idle cost).
      const value = kind === 'counter' ? rateOf(series.value, previous.value, seconds) : series.value;
      previous.value = series.value;
      previous.at = now;
      this.recordTrack(previous.tracks[0] as Track, value, step, rollup, now);
      return;
    }
    const values: number[] = [];
    if ('value' in series) {
      values.push(kind === 'counter' ? rate(series.value, previous.value) : series.value);
      previous.value = series.value;
    } else if ('buckets' in series) {
      const before = previous.buckets;
      const delta = series.buckets.map((b, i) => (before ? b - (before[i] ?? 0) : Number.NaN));
      for (const q of HISTOGRAM_QUANTILES) values.push(bucketQuantile(q, family.spec.bounds ?? [], delta));
      values.push(rate(series.count, previous.value));
      previous.value = series.count;
      previous.buckets = [...series.buckets];
    } else {
      values.push(...(series.window?.query(now) ?? series.quantiles));
      values.push(rate(series.count, previous.value));
      previous.value = series.count;
    }
    previous.at = now;
    for (const [i, track] of previous.tracks.entries())
      this.recordTrack(track, values[i] ?? Number.NaN, step, rollup, now);
  }

  private recordTrack(track: Track, value: number, step: number, rollup: number, now: number): void {
    if (!this.keyOf.has(track)) {
      // Pushed out past the cap: it comes back (empty) when its value changes.
      if (Number.isNaN(value) || value === track.lastValue) return;
      track.clear();
      this.adopt(track, now);
    }
    const changedBefore = track.changedAt;
    track.record(step, rollup, value, now);
    if (track.changedAt !== changedBefore) this.touch(track);
  }

  /** The tracks of a store series, created (and counted against the cap) the first time. */
  private tracksFor(family: Family, series: Series): Track[] {
    const { kind, name, labelNames } = family.spec;
    const names = series.names ?? labelNames;
    const labels: Record<string, string> = {};
    names.forEach((n, i) => {
      labels[n] = series.labels[i] as string;
    });
    const sizes = {
      points: this.pointsPerSeries,
      rollups: Math.round(this.options.rollupWindowMs / this.options.rollupMs),
    };
    const make = (trackName: string, extra: Record<string, string> = {}) => {
      const track = new Track(trackName, kind, { ...labels, ...extra }, sizes);
      // Restored from the history file (restore()): the series takes its points back.
      return this.tracks.get(trackKey(track)) ?? this.adopt(track, 0);
    };
    if (kind === 'counter' || kind === 'gauge') return [make(name)];
    const quantiles = kind === 'histogram' ? HISTOGRAM_QUANTILES : (family.spec.targets ?? []).map((t) => t.quantile);
    return [...quantiles.map((q) => make(name, { quantile: String(q) })), make(`${name}_count`)];
  }

  private adopt(track: Track, now: number): Track {
    if (this.tracks.size >= this.options.maxSeries) {
      const [oldestKey, oldest] = this.tracks.entries().next().value as [string, Track];
      this.tracks.delete(oldestKey);
      this.keyOf.delete(oldest);
      oldest.release();
      this.dropped++;
    }
    const key = trackKey(track);
    track.changedAt = now;
    this.tracks.set(key, track);
    this.keyOf.set(track, key);
    return track;
  }

  private touch(track: Track): void {
    const key = this.keyOf.get(track);
    if (key === undefined) return;
    this.tracks.delete(key);
    this.tracks.set(key, track);
  }

  /**
   * Takes back the tracks of the history file (history-file.ts), least recently changed first, as
   * saved; a store series claims its own when first sampled. Their last steps stay where they
   * were: the steps until the next sample are NaN, a gap.
   */
  restore(saved: readonly SavedTrack[]): void {
    const sizes = {
      points: this.pointsPerSeries,
      rollups: Math.round(this.options.rollupWindowMs / this.options.rollupMs),
    };
    for (const s of saved) {
      const track = new Track(s.name, s.type, s.labels, sizes);
      track.points = s.points;
      track.rollups = s.rollups;
      track.lastStep = s.lastStep;
      track.lastRollup = s.lastRollup;
      track.lastValue = s.lastValue;
      this.adopt(track, s.changedAt);
    }
  }

  /** Every kept track (for queries; read only). */
  all(): IterableIterator<Track> {
    return this.tracks.values();
  }
}

/** A track's key among the kept: its name and labels. */
function trackKey(track: Track): string {
  return `${track.name}\u0001${pairsKey(Object.keys(track.labels), Object.values(track.labels))}`;
}

/**
 * The q-quantile of the observations counted in `delta` (per bucket, not cumulative; the last is
 * +Inf) by linear interpolation inside the bucket, as Prometheus's histogram_quantile does; NaN
 * when there were none. An answer in the +Inf bucket is the highest finite bound.
 */
export function bucketQuantile(q: number, bounds: readonly number[], delta: readonly number[]): number {
  const total = delta.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return Number.NaN;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < delta.length; i++) {
    const count = delta[i] as number;
    if (seen + count >= rank && count > 0) {
      if (i >= bounds.length) return bounds.at(-1) ?? Number.NaN;
      const lower = i === 0 ? 0 : (bounds[i - 1] as number);
      const upper = bounds[i] as number;
      return lower + ((upper - lower) * (rank - seen)) / count;
    }
    seen += count;
  }
  return bounds.at(-1) ?? Number.NaN;
}
