// The bodies of the push protocols other than the analyzer's JSON: Pushgateway text, OTLP/HTTP
// JSON, remote-write (snappy protobuf) and StatsD lines, for counter samples. Pure. A small
// protobuf writer and a literal-only snappy block are written here (noise-maker does not import
// the analyzer's test encoder): a literal-only block is valid snappy, just not compressed.

import type { CounterDraw } from './metric-model.js';

export const PROTOCOLS = ['json', 'pushgateway', 'otlp', 'remote-write', 'statsd'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** Protocols whose values are running totals: a body must never be sent again, nor out of order. */
export function isCumulative(protocol: Protocol): boolean {
  return protocol === 'pushgateway' || protocol === 'otlp' || protocol === 'remote-write';
}

/** A series' value as the body states it: a running total (cumulative protocols) or an increment. */
export interface Point {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** Prometheus text format, every point a counter (one TYPE line per family, its points together). */
export function pushgatewayText(points: readonly Point[]): string {
  const byName = new Map<string, Point[]>();
  for (const p of points) {
    const list = byName.get(p.name);
    if (list) list.push(p);
    else byName.set(p.name, [p]);
  }
  let out = '';
  for (const [name, list] of byName) {
    out += `# TYPE ${name} counter\n`;
    for (const p of list) {
      const labels = Object.entries(p.labels)
        .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
        .join(',');
      out += `${name}{${labels}} ${p.value}\n`;
    }
  }
  return out;
}

/**
 * OTLP/HTTP JSON: one resource (service.name → job), monotonic cumulative sums whose stream starts
 * at `startNs`; a name without `_total` (the receiver adds it to a monotonic sum).
 */
export function otlpJson(points: readonly Point[], service: string, startNs: bigint, timeNs: bigint): string {
  const byName = new Map<string, Point[]>();
  for (const p of points) {
    const list = byName.get(p.name);
    if (list) list.push(p);
    else byName.set(p.name, [p]);
  }
  const metrics = [...byName].map(([name, list]) => ({
    name: name.replace(/_total$/, ''),
    sum: {
      aggregationTemporality: 2,
      isMonotonic: true,
      dataPoints: list.map((p) => ({
        attributes: Object.entries(p.labels).map(([key, v]) => ({ key, value: { stringValue: v } })),
        startTimeUnixNano: String(startNs),
        timeUnixNano: String(timeNs),
        asInt: String(p.value),
      })),
    },
  }));
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeMetrics: [{ scope: { name: 'noise-maker' }, metrics }],
      },
    ],
  });
}

/** StatsD counter lines, DogStatsD tags (`name:inc|c|#k:v,…`), one per point. */
export function statsdLines(points: readonly Point[]): string {
  let out = '';
  for (const p of points) {
    const tags = Object.entries(p.labels)
      .map(([k, v]) => `${k}:${v}`)
      .join(',');
    out += `${p.name}:${p.value}|c${tags ? `|#${tags}` : ''}\n`;
  }
  return out;
}

/** Appends protobuf fields to a growing byte array (only what WriteRequest needs). */
class ProtoWriter {
  readonly bytes: number[] = [];

  varint(value: number): void {
    let v = value;
    while (v >= 0x80) {
      this.bytes.push((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    this.bytes.push(v);
  }

  /** A length-delimited field. */
  field(field: number, data: readonly number[] | Uint8Array): void {
    this.varint(field * 8 + 2);
    this.varint(data.length);
    for (const b of data) this.bytes.push(b);
  }

  double(field: number, value: number): void {
    this.varint(field * 8 + 1);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, value, true);
    for (const x of b) this.bytes.push(x);
  }
}

const utf8 = new TextEncoder();

/** Remote-write 1.0 WriteRequest bytes: one TimeSeries per point (labels sorted, `__name__` first), one sample each. */
export function writeRequest(points: readonly Point[], timestampMs: number): Uint8Array {
  const request = new ProtoWriter();
  for (const p of points) {
    const series = new ProtoWriter();
    const labels = [['__name__', p.name], ...Object.entries(p.labels).sort(([a], [b]) => (a < b ? -1 : 1))];
    for (const [name, value] of labels) {
      const label = new ProtoWriter();
      label.field(1, utf8.encode(name));
      label.field(2, utf8.encode(value));
      series.field(1, label.bytes);
    }
    const sample = new ProtoWriter();
    sample.double(1, p.value);
    sample.varint(2 * 8); // timestamp, varint
    sample.varint(timestampMs);
    series.field(2, sample.bytes);
    request.field(1, series.bytes);
  }
  return Uint8Array.from(request.bytes);
}

/** A snappy block holding `input` as literals only (valid snappy; no compression). */
export function snappyLiteral(input: Uint8Array): Uint8Array {
  const out: number[] = [];
  let n = input.length;
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  for (let from = 0; from < input.length; from += 65536) {
    const len = Math.min(input.length - from, 65536);
    if (len <= 60) out.push((len - 1) << 2);
    else if (len <= 256) out.push(60 << 2, len - 1);
    else out.push(61 << 2, (len - 1) & 0xff, (len - 1) >>> 8);
    for (let k = from; k < from + len; k++) out.push(input[k] as number);
  }
  return Uint8Array.from(out);
}

/**
 * One connection's bodies in `protocol`, in the order they are sent. Cumulative protocols keep
 * each series' running total and state every series the connection has drawn so far, as an SDK's
 * cumulative export or a scrape does (so a body not sent is made up by the next one, and the last
 * body sent holds the final values); StatsD sends the increments.
 */
export class ProtocolRenderer {
  private readonly running = new Map<string, Point>();
  private sequence = 0;
  private readonly startNs: bigint;
  private readonly startMs: number;

  constructor(
    private readonly protocol: Exclude<Protocol, 'json'>,
    private readonly group: string,
    nowMs: number = Date.now(),
  ) {
    this.startMs = nowMs;
    this.startNs = BigInt(nowMs) * 1_000_000n;
  }

  body(draws: readonly CounterDraw[]): Buffer {
    if (this.protocol === 'statsd') return Buffer.from(statsdLines(draws), 'utf8');
    // Each body gets a later time than the one before (1 ms apart), so no point is out of order.
    const step = ++this.sequence;
    for (const d of draws) {
      const id = `${d.name}${d.key}`;
      let p = this.running.get(id);
      if (!p) {
        p = { name: d.name, labels: d.labels, value: 0 };
        this.running.set(id, p);
      }
      p.value += d.value;
    }
    const points = [...this.running.values()];
    switch (this.protocol) {
      case 'pushgateway':
        return Buffer.from(pushgatewayText(points), 'utf8');
      case 'otlp':
        return Buffer.from(
          otlpJson(points, this.group, this.startNs, this.startNs + BigInt(step) * 1_000_000n),
          'utf8',
        );
      case 'remote-write':
        return Buffer.from(snappyLiteral(writeRequest(points, this.startMs + step)));
    }
  }
}
