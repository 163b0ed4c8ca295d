import { describe, expect, it } from 'vitest';
import { batchLines, OTLP_CONTEXT, otlpSdk } from '../../../test/otlp-sdk.js';
import type { DecodedBatch } from '../../store/push-batch.js';
import type { BatchError } from '../push/batch.js';
import { decodeOtlp } from './decode.js';
import { histogramParts, MAX_BUCKETS, type Part, summaryParts } from './distributions.js';
import { emptyPoint, type OtlpPoint } from './model.js';

const point = (fields: Partial<OtlpPoint>): OtlpPoint => ({ ...emptyPoint(), hasSum: true, ...fields });
const text = (parts: Part[] | [string, string]): string[] =>
  typeof parts[0] === 'string'
    ? [parts[0] as string]
    : (parts as Part[]).map((p) => `${p.suffix}${p.label ? `{${p.label[0]}=${p.label[1]}}` : ''} ${p.value}`);

describe('histogramParts', () => {
  const cases: { name: string; given: Partial<OtlpPoint>; want: string[] }[] = [
    {
      name: 'per-bucket counts become cumulative le buckets, +Inf the count',
      given: { count: 6, sum: 7.5, buckets: [1, 2, 3], bounds: [0.5, 2] },
      want: ['_bucket{le=0.5} 1', '_bucket{le=2} 3', '_bucket{le=+Inf} 6', '_sum 7.5', '_count 6'],
    },
    {
      name: 'no sum sent: no _sum series',
      given: { count: 1, buckets: [1, 0], bounds: [1], hasSum: false },
      want: ['_bucket{le=1} 1', '_bucket{le=+Inf} 1', '_count 1'],
    },
    {
      name: 'no buckets: +Inf, sum and count',
      given: { count: 2, sum: 1 },
      want: ['_bucket{le=+Inf} 2', '_sum 1', '_count 2'],
    },
    {
      name: 'bucket counts not bounds + 1',
      given: { count: 3, sum: 1, buckets: [1, 2], bounds: [1, 2] },
      want: ['invalid_value'],
    },
    { name: 'bounds without buckets', given: { count: 0, bounds: [1] }, want: ['invalid_value'] },
    {
      name: 'bucket counts not adding up to count',
      given: { count: 9, sum: 1, buckets: [1, 2], bounds: [1] },
      want: ['invalid_value'],
    },
    { name: 'a NaN sum', given: { count: 1, sum: Number.NaN, buckets: [1] }, want: ['invalid_value'] },
    { name: 'a negative sum', given: { count: 1, sum: -2, buckets: [1] }, want: ['invalid_value'] },
    { name: 'an infinite sum', given: { count: 1, sum: Number.POSITIVE_INFINITY }, want: ['invalid_value'] },
    {
      name: 'huge bucket counts (beyond 2^53, not exact)',
      given: { count: 2 ** 60, sum: 1, buckets: [2 ** 60, 0], bounds: [1] },
      want: ['invalid_value'],
    },
    {
      name: 'buckets adding up beyond 2^53',
      given: { count: 2 ** 53 - 1, sum: 1, buckets: [2 ** 52, 2 ** 52, 0], bounds: [1, 2] },
      want: ['invalid_value'],
    },
    {
      name: 'bounds not increasing',
      given: { count: 3, sum: 1, buckets: [1, 1, 1], bounds: [2, 2] },
      want: ['invalid_value'],
    },
    {
      name: 'a NaN bound',
      given: { count: 2, sum: 1, buckets: [1, 1], bounds: [Number.NaN] },
      want: ['invalid_value'],
    },
    {
      name: `more than ${MAX_BUCKETS} bounds`,
      given: {
        count: 0,
        buckets: new Array(MAX_BUCKETS + 2).fill(0),
        bounds: Array.from({ length: MAX_BUCKETS + 1 }, (_, i) => i),
      },
      want: ['invalid_value'],
    },
  ];
  it.each(cases)('$name', ({ given, want }) => expect(text(histogramParts(point(given)))).toEqual(want));
});

describe('summaryParts', () => {
  const cases: { name: string; given: Partial<OtlpPoint>; want: string[] }[] = [
    {
      name: 'quantiles as gauges, sum and count',
      given: { count: 4, sum: 10, quantiles: [0.5, 0.99], values: [2, 4] },
      want: ['{quantile=0.5} 2', '{quantile=0.99} 4', '_sum 10', '_count 4'],
    },
    { name: 'a quantile above 1', given: { quantiles: [1.5], values: [1] }, want: ['invalid_value'] },
    { name: 'a NaN quantile', given: { quantiles: [Number.NaN], values: [1] }, want: ['invalid_value'] },
    { name: 'a quantile twice', given: { quantiles: [0.5, 0.5], values: [1, 2] }, want: ['invalid_value'] },
    { name: 'a NaN value', given: { quantiles: [0.5], values: [Number.NaN] }, want: ['invalid_value'] },
    { name: 'a negative sum', given: { sum: -1 }, want: ['invalid_value'] },
  ];
  it.each(cases)('$name', ({ given, want }) => expect(text(summaryParts(point(given)))).toEqual(want));
});

const context = OTLP_CONTEXT;
const lines = (batch: DecodedBatch | BatchError) => batchLines(batch, true);

const json = (metrics: unknown[]) =>
  Buffer.from(
    JSON.stringify({
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'api' } }] },
          scopeMetrics: [{ metrics }],
        },
      ],
    }),
  );

