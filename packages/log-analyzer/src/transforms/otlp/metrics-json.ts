// An OTLP ExportMetricsServiceRequest in its JSON encoding (protobuf's JSON mapping as OTLP fixes
// it: lowerCamelCase keys, 64-bit integers as decimal strings, enums as integers, bytes as base64)
// → its resources (model.ts). Pure. A field of the wrong shape refuses the body (JsonShapeError):
//
//   {"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},
//     "scopeMetrics":[{"metrics":[{"name":"http.requests","unit":"1","sum":{"aggregationTemporality":2,
//     "isMonotonic":true,"dataPoints":[{"startTimeUnixNano":"1700000000000000000",
//     "timeUnixNano":"1700000060000000000","asInt":"42","attributes":[]}]}}]}]}]}

import { MAX_VALUE_DEPTH } from './metrics-proto.js';
import { emptyMetric, emptyPoint, type OtlpKind, type OtlpMetric, type OtlpPoint, type OtlpResource } from './model.js';

export class JsonShapeError extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: true });

type Json = Record<string, unknown>;

const KINDS: [string, OtlpKind][] = [
  ['gauge', 'gauge'],
  ['sum', 'sum'],
  ['histogram', 'histogram'],
  ['exponentialHistogram', 'exponential'],
  ['summary', 'summary'],
];

const TEMPORALITIES: Record<string, number> = {
  AGGREGATION_TEMPORALITY_UNSPECIFIED: 0,
  AGGREGATION_TEMPORALITY_DELTA: 1,
  AGGREGATION_TEMPORALITY_CUMULATIVE: 2,
};

/** Pure: the body's UTF-8 bytes → its resources; throws JsonShapeError when they are not one. */
export function decodeMetricsJson(bytes: Uint8Array): OtlpResource[] {
  let text: string;
  let root: unknown;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new JsonShapeError('the body is not UTF-8');
  }
  try {
    root = JSON.parse(text);
  } catch (error) {
    throw new JsonShapeError(`not JSON: ${(error as Error).message}`);
  }
  return list(object(root, 'the body').resourceMetrics, 'resourceMetrics').map(resource);
}

function object(v: unknown, what: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new JsonShapeError(`${what} is not an object`);
  return v as Json;
}

function list(v: unknown, what: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new JsonShapeError(`${what} is not an array`);
  return v;
}

function str(v: unknown, what: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new JsonShapeError(`${what} is not a string`);
  return v;
}

const INTEGER = /^-?[0-9]+$/;

/** A 64-bit integer given as a decimal string or a JSON number, within [min, max]. */
function integer(v: unknown, what: string, signed: boolean): number {
  if (v === undefined || v === null) return 0;
  let big: bigint;
  if (typeof v === 'string' && INTEGER.test(v)) big = BigInt(v);
  else if (typeof v === 'number' && Number.isInteger(v)) big = BigInt(v);
  else throw new JsonShapeError(`${what} is not an integer: ${String(v).slice(0, 32)}`);
  const [min, max] = signed ? [-(2n ** 63n), 2n ** 63n - 1n] : [0n, 2n ** 64n - 1n];
  if (big < min || big > max) throw new JsonShapeError(`${what} ${String(v).slice(0, 32)} is out of its 64-bit range`);
  return Number(big);
}

/** A double: a JSON number or one of protobuf's spellings "NaN", "Infinity", "-Infinity" (or a numeric string). */
function double(v: unknown, what: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  if (v === 'NaN') return Number.NaN;
  if (v === 'Infinity') return Number.POSITIVE_INFINITY;
  if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  throw new JsonShapeError(`${what} is not a number`);
}

function resource(v: unknown): OtlpResource {
  const rm = object(v, 'a resourceMetrics item');
  const attrs: string[] = [];
  if (rm.resource !== undefined && rm.resource !== null) attributes(object(rm.resource, 'resource').attributes, attrs);
  const metrics: OtlpMetric[] = [];
  for (const sm of list(rm.scopeMetrics, 'scopeMetrics')) {
    for (const m of list(object(sm, 'a scopeMetrics item').metrics, 'metrics')) metrics.push(metric(m));
  }
  return { attrs, metrics };
}

