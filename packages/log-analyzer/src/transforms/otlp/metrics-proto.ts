// An OTLP ExportMetricsServiceRequest (protobuf, already decompressed) → its resources, metrics and
// points (model.ts). Pure and hand-written over the shared wire reader, for the fields the
// translation uses; unknown fields are skipped by wire type. Field numbers from
// opentelemetry-proto (collector/metrics/v1, metrics/v1, common/v1, resource/v1):
//
//   ExportMetricsServiceRequest { repeated ResourceMetrics resource_metrics = 1; }
//   ResourceMetrics { Resource resource = 1; repeated ScopeMetrics scope_metrics = 2; }
//   Resource        { repeated KeyValue attributes = 1; }
//   ScopeMetrics    { InstrumentationScope scope = 1; repeated Metric metrics = 2; }
//   Metric          { string name = 1; string description = 2; string unit = 3; oneof data { Gauge gauge = 5;
//                     Sum sum = 7; Histogram histogram = 9; ExponentialHistogram exponential_histogram = 10;
//                     Summary summary = 11; } }
//   Gauge/Sum/Histogram/ExponentialHistogram/Summary { repeated …DataPoint data_points = 1;
//                     AggregationTemporality aggregation_temporality = 2; bool is_monotonic = 3 (Sum) }
//   NumberDataPoint { fixed64 start_time_unix_nano = 2; fixed64 time_unix_nano = 3; double as_double = 4;
//                     sfixed64 as_int = 6; repeated KeyValue attributes = 7; uint32 flags = 8; }
//   HistogramDataPoint { 2, 3 as above; fixed64 count = 4; double sum = 5; repeated fixed64 bucket_counts = 6;
//                     repeated double explicit_bounds = 7; repeated KeyValue attributes = 9; uint32 flags = 10; }
//   ExponentialHistogramDataPoint { KeyValue attributes = 1; 2, 3; fixed64 count = 4; double sum = 5;
//                     sint32 scale = 6; fixed64 zero_count = 7; Buckets positive = 8; Buckets negative = 9;
//                     uint32 flags = 10; double zero_threshold = 14; }   Buckets { sint32 offset = 1; repeated uint64 bucket_counts = 2; }
//   SummaryDataPoint { 2, 3; fixed64 count = 4; double sum = 5; repeated ValueAtQuantile quantile_values = 6;
//                     repeated KeyValue attributes = 7; uint32 flags = 8; }   ValueAtQuantile { double quantile = 1; double value = 2; }
//   KeyValue { string key = 1; AnyValue value = 2; }
//   AnyValue { string_value = 1; bool_value = 2; int64 int_value = 3; double double_value = 4;
//              ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7; }

import { WireError, WireReader } from '../wire/wire-reader.js';
import { emptyMetric, emptyPoint, type OtlpKind, type OtlpMetric, type OtlpPoint, type OtlpResource } from './model.js';

/** How deep an attribute's value may nest (arrays and lists of lists): deeper is refused, not recursed. */
export const MAX_VALUE_DEPTH = 16;

const KINDS: Partial<Record<number, OtlpKind>> = {
  5: 'gauge',
  7: 'sum',
  9: 'histogram',
  10: 'exponential',
  11: 'summary',
};

/** Pure: an ExportMetricsServiceRequest's bytes → its resources; throws WireError when they are not one. */
export function decodeMetricsProto(bytes: Uint8Array): OtlpResource[] {
  const r = new WireReader(bytes);
  const out: OtlpResource[] = [];
  const end = bytes.length;
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === 0x0a) {
      const to = r.delimited(end);
      out.push(resourceMetrics(r, to));
      r.pos = to;
    } else r.skip(tag & 7, end);
  }
  return out;
}

function resourceMetrics(r: WireReader, end: number): OtlpResource {
  const resource: OtlpResource = { attrs: [], metrics: [] };
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === 0x0a) {
      const to = r.delimited(end);
      while (r.pos < to) {
        const t = r.tag(to);
        if (t === 0x0a) keyValue(r, r.delimited(to), resource.attrs, 0);
        else r.skip(t & 7, to);
      }
    } else if (tag === 0x12) {
      const to = r.delimited(end);
      while (r.pos < to) {
        const t = r.tag(to);
        if (t === 0x12) {
          const m = r.delimited(to);
          resource.metrics.push(metric(r, m));
          r.pos = m;
        } else r.skip(t & 7, to);
      }
    } else r.skip(tag & 7, end);
  }
  return resource;
}

function metric(r: WireReader, end: number): OtlpMetric {
  const m = emptyMetric();
  while (r.pos < end) {
    const tag = r.tag(end);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 2 && field <= 3) {
      const s = r.text(end);
      if (field === 1) m.name = s;
      else if (field === 2) m.description = s;
      else m.unit = s;
    } else if (wire === 2 && KINDS[field] !== undefined) {
      m.kind = KINDS[field] as OtlpKind;
      m.points = [];
      data(r, r.delimited(end), m);
    } else r.skip(wire, end);
  }
  return m;
}

function data(r: WireReader, end: number, m: OtlpMetric): void {
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === 0x0a) {
      const to = r.delimited(end);
      m.points.push(m.kind === 'exponential' ? exponentialPoint(r, to) : point(r, to, m.kind));
      r.pos = to;
    } else if (tag === 0x10) m.temporality = r.varint(end);
    else if (tag === 0x18 && m.kind === 'sum') m.monotonic = r.varint(end) !== 0;
    else r.skip(tag & 7, end);
  }
}

