import { describe, expect, it } from 'vitest';
import type { FamilySnapshot, Series } from '../store/store.js';
import { escapeLabel } from './exposition.js';
import { seriesLines } from './series-lines.js';

const family = (spec: Partial<FamilySnapshot>): FamilySnapshot => ({
  name: 'x',
  help: 'X.',
  kind: 'gauge',
  labelNames: [],
  series: [],
  ...spec,
});

describe('seriesLines', () => {
  const table: { name: string; given: { family: FamilySnapshot; series: Series[] }; want: string }[] = [
    {
      name: 'a value without labels',
      given: { family: family({}), series: [{ labels: [], names: [], value: 1.5 }] },
      want: 'x 1.5\n',
    },
    {
      name: 'values with pushed labels (their own names), escaped, UTF-8',
      given: {
        family: family({ name: 'c_total', kind: 'counter' }),
        series: [
          { labels: ['a', 'q"\\\n'], names: ['k', 'z'], value: 3 },
          { labels: ['é€'], names: ['k'], value: 0 },
        ],
      },
      want: 'c_total{k="a",z="q\\"\\\\\\n"} 3\nc_total{k="é€"} 0\n',
    },
    {
      name: "a log family's label names, non-finite values",
      given: {
        family: family({ name: 'g', labelNames: ['file'] }),
        series: [
          { labels: ['a.log'], value: Number.NaN },
          { labels: ['b.log'], value: Number.POSITIVE_INFINITY },
          { labels: ['c.log'], value: Number.NEGATIVE_INFINITY },
        ],
      },
      want: 'g{file="a.log"} NaN\ng{file="b.log"} +Inf\ng{file="c.log"} -Inf\n',
    },
    {
      name: 'a histogram: cumulative buckets, sum and count, with and without labels',
      given: {
        family: family({ name: 'h', kind: 'histogram', bounds: [0.5, 1] }),
        series: [
          { labels: ['1'], names: ['i'], buckets: [1, 0, 2], sum: 4.25, count: 3 },
          { labels: [], names: [], buckets: [0, 1, 0], sum: 1, count: 1 },
        ],
      },
      want: [
        'h_bucket{i="1",le="0.5"} 1',
        'h_bucket{i="1",le="1"} 1',
        'h_bucket{i="1",le="+Inf"} 3',
        'h_sum{i="1"} 4.25',
        'h_count{i="1"} 3',
        'h_bucket{le="0.5"} 0',
        'h_bucket{le="1"} 1',
        'h_bucket{le="+Inf"} 1',
        'h_sum 1',
        'h_count 1',
        '',
      ].join('\n'),
    },
    {
      name: 'a summary: quantiles (NaN when empty), sum and count',
      given: {
        family: family({
          name: 's',
          kind: 'summary',
          targets: [
            { quantile: 0.5, epsilon: 0.05 },
            { quantile: 0.99, epsilon: 0.001 },
          ],
        }),
        series: [
          { labels: ['1'], names: ['i'], sum: 10, count: 2, quantiles: [4, 6] },
          { labels: [], names: [], sum: 0, count: 0, quantiles: [Number.NaN, Number.NaN] },
        ],
      },
      want: [
        's{i="1",quantile="0.5"} 4',
        's{i="1",quantile="0.99"} 6',
        's_sum{i="1"} 10',
        's_count{i="1"} 2',
        's{quantile="0.5"} NaN',
        's{quantile="0.99"} NaN',
        's_sum 0',
        's_count 0',
        '',
      ].join('\n'),
    },
    { name: 'no series', given: { family: family({}), series: [] }, want: '' },
  ];
  for (const { name, given, want } of table) {
    it(name, () => {
      expect(seriesLines(given.family, given.series, escapeLabel).toString()).toBe(want);
      // Again: the label bytes cached the first time give the same lines.
      expect(seriesLines(given.family, given.series, escapeLabel).toString()).toBe(want);
    });
  }

  it('one label array under two families with other label names: each its own names', () => {
    const labels = ['a.log'];
    const one = seriesLines(family({ name: 'r', labelNames: ['file'] }), [{ labels, value: 1 }], escapeLabel);
    const two = seriesLines(family({ name: 'b', labelNames: ['path'] }), [{ labels, value: 2 }], escapeLabel);
    expect([one.toString(), two.toString()]).toEqual(['r{file="a.log"} 1\n', 'b{path="a.log"} 2\n']);
  });

  it('lines longer than the scratch buffer (1 MiB) come out whole', () => {
    const long = 'v'.repeat(1000);
    const series = Array.from({ length: 1100 }, (_, i) => ({ labels: [`${long}${i}`], names: ['k'], value: i }));
    const text = seriesLines(family({}), series, escapeLabel).toString();
    expect(text.split('\n')).toHaveLength(1101);
    expect(text.endsWith(`x{k="${long}1099"} 1099\n`)).toBe(true);
  });
});
