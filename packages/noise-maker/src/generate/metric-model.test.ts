import { describe, expect, it } from 'vitest';
import { MetricModel, type PushShape, Totals } from './metric-model.js';

describe('MetricModel', () => {
  it('is seeded: the same seed gives the same bodies', () => {
    const a = new MetricModel(7, 100);
    const b = new MetricModel(7, 100);
    expect(a.body('batch', 50).body).toBe(b.body('batch', 50).body);
    expect(new MetricModel(8, 100).body('batch', 50).body).not.toBe(new MetricModel(7, 100).body('batch', 50).body);
  });

  const shapes: { shape: PushShape; items: (body: unknown) => unknown[] }[] = [
    { shape: 'batch', items: (b) => (b as { metrics: unknown[] }).metrics },
    { shape: 'track-batch', items: (b) => b as unknown[] },
    { shape: 'queue', items: (b) => b as unknown[] },
    { shape: 'track', items: (b) => [b] },
  ];
  for (const { shape, items } of shapes) {
    it(`${shape}: the body is JSON of that shape and its totals add up from its items`, () => {
      const { body, samples, totals } = new MetricModel(1, 40).body(shape, 200);
      const parsed = items(JSON.parse(body)) as {
        value: number | { value: number };
        type?: string;
        metric_type?: string;
      }[];
      expect(parsed).toHaveLength(samples);
      const value = (i: (typeof parsed)[number]) => (typeof i.value === 'number' ? i.value : i.value.value);
      const counted = [...totals.families.values()].reduce((n, t) => n + t.samples, 0);
      expect(counted).toBe(samples);
      const counters = parsed.filter((i) => (i.type ?? i.metric_type) === 'counter');
      expect(totals.families.get('app_requests_total')?.sum ?? 0).toBe(counters.reduce((n, i) => n + value(i), 0));
      // Exact in binary: every value times 1024 is a whole number.
      for (const i of parsed) expect(Number.isInteger(value(i) * 1024)).toBe(true);
    });
  }

  it('splits series between connections, so each series is sent by one of them', () => {
    const parts = [0, 1, 2].map((part) => new MetricModel(1, 90, part, 3));
    expect(parts.reduce((n, m) => n + m.seriesCount, 0)).toBe(new MetricModel(1, 90).seriesCount);
  });

  it('gauge totals are the sum of each series’ last value, whatever the order of merges', () => {
    const model = new MetricModel(3, 40);
    const all = new Totals();
    const last = new Map<string, number>();
    let samples = 0;
    for (let i = 0; i < 20; i++) {
      const { body, totals } = model.body('batch', 50);
      all.merge(totals);
      for (const m of JSON.parse(body).metrics) {
        if (m.metric_type !== 'gauge') continue;
        last.set(JSON.stringify(m.labels), m.value.value);
        samples++;
      }
    }
    const gauge = all.families.get('app_in_flight_requests');
    expect(gauge).toEqual({ type: 'gauge', samples, sum: [...last.values()].reduce((a, b) => a + b, 0) });
    expect(samples).toBeGreaterThan(50);
  });
});