/** Number, histogram and summary points: their attributes and flags sit at different numbers. */
function point(r: WireReader, end: number, kind: OtlpKind): OtlpPoint {
  const p = emptyPoint();
  const attrsField = kind === 'histogram' ? 9 : 7;
  const flagsField = kind === 'histogram' ? 10 : 8;
  while (r.pos < end) {
    const tag = r.tag(end);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 2 && wire === 1) p.start = r.fixed64(end);
    else if (field === 3 && wire === 1) p.time = r.fixed64(end);
    else if (field === attrsField && wire === 2) keyValue(r, r.delimited(end), p.attrs, 0);
    else if (field === flagsField && wire === 0) p.flags = r.varint(end);
    else if (kind === 'gauge' || kind === 'sum') {
      if (field === 4 && wire === 1) p.value = r.double(end);
      else if (field === 6 && wire === 1) p.value = r.sfixed64(end);
      else r.skip(wire, end);
    } else if (field === 4 && wire === 1) p.count = r.fixed64(end);
    else if (field === 5 && wire === 1) {
      p.sum = r.double(end);
      p.hasSum = true;
    } else if (kind === 'histogram' && field === 6) repeated(r, wire, end, p.buckets, 'fixed64');
    else if (kind === 'histogram' && field === 7) repeated(r, wire, end, p.bounds, 'double');
    else if (kind === 'summary' && field === 6 && wire === 2) quantile(r, r.delimited(end), p);
    else r.skip(wire, end);
  }
  return p;
}

function exponentialPoint(r: WireReader, end: number): OtlpPoint {
  const p = emptyPoint();
  while (r.pos < end) {
    const tag = r.tag(end);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 1 && wire === 2) keyValue(r, r.delimited(end), p.attrs, 0);
    else if (field === 2 && wire === 1) p.start = r.fixed64(end);
    else if (field === 3 && wire === 1) p.time = r.fixed64(end);
    else if (field === 4 && wire === 1) p.count = r.fixed64(end);
    else if (field === 5 && wire === 1) p.sum = r.double(end);
    else if (field === 6 && wire === 0) p.scale = r.sint(end);
    else if (field === 7 && wire === 1) p.zeroCount = r.fixed64(end);
    else if ((field === 8 || field === 9) && wire === 2) {
      const b = buckets(r, r.delimited(end));
      if (field === 8) p.positive = b;
      else p.negative = b;
    } else if (field === 10 && wire === 0) p.flags = r.varint(end);
    else if (field === 14 && wire === 1) p.zeroThreshold = r.double(end);
    else r.skip(wire, end);
  }
  return p;
}

function buckets(r: WireReader, end: number): OtlpPoint['positive'] {
  const b = { offset: 0, counts: [] as number[] };
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === 0x08) b.offset = r.sint(end);
    else if (tag >>> 3 === 2) repeated(r, tag & 7, end, b.counts, 'varint');
    else r.skip(tag & 7, end);
  }
  return b;
}

/** A repeated scalar, packed (wire type 2) or one element per field. */
function repeated(r: WireReader, wire: number, end: number, out: number[], as: 'fixed64' | 'double' | 'varint') {
  const one = as === 'varint' ? () => r.varint(end) : as === 'double' ? () => r.double(end) : () => r.fixed64(end);
  if (wire !== 2) {
    if ((as === 'varint' ? 0 : 1) !== wire) throw new WireError(`a repeated ${as} has wire type ${wire}`);
    out.push(one());
    return;
  }
  const to = r.delimited(end);
  const read = as === 'varint' ? () => r.varint(to) : as === 'double' ? () => r.double(to) : () => r.fixed64(to);
  while (r.pos < to) out.push(read());
}

function quantile(r: WireReader, end: number, p: OtlpPoint): void {
  let q = 0;
  let v = 0;
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === 0x09) q = r.double(end);
    else if (tag === 0x11) v = r.double(end);
    else r.skip(tag & 7, end);
  }
  p.quantiles.push(q);
  p.values.push(v);
}

/** A KeyValue → key and its value as text pushed on `out`. */
function keyValue(r: WireReader, end: number, out: string[], depth: number): void {
  let key = '';
  let value = '';
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === 0x0a) key = r.text(end);
    else if (tag === 0x12) value = anyValue(r, r.delimited(end), depth);
    else r.skip(tag & 7, end);
  }
  out.push(key, value);
}

/**
 * An AnyValue as label text, as Prometheus' translator writes it: strings as they are, booleans
 * and numbers in their usual spelling, bytes as base64, arrays and key-value lists as JSON.
 */
function anyValue(r: WireReader, end: number, depth: number): string {
  if (depth >= MAX_VALUE_DEPTH) throw new WireError(`an attribute value nests deeper than ${MAX_VALUE_DEPTH}`);
  let value: unknown = '';
  while (r.pos < end) {
    const tag = r.tag(end);
    const field = tag >>> 3;
    if (tag === 0x0a) value = r.text(end);
    else if (tag === 0x10) value = r.varint(end) !== 0;
    else if (tag === 0x18) value = r.int64(end);
    else if (tag === 0x21) value = r.double(end);
    else if ((field === 5 || field === 6) && (tag & 7) === 2) {
      const to = r.delimited(end);
      const items: string[] = [];
      while (r.pos < to) {
        const t = r.tag(to);
        if (field === 5 && t === 0x0a) items.push(anyValue(r, r.delimited(to), depth + 1));
        else if (field === 6 && t === 0x0a) keyValue(r, r.delimited(to), items, depth + 1);
        else r.skip(t & 7, to);
      }
      value = field === 5 ? items : Object.fromEntries(pairs(items));
      return JSON.stringify(value);
    } else if (tag === 0x3a) value = r.base64(end);
    else r.skip(tag & 7, end);
  }
  return typeof value === 'string' ? value : String(value);
}

function pairs(items: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < items.length; i += 2) out.push([items[i] as string, items[i + 1] as string]);
  return out;
}
