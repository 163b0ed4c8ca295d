import { describe, expect, it } from 'vitest';
import { batchLines, OTLP_CONTEXT, otlpSdk } from '../../../test/otlp-sdk.js';
import type { DecodedBatch } from '../../store/push-batch.js';
import type { BatchError } from '../push/batch.js';
import { decodeOtlp, otlpBody, otlpRecord } from './decode.js';

const context = OTLP_CONTEXT;
const lines = (batch: DecodedBatch | BatchError) => batchLines(batch);

// --- protobuf by hand, for hostile bodies ---
const varint = (n: number): number[] => {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
};
const bytesField = (field: number, body: number[]) => [...varint(field * 8 + 2), ...varint(body.length), ...body];
const stringField = (field: number, s: string) => bytesField(field, [...Buffer.from(s)]);
const doubleField = (field: number, v: number) => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return [...varint(field * 8 + 1), ...b];
};
const fixed64Field = (field: number, v: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v);
  return [...varint(field * 8 + 1), ...b];
};
const kvBody = (k: string, v: string) => [...stringField(1, k), ...bytesField(2, stringField(1, v))];
const kv = (k: string, v: string) => bytesField(1, kvBody(k, v));
/** A request of one resource with one metric (its Metric fields given). */
const request = (resourceAttrs: number[], metric: number[]) =>
  Uint8Array.from(bytesField(1, [...bytesField(1, resourceAttrs), ...bytesField(2, bytesField(2, metric))]));
const numberPoint = (value: number, attrs: [string, string][] = [], start = 1n, time = 2_000_000n) => [
  ...fixed64Field(2, start),
  ...fixed64Field(3, time),
  ...doubleField(4, value),
  ...attrs.flatMap(([k, v]) => bytesField(7, kvBody(k, v))),
];
const sum = (temporality: number, monotonic: boolean, points: number[][]) =>
  bytesField(7, [...points.flatMap((p) => bytesField(1, p)), 0x10, temporality, 0x18, monotonic ? 1 : 0]);
const gauge = (points: number[][]) =>
  bytesField(
    5,
    points.flatMap((p) => bytesField(1, p)),
  );
const SERVICE = kv('service.name', 'api');

describe('decodeOtlp: translation', () => {
  const cases: { name: string; given: Uint8Array; want: string[] }[] = [
    {
      name: 'a cumulative monotonic sum: a counter of running totals under its stream (start time)',
      given: request(SERVICE, [
        ...stringField(1, 'http.requests'),
        ...sum(2, true, [numberPoint(5, [['code', '200']])]),
      ]),
      want: ['http_requests_total{code,200,job,api} 5 otlp@T'],
    },
    {
      name: 'a delta monotonic sum: a counter whose values are added',
      given: request(SERVICE, [...stringField(1, 'jobs'), ...stringField(3, 's'), ...sum(1, true, [numberPoint(2)])]),
      want: ['jobs_seconds_total{job,api} 2 otlp'],
    },
    {
      name: 'a cumulative non-monotonic sum: a gauge',
      given: request(SERVICE, [...stringField(1, 'queue.size'), ...sum(2, false, [numberPoint(7)])]),
      want: ['queue_size{job,api} 7 otlp'],
    },
    {
      name: 'a gauge of unit 1: _ratio',
      given: request(SERVICE, [
        ...stringField(1, 'cpu.utilization'),
        ...stringField(3, '1'),
        ...gauge([numberPoint(0.5)]),
      ]),
      want: ['cpu_utilization_ratio{job,api} 0.5 otlp'],
    },
    {
      name: 'other resource attributes on target_info, job and instance on every series',
      given: request(
        [...kv('service.namespace', 'shop'), ...SERVICE, ...kv('service.instance.id', 'i-1'), ...kv('host.name', 'h1')],
        [...stringField(1, 'up.time'), ...gauge([numberPoint(3)])],
      ),
      want: ['target_info{host_name,h1,instance,i-1,job,shop/api} 1 otlp', 'up_time{instance,i-1,job,shop/api} 3 otlp'],
    },
  ];
  it.each(cases)('$name', ({ given, want }) => expect(lines(decodeOtlp(given, 'protobuf', context))).toEqual(want));
});

