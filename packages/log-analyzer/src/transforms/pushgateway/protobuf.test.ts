import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeDelimited, type ProtoFamily } from '../../../test/metric-family-proto.js';
import { isDelimitedProtobuf, parseDelimitedProtobuf } from './protobuf.js';
import { parseTextFormat } from './text-format.js';

describe('isDelimitedProtobuf', () => {
  const cases = [
    {
      name: 'client_golang',
      given: 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited',
      want: true,
    },
    {
      name: 'no encoding',
      given: 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily',
      want: false,
    },
    { name: 'text', given: 'text/plain; version=0.0.4', want: false },
    { name: 'none', given: undefined, want: false },
  ];
  for (const { name, given, want } of cases) it(name, () => expect(isDelimitedProtobuf(given)).toBe(want));
});

const text = (t: string) => {
  const parsed = parseTextFormat(t);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed;
};

describe('parseDelimitedProtobuf', () => {
  const cases: { name: string; given: ProtoFamily[]; want: unknown }[] = [
    {
      name: 'the same families as their text',
      given: [
        { name: 'c_total', help: 'C.', type: 0, metrics: [{ labels: [['a', 'x']], counter: 3 }] },
        { name: 'g', type: 1, metrics: [{ gauge: Number.NaN }] },
        { name: 'u', type: 3, metrics: [{ untyped: -1 }] },
        { name: 'h', type: 4, metrics: [{ histogram: { count: 4, sum: 2.5, buckets: [[0.5, 3]] } }] },
        { name: 's', type: 2, metrics: [{ summary: { count: 2, sum: 40, quantiles: [[0.5, 10]] } }] },
      ],
      want: text(
        '# HELP c_total C.\n# TYPE c_total counter\nc_total{a="x"} 3\n# TYPE g gauge\ng NaN\n# TYPE u untyped\nu -1\n' +
          '# TYPE h histogram\nh_bucket{le="0.5"} 3\nh_bucket{le="+Inf"} 4\nh_sum 2.5\nh_count 4\n' +
          '# TYPE s summary\ns{quantile="0.5"} 10\ns_sum 40\ns_count 2\n',
      ),
    },
    {
      name: 'a timestamp is flagged',
      given: [{ name: 'g', type: 1, metrics: [{ gauge: 1, timestampMs: 5 }] }],
      want: text('# TYPE g gauge\ng 1 5\n'),
    },
    {
      name: 'a native histogram is refused',
      given: [{ name: 'h', type: 4, metrics: [{ histogram: { count: 1, sum: 1, buckets: [], nativeSpan: true } }] }],
      want: { error: 'metric family h: native histograms are not supported' },
    },
    {
      name: 'a gauge histogram is refused',
      given: [{ name: 'h', type: 5, metrics: [] }],
      want: { error: 'metric family h: type 5 is not supported (gauge histograms are not)' },
    },
    {
      name: 'a bad name',
      given: [{ name: '1x', type: 1, metrics: [{ gauge: 1 }] }],
      want: { error: 'invalid metric name "1x"' },
    },
    {
      name: 'a label twice',
      given: [
        {
          name: 'x',
          type: 1,
          metrics: [
            {
              labels: [
                ['a', '1'],
                ['a', '2'],
              ],
              gauge: 1,
            },
          ],
        },
      ],
      want: { error: 'duplicate label names in metric family x' },
    },
    { name: 'empty', given: [], want: { families: [], timestamps: false } },
  ];
  for (const { name, given, want } of cases)
    it(name, () => expect(parseDelimitedProtobuf(encodeDelimited(given))).toEqual(want));

  it('a truncated stream is refused, never thrown', () => {
    const bytes = encodeDelimited([{ name: 'g', type: 1, metrics: [{ gauge: 1 }] }]);
    for (let n = 1; n < bytes.length; n++) expect(parseDelimitedProtobuf(bytes.subarray(0, n))).toHaveProperty('error');
  });
});

it('random and mutated bytes never throw', () => {
  const valid = encodeDelimited([
    { name: 'h', type: 4, metrics: [{ labels: [['a', 'b']], histogram: { count: 4, sum: 2.5, buckets: [[0.5, 3]] } }] },
    { name: 's', type: 2, metrics: [{ summary: { count: 2, sum: 40, quantiles: [[0.5, 10]] } }] },
  ]);
  const mutated = fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })).map(([at, byte]) => {
    const copy = Uint8Array.from(valid);
    copy[at] = byte;
    return copy;
  });
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), mutated), (bytes) => {
      const parsed = parseDelimitedProtobuf(bytes);
      expect('error' in parsed || Array.isArray(parsed.families)).toBe(true);
    }),
    { numRuns: 2000 },
  );
});
