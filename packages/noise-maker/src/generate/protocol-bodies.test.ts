// Each protocol's encoder on small points (table tests), and the renderer's running totals.
import { describe, expect, it } from 'vitest';
import type { CounterDraw } from './metric-model.js';
import {
  otlpJson,
  type Point,
  ProtocolRenderer,
  pushgatewayText,
  snappyLiteral,
  statsdLines,
  writeRequest,
} from './protocol-bodies.js';

const a: Point = { name: 'app_requests_total', labels: { code: '200', service: 'cart' }, value: 3 };
const b: Point = { name: 'app_requests_total', labels: { code: '500', service: 'a"b\\c' }, value: 7 };

describe('pushgatewayText', () => {
  const cases: { name: string; given: Point[]; want: string }[] = [
    { name: 'nothing', given: [], want: '' },
    {
      name: 'one TYPE line per family; label values escaped',
      given: [a, b],
      want:
        '# TYPE app_requests_total counter\n' +
        'app_requests_total{code="200",service="cart"} 3\n' +
        'app_requests_total{code="500",service="a\\"b\\\\c"} 7\n',
    },
  ];
  it.each(cases)('$name', ({ given, want }) => expect(pushgatewayText(given)).toBe(want));
});

describe('statsdLines', () => {
  const cases: { name: string; given: Point[]; want: string }[] = [
    { name: 'DogStatsD tags', given: [a], want: 'app_requests_total:3|c|#code:200,service:cart\n' },
    { name: 'no labels: no tags', given: [{ name: 'x', labels: {}, value: 1 }], want: 'x:1|c\n' },
  ];
  it.each(cases)('$name', ({ given, want }) => expect(statsdLines(given)).toBe(want));
});

describe('otlpJson', () => {
  it('a monotonic cumulative sum named without _total, ints as strings, service.name on the resource', () => {
    expect(JSON.parse(otlpJson([a], 'noise-maker', 1000n, 2000n))).toEqual({
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'noise-maker' } }] },
          scopeMetrics: [
            {
              scope: { name: 'noise-maker' },
              metrics: [
                {
                  name: 'app_requests',
                  sum: {
                    aggregationTemporality: 2,
                    isMonotonic: true,
                    dataPoints: [
                      {
                        attributes: [
                          { key: 'code', value: { stringValue: '200' } },
                          { key: 'service', value: { stringValue: 'cart' } },
                        ],
                        startTimeUnixNano: '1000',
                        timeUnixNano: '2000',
                        asInt: '3',
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    });
  });
});

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('writeRequest', () => {
  const cases: { name: string; given: Point[]; want: string }[] = [
    { name: 'nothing', given: [], want: '' },
    {
      name: '__name__ first, then the labels sorted; one sample of a double and a varint time',
      given: [{ name: 'a_total', labels: { x: 'y' }, value: 1 }],
      want:
        '0a2a' + // timeseries, 42 bytes
        '0a13' +
        '0a085f5f6e616d655f5f' +
        '1207615f746f74616c' + // label __name__=a_total
        '0a06' +
        '0a0178' +
        '120179' + // label x=y
        '120b' +
        '09000000000000f03f' +
        '1005', // sample 1 @ 5 ms
    },
  ];
  it.each(cases)('$name', ({ given, want }) => expect(hex(writeRequest(given, 5))).toBe(want));
});

describe('snappyLiteral', () => {
  const cases: { name: string; given: number; want: string }[] = [
    { name: 'empty', given: 0, want: '00' },
    { name: 'short literal: length in the tag', given: 3, want: '03' + '08' + '616161' },
    { name: '61-256 bytes: one length byte', given: 100, want: `64f063${'61'.repeat(100)}` },
    { name: '257-65536 bytes: two length bytes', given: 300, want: `ac02f42b01${'61'.repeat(300)}` },
  ];
  it.each(cases)('$name', ({ given, want }) => expect(hex(snappyLiteral(Buffer.alloc(given, 'a')))).toBe(want));
});

describe('ProtocolRenderer', () => {
  const draw = (code: string, value: number): CounterDraw => ({
    name: 'c_total',
    key: code,
    labels: { code },
    value,
  });
  const cases: { name: string; protocol: 'pushgateway' | 'statsd'; given: CounterDraw[][]; want: string[] }[] = [
    {
      name: 'cumulative: running totals of every series drawn so far',
      protocol: 'pushgateway',
      given: [[draw('1', 2), draw('1', 3)], [draw('2', 4)], [draw('1', 1)]],
      want: [
        '# TYPE c_total counter\nc_total{code="1"} 5\n',
        '# TYPE c_total counter\nc_total{code="1"} 5\nc_total{code="2"} 4\n',
        '# TYPE c_total counter\nc_total{code="1"} 6\nc_total{code="2"} 4\n',
      ],
    },
    {
      name: 'statsd: the increments',
      protocol: 'statsd',
      given: [[draw('1', 2)], [draw('1', 3)]],
      want: ['c_total:2|c|#code:1\n', 'c_total:3|c|#code:1\n'],
    },
  ];
  it.each(cases)('$name', ({ protocol, given, want }) => {
    const renderer = new ProtocolRenderer(protocol, 'noise-maker', 0);
    expect(given.map((draws) => renderer.body(draws).toString('utf8'))).toEqual(want);
  });

  it('remote-write and OTLP: each body a later time than the one before', () => {
    const otlp = new ProtocolRenderer('otlp', 'noise-maker', 1000);
    const times = [1, 2].map(
      () =>
        JSON.parse(otlp.body([draw('1', 1)]).toString('utf8')).resourceMetrics[0].scopeMetrics[0].metrics[0].sum
          .dataPoints[0].timeUnixNano,
    );
    expect(times).toEqual(['1001000000', '1002000000']);
    const rw = new ProtocolRenderer('remote-write', 'noise-maker', 1000);
    const first = rw.body([draw('1', 1)]);
    // snappy length varint + literal tag, then the WriteRequest whose last varint is the time.
    expect(first.subarray(-2).toString('hex')).toBe(hex(Uint8Array.of(0xe9, 0x07)));
  });
});