describe('decodeOtlp: refused points', () => {
  const cases: { name: string; given: Uint8Array; want: string[] }[] = [
    {
      name: 'a delta non-monotonic sum',
      given: request(SERVICE, [...stringField(1, 'x'), ...sum(1, false, [numberPoint(1)])]),
      want: ['invalid_type'],
    },
    {
      name: 'NaN',
      given: request(SERVICE, [...stringField(1, 'x'), ...gauge([numberPoint(Number.NaN)])]),
      want: ['invalid_value'],
    },
    {
      name: 'Infinity',
      given: request(SERVICE, [...stringField(1, 'x'), ...gauge([numberPoint(Number.POSITIVE_INFINITY)])]),
      want: ['invalid_value'],
    },
    {
      name: 'a negative counter',
      given: request(SERVICE, [...stringField(1, 'x'), ...sum(1, true, [numberPoint(-1)])]),
      want: ['negative_counter'],
    },
    {
      name: 'a name of no word',
      given: request(SERVICE, [...stringField(1, '...'), ...gauge([numberPoint(1)])]),
      want: ['invalid_name'],
    },
    {
      name: 'no temporality',
      given: request(SERVICE, [...stringField(1, 'x'), ...sum(0, true, [numberPoint(1)])]),
      want: ['invalid_type'],
    },
  ];
  it.each(cases)('$name', ({ given, want }) => {
    const batch = decodeOtlp(given, 'protobuf', context);
    if ('error' in batch) throw new Error(batch.error.message);
    expect(batch.rejected.map((r) => r.reason)).toEqual(want);
    expect(batch.values.length).toBe(0);
  });

  it('a point with NO_RECORDED_VALUE is neither taken nor refused', () => {
    const point = [...numberPoint(1), 0x40, 1];
    const batch = decodeOtlp(request(SERVICE, [...stringField(1, 'x'), ...gauge([point])]), 'protobuf', context);
    if ('error' in batch) throw new Error(batch.error.message);
    expect([batch.values.length, batch.rejected.length]).toEqual([0, 0]);
  });
});

describe('decodeOtlp: bodies refused whole', () => {
  const good = request(SERVICE, [...stringField(1, 'x'), ...gauge([numberPoint(1)])]);
  let deep: number[] = stringField(1, 'leaf');
  for (let i = 0; i < 40; i++) deep = bytesField(5, bytesField(1, deep));
  const cases: { name: string; given: Uint8Array; encoding: 'protobuf' | 'json'; want: string }[] = [
    { name: 'truncated', given: good.subarray(0, good.length - 3), encoding: 'protobuf', want: 'past the end' },
    {
      name: 'a huge declared length',
      given: Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
      encoding: 'protobuf',
      want: 'declares',
    },
    { name: 'field number 0', given: Uint8Array.from([0x02, 0x00]), encoding: 'protobuf', want: 'field number 0' },
    {
      name: 'a varint of 11 bytes',
      given: Uint8Array.from([0x08, ...new Array(11).fill(0xff)]),
      encoding: 'protobuf',
      want: 'varint',
    },
    {
      name: 'a name that is not UTF-8',
      given: request(SERVICE, [...bytesField(1, [0xc3, 0x28]), ...gauge([numberPoint(1)])]),
      encoding: 'protobuf',
      want: 'UTF-8',
    },
    {
      name: 'an attribute value nested 40 deep',
      given: request(bytesField(1, [...stringField(1, 'k'), ...bytesField(2, deep)]), [
        ...stringField(1, 'x'),
        ...gauge([numberPoint(1)]),
      ]),
      encoding: 'protobuf',
      want: 'deeper',
    },
    { name: 'JSON: not JSON', given: Buffer.from('{"resourceMetrics":'), encoding: 'json', want: 'not JSON' },
    { name: 'JSON: not UTF-8', given: Uint8Array.from([0x7b, 0xff, 0x7d]), encoding: 'json', want: 'UTF-8' },
    {
      name: 'JSON: an int64 string out of range',
      given: Buffer.from(
        JSON.stringify({
          resourceMetrics: [
            { scopeMetrics: [{ metrics: [{ name: 'x', gauge: { dataPoints: [{ asInt: '9223372036854775808' }] } }] }] },
          ],
        }),
      ),
      encoding: 'json',
      want: 'out of its 64-bit range',
    },
    {
      name: 'JSON: a time that is not an integer',
      given: Buffer.from(
        JSON.stringify({
          resourceMetrics: [
            { scopeMetrics: [{ metrics: [{ name: 'x', gauge: { dataPoints: [{ timeUnixNano: '1.5' }] } }] }] },
          ],
        }),
      ),
      encoding: 'json',
      want: 'not an integer',
    },
    {
      name: 'JSON: resourceMetrics not an array',
      given: Buffer.from('{"resourceMetrics":{}}'),
      encoding: 'json',
      want: 'not an array',
    },
  ];
  it.each(cases)('$name', ({ given, encoding, want }) => {
    const batch = decodeOtlp(given, encoding, context);
    expect('error' in batch && batch.error.status).toBe(400);
    expect('error' in batch && batch.error.message).toContain(want);
  });

  it('more samples than a push may hold: 413', () => {
    const batch = decodeOtlp(good, 'protobuf', { ...context, limits: { ...context.limits, maxItems: 0 } });
    expect('error' in batch && batch.error.status).toBe(413);
  });
});

