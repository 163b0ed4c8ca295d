// A remote-write body (snappy block → WriteRequest) → the store's DecodedBatch, one group per
// series, with the same checks and limits as JSON pushes. Pure. Which samples the store keeps
// (the newest per series, counters across resets) is the store's decision: the batch's shape
// `remote-write` tells it the values are absolute, scraped ones (store/pushed-families.ts).
//
// Types come from the names alone: `*_total` is a counter, anything else a gauge (classic
// histogram and summary parts included, under their own names with `le`/`quantile`). Metadata
// (sent by Prometheus in requests of their own, per family, once a minute) is not used: a series'
// type must be known at its first sample, must never change, and a replay of the push log must
// decide as the first time did.

import type { RejectReason } from '../../metrics/catalog.js';
import {
  LABEL_NAME,
  longerThan,
  MAX_LABEL_NAME_BYTES,
  MAX_NAME_BYTES,
  METRIC_NAME,
  remember,
} from '../../metrics/prom-names.js';
import type { DecodedBatch, FamilyInfo, MetricType, Rejection } from '../../store/push-batch.js';
import { type BatchContext, type BatchError, exposedName } from '../push/batch.js';
import { TENANT } from '../push/decode.js';
import { groupOrder } from '../push/group-order.js';
import { SnappyError, snappyDecompress } from './snappy.js';
import { decodeLabels, decodeWriteRequest, type RawRequest, type RawSeries, WireError } from './write-request.js';

/** The source a remote-write series' running totals are kept under (store: ValueSeries.last). */
export const REMOTE_WRITE_SOURCE = 'remote_write';

/** How much larger than its body a request may decompress to (snappy's best ratio is about 21:1). */
export const MAX_DECOMPRESSION_RATIO = 32;

/** Names already found valid (bounded): every request repeats the same few hundred. */
const validNames = new Set<string>();
const validLabelNames = new Set<string>();

export type Verdict = [RejectReason, string];

/** A series' exposed name, type and key (name NUL value NUL …, sorted, without __name__), or why not. */
export interface SeriesDecision {
  name: string;
  type: MetricType;
  key: string;
}

/** Pure: one series' labels (name, value, … as sent) → its name, type and key, or why it is refused. */
export function seriesOf(labels: readonly string[] | null, context: BatchContext): SeriesDecision | Verdict {
  if (labels === null) return ['invalid_label', 'a label name or value is not UTF-8 text'];
  const { limits, tenant } = context;
  let name: string | null = null;
  const pairs: [string, string][] = [];
  let sorted = true;
  let previous = '';
  let named: string | null = null;
  for (let i = 0; i < labels.length; i += 2) {
    const k = labels[i] as string;
    const v = labels[i + 1] as string;
    if (k <= previous && i > 0) {
      if (k === previous) return ['invalid_label', `label "${k}" is given twice`];
      sorted = false;
    }
    previous = k;
    if (k === '__name__') {
      if (name !== null) return ['invalid_label', 'label "__name__" is given twice'];
      name = v;
      continue;
    }
    if (!validLabelNames.has(k)) {
      if (k.length > MAX_LABEL_NAME_BYTES) {
        return ['label_name_too_long', `a label name is ${k.length} bytes, more than ${MAX_LABEL_NAME_BYTES}`];
      }
      if (!LABEL_NAME.test(k))
        return ['invalid_label', `label name "${k.slice(0, 64)}" is not a Prometheus label name`];
      if (k.startsWith('__')) return ['invalid_label', `label name "${k}" is reserved (starts with __)`];
      remember(validLabelNames, k);
    }
    if (v.includes('\u0000')) return ['invalid_label', `label "${k}" holds NUL`];
    if (longerThan(v, limits.maxLabelValueBytes)) {
      return ['label_too_long', `label "${k}" is longer than ${limits.maxLabelValueBytes} bytes`];
    }
    // An empty value is no label (Prometheus: the same series as without it).
    if (v === '') continue;
    if (k === 'tenant_id') named = v;
    pairs.push([k, v]);
  }
  if (name === null || name === '') return ['invalid_name', 'the series has no __name__'];
  if (name.length > MAX_NAME_BYTES) {
    return ['name_too_long', `a name is ${name.length} bytes, more than ${MAX_NAME_BYTES}`];
  }
  if (!validNames.has(name)) {
    if (!METRIC_NAME.test(name)) return ['invalid_name', `name "${name.slice(0, 64)}" is not a Prometheus metric name`];
    remember(validNames, name);
  }
  if (named !== null && named !== tenant) {
    if (tenant === null) {
      if (!TENANT.test(named)) return ['invalid_label', 'tenant_id must be 1 to 64 letters, digits, _ . or -'];
    } else {
      const message =
        tenant === ''
          ? `tenant_id "${named}" cannot be set by this writer (a key needs :* to set it)`
          : `this key writes as tenant "${tenant}", not "${named}"`;
      return ['tenant_not_allowed', message];
    }
  }
  if (tenant && named === null) {
    // A key's tenant labels every series it writes (as JSON pushes).
    pairs.push(['tenant_id', tenant]);
    sorted = false;
  }
  if (pairs.length > limits.maxLabels) {
    return ['too_many_labels', `${pairs.length} labels, more than ${limits.maxLabels}`];
  }
  if (!sorted) {
    pairs.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const twice = pairs.find((p, i) => i > 0 && p[0] === pairs[i - 1]?.[0]);
    if (twice) return ['invalid_label', `label "${twice[0]}" is given twice`];
  }
  let key = '';
  for (const [k, v] of pairs) key += `${k}\u0000${v}\u0000`;
  if (longerThan(key, limits.maxSeriesBytes + 2 * pairs.length)) {
    return [
      'series_too_large',
      `the labels' names and values are ${Buffer.byteLength(key) - 2 * pairs.length} bytes, more than ${limits.maxSeriesBytes}`,
    ];
  }
  const type: MetricType = name.endsWith('_total') ? 'counter' : 'gauge';
  return { name: exposedName({ name, type }, context.namespace, context.prefix), type, key };
}

