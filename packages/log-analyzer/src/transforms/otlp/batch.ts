// OTLP resources (model.ts) → the store's DecodedBatch, translated as Prometheus' OTLP receiver
// does: names.ts for names, `job`/`instance` from service.namespace/service.name and
// service.instance.id, every other resource attribute on `target_info`. Pure. What the store does
// with each group is told by its type and source:
// - a cumulative monotonic sum is a counter of running totals under the source `otlp@<start
//   time>` (push-batch.ts STREAM_SOURCE): the store adds what it grew by, and a new start time
//   (the sender restarted) counts from zero again instead of being taken for a decrease or
//   added twice;
// - a delta monotonic sum is a counter under `otlp`: each value is added;
// - gauges and cumulative non-monotonic sums are gauges (set); a delta non-monotonic sum (an
//   up-down counter's changes) has no gauge to become and is refused (`invalid_type`);
// - an explicit-bucket histogram is `_bucket{le}`, `_sum`, `_count` counters (distributions.ts),
//   cumulative ones as a stream like sums, delta ones added; a summary (always cumulative) is
//   `{quantile}` gauges and `_sum`, `_count` counters of its stream;
// - an exponential histogram is refused (`invalid_type`): see EXPONENTIAL.
// Rejections are by data point index (the unit OTLP's partial_success counts); a point's series
// are taken all or none (toBatch).

import {
  type DecodedBatch,
  type FamilyInfo,
  type MetricType,
  type Rejection,
  STREAM_SOURCE,
} from '../../store/push-batch.js';
import type { BatchContext } from '../push/batch.js';
import { groupOrder } from '../push/group-order.js';
import { DecisionCache, type SeriesDecision, seriesOf, type Verdict, valueVerdict } from '../remote-write/batch.js';
import { histogramParts, summaryParts } from './distributions.js';
import { CUMULATIVE, DELTA, NO_RECORDED_VALUE, type OtlpMetric, type OtlpPoint, type OtlpResource } from './model.js';
import { IDENTIFYING, labelsOf, metricName, type NameRole, targetOf } from './names.js';

/**
 * Why exponential histograms are not taken: converted to classic buckets they would be exact per
 * point, but the SDK rescales (merges buckets) as the observed range grows, so one stream's `le`
 * bounds change between exports: its old bucket series would stop and new ones start, and
 * rate()/histogram_quantile() over them would be wrong. Refused with this reason instead.
 */
export const EXPONENTIAL =
  'are not taken: their bucket layout changes as the SDK rescales; use an explicit-bucket histogram view';

/** The source of delta sums' groups (each value added). */
export const DELTA_SOURCE = 'otlp';

/** One sample to keep: its series' labels (with __name__), how it is kept, its value and time. */
interface Sample {
  labels: string[];
  type: MetricType;
  source: string;
  value: number;
  stamp: number;
  point: number;
}

/** What a translation makes of a request: samples, and refusals by data point. */
export interface Translated {
  samples: Sample[];
  rejected: Rejection[];
  points: number;
}

/** Pure: the samples of a request (labels not checked yet: toBatch does) and what it refuses. */
export function translate(resources: readonly OtlpResource[]): Translated {
  const samples: Sample[] = [];
  const rejected: Rejection[] = [];
  let points = 0;
  for (const resource of resources) {
    const { job, instance } = targetOf(resource.attrs);
    const target = new Map<string, string>();
    if (job !== '') target.set('job', job);
    if (instance !== '') target.set('instance', instance);
    const others = resource.attrs.filter((_, i) => i % 2 === 0 && !IDENTIFYING.has(resource.attrs[i] as string));
    if (others.length > 0 && resource.metrics.length > 0) {
      const info = new Map<string, string>();
      labelsOf(
        resource.attrs.filter((_, i) => !IDENTIFYING.has(resource.attrs[i - (i % 2)] as string)),
        info,
      );
      for (const [k, v] of target) info.set(k, v);
      samples.push({
        labels: flat('target_info', info),
        type: 'gauge',
        source: DELTA_SOURCE,
        value: 1,
        stamp: NaN,
        point: -1,
      });
    }
    for (const m of resource.metrics) {
      const role: NameRole =
        m.kind === 'sum' && m.monotonic ? 'counter' : m.kind === 'gauge' || m.kind === 'sum' ? 'gauge' : 'other';
      const name = metricName(m.name, m.unit, role);
      const refused = metricVerdict(m);
      for (const p of m.points) {
        const point = points++;
        if ((p.flags & NO_RECORDED_VALUE) !== 0) continue;
        if (refused) {
          rejected.push({ index: point, reason: refused[0], message: refused[1] });
          continue;
        }
        const labels = new Map<string, string>();
        labelsOf(p.attrs, labels);
        for (const [k, v] of target) labels.set(k, v);
        if (m.kind === 'histogram' || m.kind === 'summary') {
          const bad = distribution(m, name, p, labels, point, samples);
          if (bad) rejected.push({ index: point, reason: bad[0], message: `${m.name}: ${bad[1]}` });
        } else number(m, name, p, labels, point, samples);
      }
    }
  }
  return { samples, rejected, points };
}