describe('decodeOtlp: JSON', () => {
  it('1e309 is Infinity: the point is refused, the body is not', () => {
    const body =
      '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"x","gauge":{"dataPoints":[{"asDouble":1e309},{"asDouble":2}]}}]}]}]}';
    const batch = decodeOtlp(Buffer.from(body), 'json', context);
    if ('error' in batch) throw new Error(batch.error.message);
    expect(batch.rejected.map((r) => [r.index, r.reason])).toEqual([[0, 'invalid_value']]);
    expect([...batch.values]).toEqual([2]);
  });
});

describe('the real SDK: protobuf and JSON decode to the same batch', () => {
  it.each(['cumulative', 'delta'] as const)('%s', async (temporality) => {
    const sdk = otlpSdk(
      { 'service.name': 'shop', 'service.instance.id': 'i-7', 'deployment.environment': 'test' },
      temporality,
    );
    const meter = sdk.provider.getMeter('test');
    meter.createCounter('orders.placed', { unit: '{order}' }).add(3, { 'payment.method': 'card' });
    meter.createUpDownCounter('carts.open').add(-2);
    meter.createGauge('temperature', { unit: 'Cel' }).record(21.5);
    const { protobuf, json } = await sdk.collect();
    const fromProto = lines(decodeOtlp(protobuf, 'protobuf', context));
    expect(lines(decodeOtlp(json, 'json', context))).toEqual(fromProto);
    const cumulative = temporality === 'cumulative';
    expect(fromProto).toEqual(
      [
        `orders_placed_total{instance,i-7,job,shop,payment_method,card} 3 ${cumulative ? 'otlp@T' : 'otlp'}`,
        'target_info{deployment_environment,test,instance,i-7,job,shop} 1 otlp',
        'temperature_celsius{instance,i-7,job,shop} 21.5 otlp',
        ...(cumulative ? ['carts_open{instance,i-7,job,shop} -2 otlp'] : []),
      ].sort(),
    );
    await sdk.provider.shutdown();
  });
});

describe('the push log record', () => {
  it('keeps the body and its encoding', () => {
    const body = Uint8Array.of(1, 2, 3);
    expect(otlpBody(otlpRecord(body, 'json'))).toEqual({ body, encoding: 'json' });
    expect(otlpBody(otlpRecord(body, 'protobuf'))?.encoding).toBe('protobuf');
    expect(otlpBody(Buffer.from('{"metrics":[]}'))).toBeNull();
  });
});