function metric(v: unknown): OtlpMetric {
  const o = object(v, 'a metric');
  const m = emptyMetric();
  m.name = str(o.name, 'name');
  m.unit = str(o.unit, 'unit');
  m.description = str(o.description, 'description');
  for (const [key, kind] of KINDS) {
    if (o[key] === undefined || o[key] === null) continue;
    const data = object(o[key], key);
    m.kind = kind;
    const t = data.aggregationTemporality;
    m.temporality =
      typeof t === 'string' && t in TEMPORALITIES
        ? (TEMPORALITIES[t] as number)
        : integer(t, 'aggregationTemporality', true);
    m.monotonic = data.isMonotonic === true;
    m.points = list(data.dataPoints, 'dataPoints').map((p) => point(p, kind));
  }
  return m;
}

function point(v: unknown, kind: OtlpKind): OtlpPoint {
  const o = object(v, 'a data point');
  const p = emptyPoint();
  attributes(o.attributes, p.attrs);
  p.start = integer(o.startTimeUnixNano, 'startTimeUnixNano', false);
  p.time = integer(o.timeUnixNano, 'timeUnixNano', false);
  p.flags = integer(o.flags, 'flags', false);
  if (kind === 'gauge' || kind === 'sum') {
    p.value =
      o.asInt !== undefined && o.asInt !== null ? integer(o.asInt, 'asInt', true) : double(o.asDouble, 'asDouble');
    return p;
  }
  p.count = integer(o.count, 'count', false);
  p.sum = double(o.sum, 'sum');
  p.hasSum = o.sum !== undefined && o.sum !== null;
  if (kind === 'histogram') {
    p.buckets = list(o.bucketCounts, 'bucketCounts').map((c) => integer(c, 'a bucket count', false));
    p.bounds = list(o.explicitBounds, 'explicitBounds').map((b) => double(b, 'a bound'));
  } else if (kind === 'summary') {
    for (const q of list(o.quantileValues, 'quantileValues')) {
      const qv = object(q, 'a quantile value');
      p.quantiles.push(double(qv.quantile, 'quantile'));
      p.values.push(double(qv.value, 'value'));
    }
  } else {
    p.scale = integer(o.scale, 'scale', true);
    p.zeroCount = integer(o.zeroCount, 'zeroCount', false);
    p.zeroThreshold = double(o.zeroThreshold, 'zeroThreshold');
    p.positive = buckets(o.positive, 'positive');
    p.negative = buckets(o.negative, 'negative');
  }
  return p;
}

function buckets(v: unknown, what: string): OtlpPoint['positive'] {
  if (v === undefined || v === null) return { offset: 0, counts: [] };
  const o = object(v, what);
  const counts = list(o.bucketCounts, `${what}.bucketCounts`).map((c) => integer(c, 'a bucket count', false));
  return { offset: integer(o.offset, `${what}.offset`, true), counts };
}

function attributes(v: unknown, out: string[]): void {
  for (const kv of list(v, 'attributes')) {
    const o = object(kv, 'an attribute');
    out.push(str(o.key, 'an attribute key'), anyValue(o.value, 0));
  }
}

/** An AnyValue as label text, as metrics-proto.ts writes it. */
function anyValue(v: unknown, depth: number): string {
  if (depth >= MAX_VALUE_DEPTH) throw new JsonShapeError(`an attribute value nests deeper than ${MAX_VALUE_DEPTH}`);
  if (v === undefined || v === null) return '';
  const o = object(v, 'an attribute value');
  if (o.stringValue !== undefined) return str(o.stringValue, 'stringValue');
  if (o.boolValue !== undefined) return String(o.boolValue === true);
  if (o.intValue !== undefined) return String(integer(o.intValue, 'intValue', true));
  if (o.doubleValue !== undefined) return String(double(o.doubleValue, 'doubleValue'));
  if (o.bytesValue !== undefined) return str(o.bytesValue, 'bytesValue');
  if (o.arrayValue !== undefined) {
    const values = list(object(o.arrayValue, 'arrayValue').values, 'arrayValue.values');
    return JSON.stringify(values.map((x) => anyValue(x, depth + 1)));
  }
  if (o.kvlistValue !== undefined) {
    const entries: [string, string][] = [];
    for (const kv of list(object(o.kvlistValue, 'kvlistValue').values, 'kvlistValue.values')) {
      const e = object(kv, 'a kvlist entry');
      entries.push([str(e.key, 'a kvlist key'), anyValue(e.value, depth + 1)]);
    }
    return JSON.stringify(Object.fromEntries(entries));
  }
  return '';
}
