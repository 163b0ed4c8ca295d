// StatsD lines → the store's DecodedBatch (store/push-batch.ts), grouped by series. Pure but for
// one read of the store: a relative gauge (`x:+3|g`) adds to the value the store holds, read when
// the batch is taken and applied right after it in the same synchronous section. Names and labels
// are resolved once per distinct (type, name, tags) and cached (bounded).

import { isUtf8 } from 'node:buffer';
import type { StatsdReason } from '../../metrics/catalog.js';
import { longerThan, MAX_NAME_BYTES } from '../../metrics/prom-names.js';
import type { DecodedBatch, FamilyInfo, MetricType } from '../../store/push-batch.js';
import { DEFAULT_BUCKETS } from '../../store/tenant-placement.js';
import type { DecodeLimits } from '../push/decode.js';
import { escapeName, isRefusal, parseLine, readValue, type StatsdSample, type StatsdType } from './line.js';
import { type Mapping, mapName } from './mapping.js';

export type StatsdLimits = Pick<DecodeLimits, 'maxLabels' | 'maxLabelValueBytes' | 'maxSeriesBytes'>;

export interface StatsdBatchOptions {
  mapping: Mapping | null;
  limits: StatsdLimits;
  /** The value the store holds for a gauge series (its exposed name and series key), if any. */
  gaugeValue(name: string, key: string): number | undefined;
}

/** What the lines added since the last take made of their samples, beside the batch. */
export interface StatsdCounts {
  refused: Map<StatsdReason, number>;
  /** Samples a mapping's `action: drop` dropped. */
  dropped: number;
  tagErrors: number;
}

/** One resolved (type, name, tags): where its samples go, or why they do not. */
type Entry =
  | { drop: true; tagErrors: number }
  | { drop: false; reason: StatsdReason; tagErrors: number }
  | {
      drop: false;
      reason: null;
      info: FamilyInfo;
      key: string;
      /** The family and series, to find the group of this batch that already holds the series. */
      slot: string;
      scale: number;
      tagErrors: number;
      /** Its group in the batch being built, valid while `batch` is the current batch's number. */
      group: number;
      batch: number;
    };

/** A line read before: all but its value, and what it resolved to. */
interface Seen {
  entry: Entry;
  type: StatsdType;
  rate: number;
  times: number;
  tagErrors: number;
}

interface Group {
  info: FamilyInfo;
  key: string;
  values: number[];
  /** Per value: a gauge delta; null while none is. */
  relative: boolean[] | null;
}

/** Entries kept; past it the cache starts again (a flood of distinct names cannot grow it). */
const CACHE_SIZE = 20_000;
/**
 * Longer keys are not cached (such lines are read whole each time): with CACHE_SIZE, the caches'
 * keys stay under ~80 MB even when every line is a new 64 KiB one. Real series keys are far shorter.
 */
const MAX_CACHED_KEY = 1024;
const SOURCE = 'statsd';
const KINDS: Record<StatsdType, MetricType> = {
  c: 'counter',
  g: 'gauge',
  ms: 'histogram',
  h: 'histogram',
  d: 'histogram',
};

export class StatsdBatcher {
  private readonly cache = new Map<string, Entry>();
  /** Lines of one sample by their text without the value (`name` + `|type|@rate|#tags`). */
  private readonly seen = new Map<string, Seen>();
  private readonly infos = new Map<string, FamilyInfo>();
  private groups: Group[] = [];
  private slots = new Map<string, number>();
  private batch = 0;
  private samples = 0;
  private counts: StatsdCounts = { refused: new Map(), dropped: 0, tagErrors: 0 };

  constructor(private readonly options: StatsdBatchOptions) {}

  /** Samples waiting for take(). */
  get pending(): number {
    return this.samples;
  }

  /** Counts a refusal of `n` samples (a line refused before it was read: too long, not UTF-8). */
  refuse(reason: StatsdReason, n = 1): void {
    this.counts.refused.set(reason, (this.counts.refused.get(reason) ?? 0) + n);
  }

