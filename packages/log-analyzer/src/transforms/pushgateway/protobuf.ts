// The delimited protobuf push body (what client_golang's push sends) → the same families as the
// text format. Pure, hand-written for the few messages of io.prometheus.client (metrics.proto):
//
//   Content-Type: application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited
//   body: (varint length, MetricFamily)*
//   MetricFamily { 1 name, 2 help, 3 type, 4 repeated Metric }
//   Metric { 1 LabelPair*, 2 Gauge, 3 Counter, 4 Summary, 5 Untyped, 6 timestamp_ms, 7 Histogram }
// Classic histograms become `_bucket{le}` (with `+Inf` = the count when absent), `_sum`, `_count`;
// summaries `{quantile}`, `_sum`, `_count`. Native histograms and gauge histograms are refused.

import type { FamilyType, ParsedBody, TextFamily, TextSample } from './text-format.js';

/** Pure: whether a Content-Type names the delimited MetricFamily stream (as pushgateway checks it). */
export function isDelimitedProtobuf(type: string | undefined): boolean {
  if (!type) return false;
  const [media = '', ...params] = type.split(';').map((p) => p.trim());
  if (media.toLowerCase() !== 'application/vnd.google.protobuf') return false;
  const map = new Map(params.map((p) => p.split('=').map((x) => x.trim().replace(/^"|"$/g, '')) as [string, string]));
  return map.get('proto') === 'io.prometheus.client.MetricFamily' && map.get('encoding') === 'delimited';
}

class Reader {
  at = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly end = bytes.length,
  ) {}
  varint(): number {
    let result = 0;
    let shift = 1;
    for (let i = 0; i < 10; i++) {
      if (this.at >= this.end) throw new Error('truncated varint');
      const b = this.bytes[this.at++] as number;
      result += (b & 0x7f) * shift;
      if (b < 0x80) return result;
      shift *= 128;
    }
    throw new Error('varint too long');
  }
  double(): number {
    if (this.at + 8 > this.end) throw new Error('truncated double');
    const v = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.at, 8).getFloat64(0, true);
    this.at += 8;
    return v;
  }
  sub(): Reader {
    const n = this.varint();
    if (this.at + n > this.end) throw new Error('truncated message');
    const r = new Reader(this.bytes, this.at + n);
    r.at = this.at;
    this.at += n;
    return r;
  }
  string(): string {
    const r = this.sub();
    return new TextDecoder('utf-8', { fatal: true }).decode(this.bytes.subarray(r.at, r.end));
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.at += 8;
    else if (wire === 2) this.sub();
    else if (wire === 5) this.at += 4;
    else throw new Error(`unsupported wire type ${wire}`);
    if (this.at > this.end) throw new Error('truncated field');
  }
  /** Each field of this message: (field number, wire type). */
  *fields(): Generator<[number, number]> {
    while (this.at < this.end) {
      const tag = this.varint();
      yield [Math.floor(tag / 8), tag & 7];
    }
  }
}

const TYPES: (FamilyType | null)[] = ['counter', 'gauge', 'summary', 'untyped', 'histogram', null];

/** A message whose value is its field 1, a double (Gauge, Counter, Untyped). */
function doubleField(r: Reader): number {
  let value = 0;
  for (const [f, w] of r.fields()) {
    if (f === 1 && w === 1) value = r.double();
    else r.skip(w);
  }
  return value;
}

interface MetricParts {
  labels: [string, string][];
  value: number;
  timestamp: boolean;
  summary?: { count: number; sum: number; quantiles: [number, number][] };
  histogram?: { count: number; sum: number; buckets: [number, number][]; native: boolean };
}

function metricOf(r: Reader): MetricParts {
  const m: MetricParts = { labels: [], value: 0, timestamp: false };
  for (const [f, w] of r.fields()) {
    if (f === 1 && w === 2) {
      const p = r.sub();
      let name = '';
      let value = '';
      for (const [pf, pw] of p.fields()) {
        if (pf === 1 && pw === 2) name = p.string();
        else if (pf === 2 && pw === 2) value = p.string();
        else p.skip(pw);
      }
      m.labels.push([name, value]);
    } else if ((f === 2 || f === 3 || f === 5) && w === 2) m.value = doubleField(r.sub());
    else if (f === 4 && w === 2) m.summary = summaryOf(r.sub());
    else if (f === 6 && w === 0) {
      r.varint();
      m.timestamp = true;
    } else if (f === 7 && w === 2) m.histogram = histogramOf(r.sub());
    else r.skip(w);
  }
  return m;
}