describe('decodeOtlp: histograms and summaries', () => {
  const cases: { name: string; given: unknown[]; want: string[]; rejected: string[]; maxLabels?: number }[] = [
    {
      name: 'a delta histogram: counters added, named with its unit',
      given: [
        {
          name: 'http.duration',
          unit: 's',
          histogram: {
            aggregationTemporality: 1,
            dataPoints: [{ count: '3', sum: 0.7, bucketCounts: ['1', '2'], explicitBounds: [0.1] }],
          },
        },
      ],
      want: [
        'http_duration_seconds_bucket{job,api,le,+Inf} 3 counter otlp',
        'http_duration_seconds_bucket{job,api,le,0.1} 1 counter otlp',
        'http_duration_seconds_count{job,api} 3 counter otlp',
        'http_duration_seconds_sum{job,api} 0.7 counter otlp',
      ],
      rejected: [],
    },
    {
      name: 'a cumulative histogram without sum: a stream, no _sum',
      given: [
        { name: 'h', histogram: { aggregationTemporality: 2, dataPoints: [{ startTimeUnixNano: '5', count: '2' }] } },
      ],
      want: ['h_bucket{job,api,le,+Inf} 2 counter otlp@T', 'h_count{job,api} 2 counter otlp@T'],
      rejected: [],
    },
    {
      name: 'a cumulative summary: a stream; quantiles gauges',
      given: [
        {
          name: 'rpc.latency',
          summary: {
            dataPoints: [{ startTimeUnixNano: '5', count: '2', sum: 3, quantileValues: [{ quantile: 0.5, value: 1 }] }],
          },
        },
      ],
      want: [
        'rpc_latency_count{job,api} 2 counter otlp@T',
        'rpc_latency_sum{job,api} 3 counter otlp@T',
        'rpc_latency{job,api,quantile,0.5} 1 gauge otlp',
      ],
      rejected: [],
    },
    {
      name: 'a histogram of no temporality, an exponential histogram, a bad point beside a good one',
      given: [
        { name: 'a', histogram: { dataPoints: [{ count: '1', sum: 1 }] } },
        { name: 'b', exponentialHistogram: { aggregationTemporality: 2, dataPoints: [{ count: '1', sum: 1 }] } },
        {
          name: 'c',
          histogram: {
            aggregationTemporality: 1,
            dataPoints: [
              { count: '1', sum: 1, bucketCounts: ['1'], explicitBounds: [1] },
              { count: '1', sum: 1, bucketCounts: ['1', '0'], explicitBounds: [1] },
            ],
          },
        },
      ],
      want: [
        'c_bucket{job,api,le,+Inf} 1 counter otlp',
        'c_bucket{job,api,le,1} 1 counter otlp',
        'c_count{job,api} 1 counter otlp',
        'c_sum{job,api} 1 counter otlp',
      ],
      rejected: ['0 invalid_type', '1 invalid_type', '2 invalid_value'],
    },
    {
      name: 'a bucket count of 2^64-1 and an exponential histogram of scale 1000: refused per point, not the body',
      given: [
        {
          name: 'e',
          histogram: {
            aggregationTemporality: 1,
            dataPoints: [
              {
                count: '18446744073709551615',
                sum: 1,
                bucketCounts: ['18446744073709551615', '0'],
                explicitBounds: [1],
              },
            ],
          },
        },
        { name: 'f', exponentialHistogram: { aggregationTemporality: 1, dataPoints: [{ scale: 1000, count: '1' }] } },
      ],
      want: [],
      rejected: ['0 invalid_value', '1 invalid_type'],
    },
    {
      name: 'a point whose buckets (one label more) are refused by the label checks is refused whole',
      maxLabels: 2,
      given: [
        {
          name: 'd',
          histogram: {
            aggregationTemporality: 1,
            dataPoints: [{ count: '1', sum: 1, attributes: [{ key: 'x', value: { stringValue: 'y' } }] }],
          },
        },
      ],
      want: [],
      rejected: ['0 too_many_labels'],
    },
  ];
  it.each(cases)('$name', ({ given, want, rejected, maxLabels }) => {
    const limits = { ...context.limits, maxLabels: maxLabels ?? context.limits.maxLabels };
    const batch = decodeOtlp(json(given), 'json', { ...context, limits });
    expect(lines(batch)).toEqual(want);
    if ('error' in batch) return;
    expect(batch.rejected.map((r) => `${r.index} ${r.reason}`)).toEqual(rejected);
  });
});

describe('the real SDK: a histogram in protobuf and JSON', () => {
  it.each(['cumulative', 'delta'] as const)('%s', async (temporality) => {
    const sdk = otlpSdk({ 'service.name': 'shop' }, temporality);
    const h = sdk.provider.getMeter('test').createHistogram('checkout.time', { unit: 'ms' });
    for (const v of [3, 7, 700]) h.record(v);
    const { protobuf, json: body } = await sdk.collect();
    const fromProto = lines(decodeOtlp(protobuf, 'protobuf', context));
    expect(lines(decodeOtlp(body, 'json', context))).toEqual(fromProto);
    const source = temporality === 'cumulative' ? 'otlp@T' : 'otlp';
    const bucket = (le: string, n: number) =>
      `checkout_time_milliseconds_bucket{job,shop,le,${le}} ${n} counter ${source}`;
    expect(fromProto).toEqual(
      expect.arrayContaining([
        bucket('0', 0),
        bucket('5', 1),
        bucket('10', 2),
        bucket('500', 2),
        bucket('750', 3),
        bucket('+Inf', 3),
        `checkout_time_milliseconds_sum{job,shop} 710 counter ${source}`,
        `checkout_time_milliseconds_count{job,shop} 3 counter ${source}`,
      ]),
    );
    expect(fromProto.filter((l) => l.includes('_bucket'))).toHaveLength(16);
    await sdk.provider.shutdown();
  });
});
