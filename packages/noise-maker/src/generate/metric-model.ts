// A seeded model of the metrics a fleet of services pushes: request counters, in-flight gauges,
// latency histograms and payload summaries, spread over `series` label sets, and the JSON bodies
// of each push shape. Pure. Values are exact in binary (integers, or multiples of 1/1024 s), so
// sums do not depend on the order they are added in and a test can compare totals exactly.

import { createRandom, logNormal, type Random, Weighted } from './random.js';

export type PushShape = 'batch' | 'track' | 'track-batch' | 'queue';
type Kind = 'counter' | 'gauge' | 'histogram' | 'summary';

interface Family {
  name: string;
  kind: Kind;
  help: string;
  /** Share of the samples. */
  weight: number;
}

const FAMILIES: readonly Family[] = [
  { name: 'app_requests_total', kind: 'counter', help: 'Requests handled.', weight: 50 },
  { name: 'app_in_flight_requests', kind: 'gauge', help: 'Requests being handled now.', weight: 15 },
  { name: 'app_request_duration_seconds', kind: 'histogram', help: 'Time to handle a request.', weight: 25 },
  { name: 'app_payload_bytes', kind: 'summary', help: 'Size of request payloads.', weight: 10 },
];
export const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
export const QUANTILES = [0.5, 0.9, 0.99];
const SERVICES = ['checkout', 'catalog', 'search', 'auth', 'billing', 'shipping', 'reviews', 'cart'];
const ENDPOINTS = ['/', '/items', '/items/:id', '/login', '/orders', '/orders/:id', '/search', '/health'];

interface Series {
  family: Family;
  service: string;
  labels: Record<string, string>;
  /** Pre-rendered JSON of everything but the value, per shape (the hot path only appends numbers). */
  head: Record<PushShape, string>;
  /** The same as bytes, made for a shape the first time it is used. */
  headBytes: Partial<Record<PushShape, Buffer>>;
  /** Its labels as one string, made on first use (a key for running totals). */
  key?: string;
}

/** One counter sample: the series (name, labels, `key` naming the label set) and its increment. */
export interface CounterDraw {
  name: string;
  key: string;
  labels: Record<string, string>;
  value: number;
}

/** What was sent per family: sample count and the sum a scrape would show (gauges: their last values). */
export interface FamilyTotal {
  type: Kind;
  samples: number;
  sum: number;
}

export class Totals {
  readonly families = new Map<string, FamilyTotal>();
  private readonly lastGauge = new Map<Series, number>();

  add(series: Series, value: number): void {
    const { name, kind } = series.family;
    let t = this.families.get(name);
    if (!t) {
      t = { type: kind, samples: 0, sum: 0 };
      this.families.set(name, t);
    }
    t.samples++;
    if (kind === 'gauge') {
      t.sum += value - (this.lastGauge.get(series) ?? 0);
      this.lastGauge.set(series, value);
    } else t.sum += value;
  }

  /** Adds what another tally holds, sent after everything in this one. */
  merge(other: Totals): void {
    for (const [name, t] of other.families) {
      const mine = this.families.get(name);
      if (!mine) this.families.set(name, { type: t.type, samples: t.samples, sum: t.type === 'gauge' ? 0 : t.sum });
      else {
        mine.samples += t.samples;
        if (t.type !== 'gauge') mine.sum += t.sum;
      }
    }
    // Gauges: their last values replace these series' earlier ones.
    for (const [series, value] of other.lastGauge) {
      const t = this.families.get(series.family.name) as FamilyTotal;
      t.sum += value - (this.lastGauge.get(series) ?? 0);
      this.lastGauge.set(series, value);
    }
  }

  toJSON(): Record<string, FamilyTotal> {
    return Object.fromEntries([...this.families].sort(([a], [b]) => (a < b ? -1 : 1)));
  }
}

function heads(family: Family, service: string, labels: Record<string, string>): Record<PushShape, string> {
  const layout =
    family.kind === 'histogram'
      ? `,"buckets":${JSON.stringify(BUCKETS)}`
      : family.kind === 'summary'
        ? `,"quantiles":${JSON.stringify(QUANTILES)}`
        : '';
  const withService = JSON.stringify({ ...labels, service });
  // The batch shape names counters without `_total` as such APIs do; the analyzer adds it back.
  return {
    batch: `{"name":"${family.name}","metric_type":"${family.kind}","help":${JSON.stringify(family.help)},"labels":${withService}${layout},"value":{"timestamp":null,"value":`,
    track: `{"name":"${family.name}","type":"${family.kind}","service":"${service}","labels":${JSON.stringify(labels)}${layout},"value":`,
    'track-batch': `{"name":"${family.name}","type":"${family.kind}","service":"${service}","labels":${JSON.stringify(labels)}${layout},"value":`,
    queue: `{"type":"${family.kind}","name":"${family.name}","labels":${withService}${layout},"value":`,
  };
}

export class MetricModel {
  private readonly random: Random;
  private readonly series: Series[];
  private readonly picker: Weighted<Series>;