/** Pure: why a metric's points are not taken, or null. */
export function metricVerdict(m: OtlpMetric): Verdict | null {
  if (m.name === '' || metricName(m.name, m.unit, 'gauge') === '') {
    return ['invalid_name', `metric name "${m.name.slice(0, 64)}" has no letter or digit`];
  }
  switch (m.kind) {
    case 'gauge':
      return null;
    case 'sum':
      if (m.temporality !== DELTA && m.temporality !== CUMULATIVE) {
        return ['invalid_type', `sum ${m.name} has no aggregation temporality`];
      }
      if (!m.monotonic && m.temporality === DELTA) {
        return [
          'invalid_type',
          `sum ${m.name} is a non-monotonic delta (changes of an up-down counter): send it cumulative`,
        ];
      }
      return null;
    case 'histogram':
      if (m.temporality !== DELTA && m.temporality !== CUMULATIVE) {
        return ['invalid_type', `histogram ${m.name} has no aggregation temporality`];
      }
      return null;
    case 'summary':
      return null;
    case 'exponential':
      return ['invalid_type', `exponential histograms (${m.name}) ${EXPONENTIAL}`];
    default:
      return ['invalid_type', `${m.kind} metrics (${m.name}) are not taken`];
  }
}

function number(m: OtlpMetric, name: string, p: OtlpPoint, labels: Map<string, string>, point: number, out: Sample[]) {
  const counter = m.kind === 'sum' && m.monotonic;
  const role: NameRole = counter ? 'counter' : 'gauge';
  const source = counter && m.temporality === CUMULATIVE ? `${STREAM_SOURCE}${p.start}` : DELTA_SOURCE;
  out.push({ labels: flat(name, labels), type: role, source, value: p.value, stamp: stampOf(p.time), point });
}

/** A histogram's or summary's parts as samples (none when the point is refused: its verdict). */
function distribution(
  m: OtlpMetric,
  name: string,
  p: OtlpPoint,
  labels: Map<string, string>,
  point: number,
  out: Sample[],
): Verdict | null {
  const parts = m.kind === 'histogram' ? histogramParts(p) : summaryParts(p);
  if (typeof parts[0] === 'string') return parts as Verdict;
  // Summaries have no temporality: they are cumulative (OTLP), so a stream like cumulative sums.
  const stream = m.kind === 'summary' || m.temporality === CUMULATIVE;
  const counterSource = stream ? `${STREAM_SOURCE}${p.start}` : DELTA_SOURCE;
  const stamp = stampOf(p.time);
  for (const part of parts as Exclude<typeof parts, Verdict>) {
    const series = part.label ? new Map([...labels, part.label]) : labels;
    out.push({
      labels: flat(`${name}${part.suffix}`, series),
      type: part.counter ? 'counter' : 'gauge',
      source: part.counter ? counterSource : DELTA_SOURCE,
      value: part.value,
      stamp,
      point,
    });
  }
  return null;
}

/** Nanoseconds since the epoch → milliseconds; 0 (not given) → NaN. */
export function stampOf(nanos: number): number {
  return nanos === 0 ? Number.NaN : nanos / 1e6;
}