/**
 * Decisions by a series' labels as sent (a key the caller makes of them: remote-write's label
 * bytes, OTLP's label strings), per context (tenant, names, limits): senders send the same series
 * every scrape or interval, so after the first request a series costs one lookup. A cache of pure
 * results, bounded: past `max` entries it starts again. Shared by remote-write and OTLP.
 */
export class DecisionCache {
  private readonly byContext = new Map<string, Map<string, SeriesDecision | Verdict>>();
  private size = 0;

  // About --push-max-series (default): each entry holds its key and the series key (~0.4 KB).
  constructor(private readonly max = 100_000) {}

  /** The decisions of one context: looked up once per request, so a point's key is its labels alone. */
  forContext(context: BatchContext): Map<string, SeriesDecision | Verdict> {
    const { limits } = context;
    const id = `${context.tenant ?? '\u0002'}\u0001${context.namespace}\u0001${context.prefix}\u0001${limits.maxLabels},${limits.maxLabelValueBytes},${limits.maxSeriesBytes}`;
    let map = this.byContext.get(id);
    if (!map) {
      map = new Map();
      this.byContext.set(id, map);
    }
    return map;
  }

  /** Keeps a decision just made (`known` from forContext). */
  keep(known: Map<string, SeriesDecision | Verdict>, key: string, decision: SeriesDecision | Verdict): void {
    if (this.size >= this.max) {
      for (const map of this.byContext.values()) map.clear();
      this.size = 0;
    }
    known.set(key, decision);
    this.size++;
  }
}

const decisions = new DecisionCache();

/** A series' decision: from the cache when its label bytes were seen, else made (and kept). */
function decide(bytes: Buffer, s: RawSeries, known: Map<string, SeriesDecision | Verdict>, context: BatchContext) {
  if (s.scattered) return seriesOf(decodeLabels(bytes, s.labelsFrom, s.labelsTo), context);
  const id = bytes.toString('latin1', s.labelsFrom, s.labelsTo);
  let decision = known.get(id);
  if (decision === undefined) {
    decision = seriesOf(decodeLabels(bytes, s.labelsFrom, s.labelsTo), context);
    decisions.keep(known, id, decision);
  }
  return decision;
}

