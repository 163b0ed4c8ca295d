// Property: whatever the interleaving of senders and requests, pushed counters sum exactly,
// histogram buckets, sums and counts are exact, and summary quantiles stay within their epsilon.

import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Analyzer } from '../src/app.js';
import { createAnalyzer } from '../src/app.js';
import { tempDir, testConfig } from './helpers.js';

const KINDS = ['counter', 'histogram', 'summary'] as const;
const BOUNDS = [1, 5, 25];
const EPSILON = 0.02;

interface Item {
  kind: (typeof KINDS)[number];
  series: number;
  /** Quarters are exact in binary: sums do not depend on the order. */
  value: number;
}

const item = fc.record({
  kind: fc.constantFrom(...KINDS),
  series: fc.integer({ min: 0, max: 2 }),
  value: fc.integer({ min: 0, max: 160 }).map((q) => q / 4),
});
const request = fc.array(item, { minLength: 1, maxLength: 30 });
const sender = fc.array(request, { minLength: 1, maxLength: 6 });

let analyzer: Analyzer;
let cleanup: () => void;
beforeAll(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  analyzer = await createAnalyzer(testConfig({ watch: [`${t.dir}/*.log`] }));
});
afterAll(async () => {
  await analyzer.stop();
  cleanup();
});

const body = (run: number, items: Item[]) =>
  JSON.stringify(
    items.map(({ kind, series, value }) => ({
      name: `p${run}_${kind}`,
      type: kind,
      value,
      labels: { s: String(series) },
      ...(kind === 'histogram' ? { buckets: BOUNDS } : {}),
      ...(kind === 'summary' ? { quantiles: [0.5, 0.9], epsilons: [EPSILON, EPSILON] } : {}),
    })),
  );

function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

let run = 0;
it('random interleavings of senders sum exactly', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(sender, { minLength: 1, maxLength: 5 }), async (senders) => {
      run++;
      // Every sender sends its requests in order; the senders run at once and interleave.
      await Promise.all(
        senders.map(async (requests) => {
          for (const items of requests) {
            const res = await analyzer.app.request('/metrics/track/batch', {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: body(run, items),
            });
            expect(res.status).toBe(200);
          }
        }),
      );
      const text = await (await analyzer.app.request('/metrics')).text();
      const all = senders.flat(2);
      for (let series = 0; series < 3; series++) {
        const of = (kind: Item['kind']) =>
          all.filter((i) => i.kind === kind && i.series === series).map((i) => i.value);
        const labels = `s="${series}"`;
        const counter = of('counter');
        expect(value(text, `p${run}_counter_total{${labels}}`)).toBe(counter.reduce((a, b) => a + b, 0));
        const observed = of('histogram');
        for (const le of BOUNDS) {
          expect(value(text, `p${run}_histogram_bucket{${labels},le="${le}"}`)).toBe(
            observed.filter((v) => v <= le).length,
          );
        }
        expect(value(text, `p${run}_histogram_count{${labels}}`)).toBe(observed.length);
        expect(value(text, `p${run}_histogram_sum{${labels}}`)).toBe(observed.reduce((a, b) => a + b, 0));
        const summary = of('summary').sort((a, b) => a - b);
        expect(value(text, `p${run}_summary_count{${labels}}`)).toBe(summary.length);
        for (const q of [0.5, 0.9]) {
          if (summary.length === 0) continue;
          const got = value(text, `p${run}_summary{${labels},quantile="${q}"}`);
          const below = summary.filter((v) => v < got).length;
          const upTo = summary.filter((v) => v <= got).length;
          const n = summary.length;
          expect(upTo).toBeGreaterThanOrEqual(Math.floor((q - EPSILON) * n));
          expect(below).toBeLessThanOrEqual(Math.ceil((q + EPSILON) * n));
        }
      }
    }),
    { numRuns: 40 },
  );
});