function summaryOf(r: Reader): NonNullable<MetricParts['summary']> {
  const s = { count: 0, sum: 0, quantiles: [] as [number, number][] };
  for (const [f, w] of r.fields()) {
    if (f === 1 && w === 0) s.count = r.varint();
    else if (f === 2 && w === 1) s.sum = r.double();
    else if (f === 3 && w === 2) {
      const q = r.sub();
      let quantile = 0;
      let value = 0;
      for (const [qf, qw] of q.fields()) {
        if (qf === 1 && qw === 1) quantile = q.double();
        else if (qf === 2 && qw === 1) value = q.double();
        else q.skip(qw);
      }
      s.quantiles.push([quantile, value]);
    } else r.skip(w);
  }
  return s;
}

function histogramOf(r: Reader): NonNullable<MetricParts['histogram']> {
  const h = { count: 0, sum: 0, buckets: [] as [number, number][], native: false };
  let countFloat = 0;
  for (const [f, w] of r.fields()) {
    if (f === 1 && w === 0) h.count = r.varint();
    else if (f === 4 && w === 1) countFloat = r.double();
    else if (f === 2 && w === 1) h.sum = r.double();
    else if (f === 3 && w === 2) {
      const b = r.sub();
      let count = 0;
      let bound = 0;
      for (const [bf, bw] of b.fields()) {
        if (bf === 1 && bw === 0) count = b.varint();
        else if (bf === 4 && bw === 1) count = b.double();
        else if (bf === 2 && bw === 1) bound = b.double();
        else b.skip(bw);
      }
      h.buckets.push([bound, count]);
    } else if (f === 9 || f === 12) {
      h.native = true; // spans: a native histogram
      r.skip(w);
    } else r.skip(w);
  }
  if (countFloat > 0) h.count = countFloat;
  return h;
}

const le = (bound: number) => (bound === Number.POSITIVE_INFINITY ? '+Inf' : String(bound));

/** One MetricFamily message → a family of text samples, or why it is refused. */
function familyOf(r: Reader): { family: TextFamily; timestamps: boolean } {
  let name = '';
  let help = '';
  let typeIndex = 0;
  const metrics: MetricParts[] = [];
  for (const [f, w] of r.fields()) {
    if (f === 1 && w === 2) name = r.string();
    else if (f === 2 && w === 2) help = r.string();
    else if (f === 3 && w === 0) typeIndex = r.varint();
    else if (f === 4 && w === 2) metrics.push(metricOf(r.sub()));
    else r.skip(w);
  }
  const type = TYPES[typeIndex];
  if (!type) throw new Error(`metric family ${name}: type ${typeIndex} is not supported (gauge histograms are not)`);
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`invalid metric name "${name}"`);
  const samples: TextSample[] = [];
  let timestamps = false;
  for (const m of metrics) {
    timestamps ||= m.timestamp;
    if (type === 'histogram') {
      const h = m.histogram ?? { count: 0, sum: 0, buckets: [], native: false };
      if (h.native) throw new Error(`metric family ${name}: native histograms are not supported`);
      for (const [bound, count] of h.buckets)
        samples.push({ name: `${name}_bucket`, labels: [...m.labels, ['le', le(bound)]], value: count });
      if (!h.buckets.some(([bound]) => bound === Number.POSITIVE_INFINITY)) {
        samples.push({ name: `${name}_bucket`, labels: [...m.labels, ['le', '+Inf']], value: h.count });
      }
      samples.push(
        { name: `${name}_sum`, labels: m.labels, value: h.sum },
        { name: `${name}_count`, labels: m.labels, value: h.count },
      );
    } else if (type === 'summary') {
      const s = m.summary ?? { count: 0, sum: 0, quantiles: [] };
      for (const [q, v] of s.quantiles)
        samples.push({ name, labels: [...m.labels, ['quantile', String(q)]], value: v });
      samples.push(
        { name: `${name}_sum`, labels: m.labels, value: s.sum },
        { name: `${name}_count`, labels: m.labels, value: s.count },
      );
    } else samples.push({ name, labels: m.labels, value: m.value });
  }
  return { family: { name, help, type, samples }, timestamps };
}

/** Pure: a delimited stream of MetricFamily messages → families (a later family of the same name replaces an earlier one, as pushgateway's map does), or the error. */
export function parseDelimitedProtobuf(bytes: Uint8Array): ParsedBody | { error: string } {
  try {
    const r = new Reader(bytes);
    const byName = new Map<string, TextFamily>();
    let timestamps = false;
    while (r.at < r.end) {
      const parsed = familyOf(r.sub());
      timestamps ||= parsed.timestamps;
      byName.set(parsed.family.name, parsed.family);
    }
    for (const family of byName.values()) {
      for (const s of family.samples) {
        const names = s.labels.map(([k]) => k);
        if (names.some((k) => !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k)))
          throw new Error(`invalid label name in metric family ${family.name}`);
        if (new Set(names).size !== names.length)
          throw new Error(`duplicate label names in metric family ${family.name}`);
      }
    }
    return { families: [...byName.values()].filter((f) => f.samples.length > 0), timestamps };
  } catch (error) {
    return { error: (error as Error).message };
  }
}