  /**
   * A datagram, or whole lines read off a TCP stream: newline-separated lines, each read on its
   * own (a line that is not UTF-8 is refused, the others are read). Returns the lines not empty.
   */
  addLines(bytes: Buffer): number {
    let lines = 0;
    if (isUtf8(bytes)) {
      for (const line of bytes.toString('utf8').split('\n')) {
        if (line === '' || line === '\r') continue;
        lines++;
        this.addLine(line);
      }
      return lines;
    }
    for (let from = 0; from <= bytes.length; ) {
      let to = bytes.indexOf(10, from);
      if (to < 0) to = bytes.length;
      const piece = bytes.subarray(from, to);
      from = to + 1;
      if (piece.length === 0) continue;
      lines++;
      if (isUtf8(piece)) this.addLine(piece.toString('utf8'));
      else this.refuse('statsd_malformed_line');
    }
    return lines;
  }

  addLine(line: string): void {
    // Most lines repeat one seen before but for the value: only the value is read again. A value
    // with a colon is several samples; a line whose value is refused is read whole for its reason.
    const colon = line.indexOf(':');
    const bar = colon < 0 ? -1 : line.indexOf('|', colon);
    let seenKey: string | null = null;
    if (bar > 0) {
      const valueText = line.slice(colon + 1, bar);
      if (!valueText.includes(':') && line.length - valueText.length <= MAX_CACHED_KEY) {
        seenKey = line.slice(0, colon) + line.slice(bar);
        const seen = this.seen.get(seenKey);
        if (seen) {
          const read = readValue(valueText, seen.type, seen.rate);
          if (!('reason' in read)) {
            this.counts.tagErrors += seen.tagErrors;
            this.addTo(seen.entry, read.value, read.relative, seen.times);
            return;
          }
        }
      }
    }
    const parsed = parseLine(line);
    for (const sample of parsed) {
      if (isRefusal(sample)) this.refuse(sample.reason);
      else this.addSample(sample, parsed.length === 1 ? seenKey : null);
    }
  }

  private addSample(sample: StatsdSample, seenKey: string | null): void {
    let cacheKey = `${sample.type}\u0001${sample.name}`;
    for (const [k, v] of sample.tags) cacheKey += `\u0001${k}\u0002${v}`;
    let entry = this.cache.get(cacheKey);
    if (!entry) {
      entry = this.resolve(sample);
      if (cacheKey.length <= MAX_CACHED_KEY) {
        if (this.cache.size >= CACHE_SIZE) this.cache.clear();
        this.cache.set(cacheKey, entry);
      }
    }
    if (seenKey !== null) {
      if (this.seen.size >= CACHE_SIZE) this.seen.clear();
      const { type, rate, times } = sample;
      this.seen.set(seenKey, { entry, type, rate, times, tagErrors: sample.tagErrors });
    }
    this.counts.tagErrors += sample.tagErrors;
    this.addTo(entry, sample.value, sample.relative, sample.times);
  }

  /** `times` observations of a value of the entry's series (or their count, dropped or refused). */
  private addTo(entry: Entry, value: number, relative: boolean, times: number): void {
    this.counts.tagErrors += entry.tagErrors;
    if (entry.drop) {
      this.counts.dropped += times;
      return;
    }
    if (entry.reason !== null) {
      this.refuse(entry.reason, times);
      return;
    }
    if (entry.batch !== this.batch) {
      entry.batch = this.batch;
      let g = this.slots.get(entry.slot);
      if (g === undefined) {
        g = this.groups.length;
        this.slots.set(entry.slot, g);
        this.groups.push({ info: entry.info, key: entry.key, values: [], relative: null });
      }
      entry.group = g;
    }
    const group = this.groups[entry.group] as Group;
    const scaled = value * entry.scale;
    if (relative) group.relative ??= group.values.map(() => false);
    for (let i = 0; i < times; i++) {
      group.values.push(scaled);
      group.relative?.push(relative);
    }
    this.samples += times;
  }

