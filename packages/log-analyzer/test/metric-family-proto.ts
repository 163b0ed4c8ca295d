// Test-only: encodes io.prometheus.client.MetricFamily messages as a delimited stream, as
// client_golang's push sends them (no JS client sends this format), for the decoder's tests and
// for comparing with a real pushgateway given the same bytes.

export interface ProtoMetric {
  labels?: [string, string][];
  gauge?: number;
  counter?: number;
  untyped?: number;
  summary?: { count: number; sum: number; quantiles: [number, number][] };
  histogram?: { count: number; sum: number; buckets: [number, number][]; nativeSpan?: boolean };
  timestampMs?: number;
}

export interface ProtoFamily {
  name: string;
  help?: string;
  /** COUNTER 0, GAUGE 1, SUMMARY 2, UNTYPED 3, HISTOGRAM 4, GAUGE_HISTOGRAM 5. */
  type: number;
  metrics: ProtoMetric[];
}

const varint = (n: number): number[] => {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
};
const tag = (field: number, wire: number) => varint(field * 8 + wire);
const bytesField = (field: number, bytes: number[]) => [...tag(field, 2), ...varint(bytes.length), ...bytes];
const stringField = (field: number, s: string) => bytesField(field, [...Buffer.from(s, 'utf8')]);
const doubleField = (field: number, v: number) => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return [...tag(field, 1), ...b];
};
const varintField = (field: number, v: number) => [...tag(field, 0), ...varint(v)];

function metric(m: ProtoMetric): number[] {
  const out: number[] = [];
  for (const [k, v] of m.labels ?? []) out.push(...bytesField(1, [...stringField(1, k), ...stringField(2, v)]));
  if (m.gauge !== undefined) out.push(...bytesField(2, doubleField(1, m.gauge)));
  if (m.counter !== undefined) out.push(...bytesField(3, doubleField(1, m.counter)));
  if (m.summary) {
    const s = [...varintField(1, m.summary.count), ...doubleField(2, m.summary.sum)];
    for (const [q, v] of m.summary.quantiles) s.push(...bytesField(3, [...doubleField(1, q), ...doubleField(2, v)]));
    out.push(...bytesField(4, s));
  }
  if (m.untyped !== undefined) out.push(...bytesField(5, doubleField(1, m.untyped)));
  if (m.timestampMs !== undefined) out.push(...varintField(6, m.timestampMs));
  if (m.histogram) {
    const h = [...varintField(1, m.histogram.count), ...doubleField(2, m.histogram.sum)];
    for (const [bound, count] of m.histogram.buckets)
      h.push(...bytesField(3, [...varintField(1, count), ...doubleField(2, bound)]));
    if (m.histogram.nativeSpan) h.push(...bytesField(12, [...tag(1, 0), 0, ...varintField(2, 1)]));
    out.push(...bytesField(7, h));
  }
  return out;
}

/** The families as a delimited stream (each message preceded by its varint length). */
export function encodeDelimited(families: ProtoFamily[]): Uint8Array {
  const out: number[] = [];
  for (const f of families) {
    const body = [...stringField(1, f.name), ...(f.help ? stringField(2, f.help) : []), ...varintField(3, f.type)];
    for (const m of f.metrics) body.push(...bytesField(4, metric(m)));
    out.push(...varint(body.length), ...body);
  }
  return Uint8Array.from(out);
}

export const DELIMITED_TYPE =
  'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';