function flat(name: string, labels: Map<string, string>): string[] {
  const out = ['__name__', name];
  for (const [k, v] of labels) out.push(k, v);
  return out;
}

const decisions = new DecisionCache();

function decide(
  labels: string[],
  context: BatchContext,
  known: Map<string, SeriesDecision | Verdict>,
): SeriesDecision | Verdict {
  const id = labels.join('\u0000');
  let decision = known.get(id);
  if (decision === undefined) {
    decision = seriesOf(labels, context);
    decisions.keep(known, id, decision);
  }
  return decision;
}

/**
 * Pure: a translation → a batch grouped by series and source, with the label checks and limits of
 * every push (remote-write's seriesOf: names, tenants, sizes).
 */
export function toBatch(t: Translated, context: BatchContext): DecodedBatch {
  const rejected = [...t.rejected];
  const families: FamilyInfo[] = [];
  const familyOf = new Map<string, number>();
  // By the decision (cached: one object per series and context), then the source: no long key hashed.
  const groupOf = new Map<SeriesDecision, Map<string, number>>();
  const known = decisions.forContext(context);
  const family: number[] = [];
  const keys: string[] = [];
  const sources: string[] = [];
  const counts: number[] = [];
  const sampleGroup = new Int32Array(t.samples.length).fill(-1);
  const prefix = `${context.namespace ? `${context.namespace}_` : ''}${context.prefix}`;
  let kept = 0;
  // First the verdicts: a histogram's or summary's point is several samples, taken all or none.
  const decided: (SeriesDecision | null)[] = new Array(t.samples.length);
  const refusedPoints = new Set<number>();
  for (let i = 0; i < t.samples.length; i++) {
    const s = t.samples[i] as Sample;
    const decision = decide(s.labels, context, known);
    const verdict = Array.isArray(decision) ? decision : valueVerdict(s.type, s.value);
    if (verdict || Array.isArray(decision)) {
      decided[i] = null;
      if (refusedPoints.has(s.point)) continue;
      const [reason, message] = verdict as Verdict;
      rejected.push({ index: s.point, reason, message });
      if (s.point >= 0) refusedPoints.add(s.point);
    } else decided[i] = decision;
  }
  for (let i = 0; i < t.samples.length; i++) {
    const s = t.samples[i] as Sample;
    const decision = decided[i];
    if (!decision || refusedPoints.has(s.point)) continue;
    let bySource = groupOf.get(decision);
    if (bySource === undefined) {
      bySource = new Map();
      groupOf.set(decision, bySource);
    }
    // A series' type is its metric's: the same labels as a counter and as a gauge are two groups.
    const id = s.type === 'counter' ? s.source : `${s.type}\u0001${s.source}`;
    let g = bySource.get(id);
    if (g === undefined) {
      const name = `${prefix}${s.labels[1]}`;
      const familyId = `${name}\u0000${s.type}`;
      let f = familyOf.get(familyId);
      if (f === undefined) {
        f = families.length;
        familyOf.set(familyId, f);
        families.push({ name, type: s.type, help: null, buckets: null, targets: null });
      }
      g = keys.length;
      bySource.set(id, g);
      family.push(f);
      keys.push(decision.key);
      sources.push(s.source);
      counts.push(0);
    }
    sampleGroup[i] = g;
    counts[g] = (counts[g] as number) + 1;
    kept++;
  }
  // Plain loops: TypedArray.from with a map function walks the array through its iterator.
  const n = t.samples.length;
  const sampleValues = new Float64Array(n);
  const sampleStamps = new Float64Array(n);
  const samplePoints = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const s = t.samples[i] as Sample;
    sampleValues[i] = s.value;
    sampleStamps[i] = s.stamp;
    samplePoints[i] = s.point;
  }
  const { start, values, stamps, indexes } = groupOrder(
    counts,
    sampleGroup,
    kept,
    sampleValues,
    sampleStamps,
    samplePoints,
  );
  return {
    shape: 'otlp',
    total: t.samples.length,
    rejected,
    families,
    family: Int32Array.from(family),
    keys,
    sources,
    start,
    values,
    stamps,
    indexes,
  };
}