/** Pure: one sample value of a series of `type` → null when it may be applied, or why not. */
export function valueVerdict(type: MetricType, value: number): Verdict | null {
  if (!Number.isFinite(value)) return ['invalid_value', `value ${value} is not a finite number`];
  if (type === 'counter' && value < 0) return ['negative_counter', `a counter cannot be ${value}`];
  return null;
}

/**
 * Pure: a remote-write body (snappy block) → a batch grouped by series, or why the whole body is
 * refused (400: not snappy, not a WriteRequest; 413: more samples than a push may hold). Stale
 * markers are left out (neither applied nor refused: the series keeps its last value until the
 * push TTL drops it); native histograms are refused per sample (`native_histogram`).
 */
export function decodeRemoteWrite(body: Uint8Array, context: BatchContext): DecodedBatch | BatchError {
  try {
    const bytes = snappyDecompress(body, Math.max(1024, body.length * MAX_DECOMPRESSION_RATIO));
    const raw = decodeWriteRequest(bytes);
    let histograms = 0;
    for (const s of raw.series) histograms += s.histograms;
    const total = raw.samples + histograms;
    if (total > context.limits.maxItems) {
      const message = `${total} samples, more than ${context.limits.maxItems}`;
      return { error: { status: 413, reason: 'too_many_items', message, items: total } };
    }
    return grouped(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), raw, context, total);
  } catch (error) {
    if (!(error instanceof SnappyError || error instanceof WireError)) throw error;
    const what = error instanceof SnappyError ? 'not a snappy block' : 'not a remote-write WriteRequest';
    return { error: { status: 400, reason: 'invalid_body', message: `${what}: ${error.message}`, items: 1 } };
  }
}

function grouped(bytes: Buffer, raw: RawRequest, context: BatchContext, total: number): DecodedBatch {
  const known = decisions.forContext(context);
  const rejected: Rejection[] = [];
  const families: FamilyInfo[] = [];
  const familyOf = new Map<string, number>();
  // By the decision (cached: one object per series and context), so a lookup hashes no string.
  const groupOf = new Map<SeriesDecision, number>();
  const family: number[] = [];
  const keys: string[] = [];
  const counts: number[] = [];
  // Per sample: its group, or -1 when it is not applied (refused, or a stale marker).
  const sampleGroup = new Int32Array(raw.samples).fill(-1);
  let kept = 0;
  let histogramIndex = raw.samples;
  for (const s of raw.series) {
    const decision = decide(bytes, s, known, context);
    if (Array.isArray(decision)) {
      const [reason, message] = decision;
      for (let i = s.first; i < s.first + s.count; i++) {
        if (raw.stale[i] !== 1) rejected.push({ index: i, reason, message });
      }
    }
    for (let k = 0; k < s.histograms; k++) {
      const message = 'native histograms are not taken (send classic histograms: send_native_histograms off)';
      rejected.push({ index: histogramIndex++, reason: 'native_histogram', message });
    }
    if (Array.isArray(decision)) continue;
    let f = familyOf.get(decision.name);
    if (f === undefined) {
      f = families.length;
      familyOf.set(decision.name, f);
      families.push({ name: decision.name, type: decision.type, help: null, buckets: null, targets: null });
    }
    let g = groupOf.get(decision);
    for (let i = s.first; i < s.first + s.count; i++) {
      if (raw.stale[i] === 1) continue;
      const verdict = valueVerdict(decision.type, raw.values[i] as number);
      if (verdict) {
        rejected.push({ index: i, reason: verdict[0], message: verdict[1] });
        continue;
      }
      if (g === undefined) {
        g = keys.length;
        groupOf.set(decision, g);
        family.push(f);
        keys.push(decision.key);
        counts.push(0);
      }
      sampleGroup[i] = g;
      counts[g] = (counts[g] as number) + 1;
      kept++;
    }
  }
  const { start, values, stamps, indexes } = groupOrder(counts, sampleGroup, kept, raw.values, raw.stamps, null);
  return {
    shape: 'remote-write',
    total,
    rejected,
    families,
    family: Int32Array.from(family),
    keys,
    sources: keys.map(() => REMOTE_WRITE_SOURCE),
    start,
    values,
    stamps,
    indexes,
  };
}