  /**
   * `part` of `parts`: this model sends only every parts-th series (one model per connection), so
   * each series' samples go out one request after another and its last gauge value is known.
   */
  constructor(seed: number, seriesCount: number, part = 0, parts = 1) {
    this.random = createRandom(seed + part);
    const totalWeight = FAMILIES.reduce((a, f) => a + f.weight, 0);
    this.series = [];
    let index = 0; // over all connections' series: this one takes every parts-th
    FAMILIES.forEach((family, f) => {
      const n = Math.max(1, Math.round((seriesCount * family.weight) / totalWeight));
      for (let i = 0; i < n; i++) {
        if (index++ % parts !== part) continue;
        const service = SERVICES[i % SERVICES.length] as string;
        const labels: Record<string, string> = {
          endpoint: ENDPOINTS[Math.floor(i / SERVICES.length) % ENDPOINTS.length] as string,
          instance: `i${Math.floor(i / (SERVICES.length * ENDPOINTS.length))}`,
        };
        if (family.kind === 'counter') labels.code = f % 2 === 0 ? '200' : '500';
        this.series.push({ family, service, labels, head: heads(family, service, labels), headBytes: {} });
      }
    });
    // Each family gets its weight, spread evenly over its series.
    const perFamily = new Map<Family, number>();
    for (const s of this.series) perFamily.set(s.family, (perFamily.get(s.family) ?? 0) + 1);
    this.picker = new Weighted(this.series.map((s) => [s, s.family.weight / (perFamily.get(s.family) as number)]));
  }

  get seriesCount(): number {
    return this.series.length;
  }

  private value(kind: Kind): number {
    const r = this.random;
    switch (kind) {
      case 'counter':
        return 1 + r.int(5);
      case 'gauge':
        return r.int(200);
      case 'histogram':
        // Milliseconds-ish latencies, in 1/1024 s steps: exact in binary.
        return Math.round(logNormal(r, 0.08, 0.9) * 1024) / 1024;
      case 'summary':
        return Math.round(logNormal(r, 2000, 1.1));
    }
  }

  /**
   * The body of one push of `n` samples in `shape`, and what it holds. `track` sends one sample
   * per body (n is ignored).
   */
  body(shape: PushShape, n: number): { body: string; samples: number; totals: Totals } {
    const { body, samples, totals } = this.bodyBytes(shape, n);
    return { body: body.toString('utf8'), samples, totals };
  }

  /**
   * body() as bytes, written straight into one buffer: joining a thousand item strings and
   * encoding the result cost 1.7 µs a sample, most of a push run's CPU until its bodies exist.
   */
  bodyBytes(shape: PushShape, n: number): { body: Buffer; samples: number; totals: Totals } {
    const count = shape === 'track' ? 1 : n;
    const totals = new Totals();
    const [open, close] =
      shape === 'batch' ? ['{"metrics":[', '],"source":"noise-maker"}'] : shape === 'track' ? ['', ''] : ['[', ']'];
    const closeItem = shape === 'batch' ? '}}' : '}';
    let out = Buffer.allocUnsafe(count * 256 + 64);
    let pos = out.write(open, 0, 'latin1');
    for (let i = 0; i < count; i++) {
      const s = this.picker.pick(this.random);
      const v = this.value(s.family.kind);
      totals.add(s, v);
      let head = s.headBytes[shape];
      if (!head) {
        head = Buffer.from(s.head[shape]);
        s.headBytes[shape] = head;
      }
      if (pos + head.length + 64 > out.length) {
        const bigger = Buffer.allocUnsafe(out.length * 2 + head.length);
        out.copy(bigger, 0, 0, pos);
        out = bigger;
      }
      if (i > 0) out[pos++] = 0x2c; // ,
      out.set(head, pos);
      pos += head.length;
      pos += out.write(`${v}${closeItem}`, pos, 'latin1');
    }
    const tail = Buffer.from(close, 'latin1');
    if (pos + tail.length > out.length) {
      const bigger = Buffer.allocUnsafe(pos + tail.length);
      out.copy(bigger, 0, 0, pos);
      out = bigger;
    }
    out.set(tail, pos);
    pos += tail.length;
    return { body: out.subarray(0, pos), samples: count, totals };
  }

  /**
   * `n` counter samples (the other families are not drawn), each a series' name, labels (service
   * among them) and increment: what the other push protocols send (protocol-bodies.ts).
   */
  counterDraws(n: number): { draws: CounterDraw[]; totals: Totals } {
    const totals = new Totals();
    const draws: CounterDraw[] = new Array(n);
    for (let i = 0; i < n; i++) {
      let s = this.picker.pick(this.random);
      while (s.family.kind !== 'counter') s = this.picker.pick(this.random);
      const v = this.value('counter');
      totals.add(s, v);
      s.key ??= JSON.stringify({ ...s.labels, service: s.service });
      draws[i] = { name: s.family.name, key: s.key, labels: { ...s.labels, service: s.service }, value: v };
    }
    return { draws, totals };
  }

  /** `n` items of `shape`, each its own JSON text (for the queue: one message each), and what they hold. */
  items(shape: PushShape, n: number): { items: string[]; totals: Totals } {
    const totals = new Totals();
    const items: string[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const s = this.picker.pick(this.random);
      const v = this.value(s.family.kind);
      totals.add(s, v);
      items[i] = `${s.head[shape]}${v}}${shape === 'batch' ? '}' : ''}`;
    }
    return { items, totals };
  }
}