  /** A sample's family and series key, or why its samples are refused or dropped. */
  private resolve(sample: StatsdSample): Entry {
    const { mapping, limits } = this.options;
    const mapped = mapping ? mapName(mapping, sample.name, sample.type) : null;
    if (mapped?.drop) return { drop: true, tagErrors: 0 };
    let name = escapeName(mapped?.name ?? sample.name);
    if (name === '') return { drop: false, reason: 'statsd_malformed_line', tagErrors: 0 };
    let type = KINDS[sample.type];
    if (type === 'histogram' && (mapped?.observer ?? mapping?.observer) === 'summary') type = 'summary';
    if (type === 'counter' && !name.endsWith('_total')) name += '_total';
    if (name.length > MAX_NAME_BYTES) return { drop: false, reason: 'name_too_long', tagErrors: 0 };
    // Tags, a later one winning; the mapping's labels win over them unless honor_labels.
    const labels = new Map<string, string>();
    let tagErrors = 0;
    const reserved = (k: string) =>
      k.startsWith('__') ||
      k === 'tenant_id' ||
      (type === 'histogram' && k === 'le') ||
      (type === 'summary' && k === 'quantile');
    for (const [k, v] of sample.tags) {
      if (reserved(k) || v.includes('\u0000')) tagErrors++;
      else labels.set(k, v);
    }
    for (const [k, v] of mapped?.labels ?? []) {
      if (reserved(k) || v.includes('\u0000')) tagErrors++;
      else if (!(mapped?.honorLabels && labels.has(k))) labels.set(k, v);
    }
    const pairs = [...labels].filter(([, v]) => v !== '').sort((a, b) => (a[0] < b[0] ? -1 : 1));
    if (pairs.length > limits.maxLabels) return { drop: false, reason: 'too_many_labels', tagErrors };
    if (pairs.some(([, v]) => longerThan(v, limits.maxLabelValueBytes))) {
      return { drop: false, reason: 'label_too_long', tagErrors };
    }
    const key = pairs.map(([k, v]) => `${k}\u0000${v}\u0000`).join('');
    if (longerThan(key, limits.maxSeriesBytes + 2 * pairs.length)) {
      return { drop: false, reason: 'series_too_large', tagErrors };
    }
    const buckets = type === 'histogram' ? (mapped?.buckets ?? mapping?.buckets ?? [...DEFAULT_BUCKETS]) : null;
    const targets = type === 'summary' ? (mapped?.targets ?? mapping?.targets ?? null) : null;
    const help = mapped?.help ?? null;
    const infoKey = `${name}\u0000${type}\u0000${buckets}\u0000${JSON.stringify(targets)}\u0000${help}`;
    let info = this.infos.get(infoKey);
    if (!info) {
      if (this.infos.size >= CACHE_SIZE) this.infos.clear();
      info = { name, type, help, buckets, targets };
      this.infos.set(infoKey, info);
    }
    const slot = `${infoKey}\u0001${key}`;
    return { drop: false, reason: null, info, key, slot, scale: mapped?.scale ?? 1, tagErrors, group: 0, batch: -1 };
  }

  /** What was added since the last take: the counts, and the batch (null when no sample is in it). */
  take(): { batch: DecodedBatch | null; counts: StatsdCounts } {
    const counts = this.counts;
    this.counts = { refused: new Map(), dropped: 0, tagErrors: 0 };
    const groups = this.groups;
    const n = this.samples;
    this.groups = [];
    this.slots = new Map();
    this.samples = 0;
    this.batch++;
    if (n === 0) return { batch: null, counts };
    const families: FamilyInfo[] = [];
    const familyIndex = new Map<FamilyInfo, number>();
    const family = new Int32Array(groups.length);
    const start = new Int32Array(groups.length + 1);
    const values = new Float64Array(n);
    const indexes = new Int32Array(n);
    let at = 0;
    for (let g = 0; g < groups.length; g++) {
      const { info, key, values: given, relative } = groups[g] as Group;
      let f = familyIndex.get(info);
      if (f === undefined) {
        f = families.length;
        familyIndex.set(info, f);
        families.push(info);
      }
      family[g] = f;
      // Deltas become the values they lead to, from what the store holds (0 when nothing).
      let current = relative ? (this.options.gaugeValue(info.name, key) ?? 0) : 0;
      for (let i = 0; i < given.length; i++) {
        let v = given[i] as number;
        if (relative) {
          v = relative[i] ? current + v : v;
          current = v;
        }
        values[at] = v;
        indexes[at] = at;
        at++;
      }
      start[g + 1] = at;
    }
    const batch: DecodedBatch = {
      shape: 'statsd',
      total: n,
      rejected: [],
      families,
      family,
      keys: groups.map((g) => g.key),
      sources: groups.map(() => SOURCE),
      start,
      values,
      stamps: new Float64Array(n).fill(Number.NaN),
      indexes,
    };
    return { batch, counts };
  }
}
