// A histogram that takes bucket counts already folded by the workers, so merging a chunk
// is one add per bucket instead of one observe() per line. It speaks prom-client's
// metric interface (get/reset), so a Registry exposes it like any built-in histogram.

import type { Registry } from 'prom-client';

interface Series {
  labels: Record<string, string>;
  buckets: number[]; // not cumulative; last is +Inf
  sum: number;
  count: number;
}

export class PrebucketedHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly upperBounds: readonly number[],
    registries: readonly Registry[],
  ) {
    for (const registry of registries) registry.registerMetric(this as never);
  }

  /** Adds per-bucket counts (one per upper bound, then +Inf), a sum and a count. */
  add(labels: Record<L, string>, buckets: readonly number[], sum: number, count: number): void {
    const key = Object.values(labels).join('\u0000');
    let series = this.series.get(key);
    if (!series) {
      series = { labels: { ...labels }, buckets: new Array(this.upperBounds.length + 1).fill(0), sum: 0, count: 0 };
      this.series.set(key, series);
    }
    for (let i = 0; i < series.buckets.length; i++)
      series.buckets[i] = (series.buckets[i] as number) + (buckets[i] ?? 0);
    series.sum += sum;
    series.count += count;
  }

  async get() {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const s of this.series.values()) {
      let cumulative = 0;
      s.buckets.forEach((n, i) => {
        cumulative += n;
        const le = i < this.upperBounds.length ? (this.upperBounds[i] as number) : '+Inf';
        values.push({ labels: { ...s.labels, le }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.series = new Map();
  }
}
