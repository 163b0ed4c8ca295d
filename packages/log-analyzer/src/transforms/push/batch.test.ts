import { describe, expect, it } from 'vitest';
import { type DecodedBatch, splitKey } from '../../store/push-batch.js';
import { decodeBatch, decodeMessageBatch, exposedName } from './batch.js';

const CONTEXT = {
  limits: { maxItems: 100, maxLabels: 8, maxLabelValueBytes: 64, maxSeriesBytes: 2048 },
  namespace: '',
  prefix: '',
  tenant: null,
};

describe('decodeBatch', () => {
  it('groups samples by family and series, keeping body order within a series', () => {
    const batch = decodeBatch(
      JSON.stringify([
        { name: 'a', type: 'counter', value: 1, labels: { x: '1' } },
        { name: 'g', type: 'gauge', value: 5 },
        { name: 'a', type: 'counter', value: 2, labels: { x: '2' } },
        { name: 'a', type: 'counter', value: 3, labels: { x: '1' } },
        { name: 'h', type: 'histogram', value: 1, buckets: [1, 2] },
        { name: 'h', type: 'histogram', value: 1, buckets: [1, 3] },
        { name: 'bad name', type: 'gauge', value: 1 },
      ]),
      CONTEXT,
    ) as DecodedBatch;
    expect(batch.total).toBe(7);
    expect(batch.rejected.map((r) => r.index)).toEqual([6]);
    expect(batch.families.map((f) => [f.name, f.buckets])).toEqual([
      ['a_total', null],
      ['g', null],
      ['h', [1, 2]],
      ['h', [1, 3]],
    ]);
    expect(batch.keys.map((k) => splitKey(k))).toEqual([
      { names: ['x'], values: ['1'] },
      { names: [], values: [] },
      { names: ['x'], values: ['2'] },
      { names: [], values: [] },
      { names: [], values: [] },
    ]);
    expect([...batch.start]).toEqual([0, 2, 3, 4, 5, 6]);
    expect([...batch.values]).toEqual([1, 3, 5, 2, 1, 1]);
    expect([...batch.indexes]).toEqual([0, 3, 1, 2, 4, 5]);
    expect([...batch.family]).toEqual([0, 1, 0, 2, 3]);
  });

  it('keeps one series of two sources apart (cumulative totals are per source)', () => {
    // A service field is part of the series (issue 28): the same series from two sources is a
    // label service=x sent without the field (source: the body's default) and with it.
    const item = (service?: string) => ({ name: 'c', type: 'counter', value: 1, service, labels: { service: 'x' } });
    const batch = decodeBatch(JSON.stringify([item(), item('x')]), CONTEXT) as DecodedBatch;
    expect(batch.keys).toHaveLength(2);
    expect(batch.keys[0]).toBe(batch.keys[1]);
    expect(batch.sources).toEqual(['unknown', 'x']);
  });

  it('refuses a body that is not UTF-8 (a service of bytes 0xff 0xfe) instead of replacing its bytes', () => {
    const bytes = (service: number[]) =>
      Uint8Array.from([
        ...Buffer.from('{"name":"g","type":"gauge","value":1,"service":"'),
        ...service,
        ...Buffer.from('"}'),
      ]);
    expect(decodeBatch(bytes([0xff, 0xfe]), CONTEXT)).toEqual({
      error: { status: 400, reason: 'invalid_body', message: 'the body is not UTF-8 text', items: 1 },
    });
    const ok = decodeBatch(bytes([...Buffer.from('café')]), CONTEXT) as DecodedBatch;
    expect(ok.keys).toEqual(['service\u0000café\u0000']);
  });

  it('refuses a body that is not JSON, saying where', () => {
    expect(decodeBatch(new TextEncoder().encode('[1,'), CONTEXT)).toEqual({
      error: {
        status: 400,
        reason: 'invalid_json',
        message: expect.stringMatching(/^invalid JSON at position 3 /),
        items: 1,
      },
    });
  });

  it('names: namespace, prefix, and _total for counters', () => {
    const table = [
      { given: ['x', 'counter', '', ''], want: 'x_total' },
      { given: ['x_total', 'counter', '', ''], want: 'x_total' },
      { given: ['x', 'gauge', 'ns', 'p_'], want: 'ns_p_x' },
      { given: ['x', 'counter', 'ns', ''], want: 'ns_x_total' },
    ] as const;
    for (const { given, want } of table) {
      const [name, type, namespace, prefix] = given;
      expect(exposedName({ name, type }, namespace, prefix)).toBe(want);
    }
  });
});

describe('decodeMessageBatch', () => {
  it('decodes each message on its own: one that is not JSON is one rejection, by its index', () => {
    const messages = [
      '{"type":"counter","name":"demo_metric","value":10,"labels":{"source":"demo","category":"example"}}',
      '{"type":"counter","name":"demo_metric"',
      '1,2',
      '{"type":"gauge","name":"g","value":3}',
    ];
    const batch = decodeMessageBatch(messages, CONTEXT);
    expect(batch.shape).toBe('queue');
    expect(batch.total).toBe(4);
    expect(batch.rejected.map((r) => [r.index, r.reason])).toEqual([
      [1, 'invalid_json'],
      [2, 'invalid_json'],
    ]);
    expect(batch.rejected[0]?.message).toMatch(/^invalid JSON at position/);
    expect(batch.families.map((f) => f.name)).toEqual(['demo_metric_total', 'g']);
    expect([...batch.indexes]).toEqual([0, 3]);
  });

  it('takes a batch larger than the push item limit (the queue sets its own batch size)', () => {
    const messages = Array.from({ length: CONTEXT.limits.maxItems + 5 }, () => '{"type":"gauge","name":"g","value":1}');
    expect(decodeMessageBatch(messages, CONTEXT).values.length).toBe(messages.length);
  });
});

describe('decodeMessageBatch answers for each message as the push decoder does', () => {
  const m = (value: string, rest = '"labels":{"a":"1"}') => `{"type":"counter","name":"c","value":${value},${rest}}`;
  const tricky = [
    m('5'),
    m('7'),
    m('0.5e1'),
    m('-1'), // a counter cannot go down
    m('01'), // not JSON
    m('1.'), // not JSON
    m('+1'), // not JSON
    m('1e999'), // JSON, but not finite
    m('3', '"labels":{"a":"1"},"extra":{"value":4}'),
    m('3', '"labels":{"a":"\\"value\\":9"}'),
    `{"type":"gauge","name":"g","value" : 3}`,
    `{"type":"gauge","name":"g","\\u0076alue":3,"x":{"value":3}}`,
    `{"type":"gauge","name":"g","\\u0076alue":3,"x":{"value":4}}`,
    `{"type":"histogram","name":"h","value":0.2,"buckets":[0.1,1]}`,
    `{"type":"histogram","name":"h","value":2,"buckets":[0.1,1]}`,
  ];
  const alone = (message: string) => {
    const batch = decodeBatch(`[${message}]`, CONTEXT);
    if ('error' in batch) return { reason: 'invalid_json' };
    const rejection = batch.rejected[0];
    return rejection ? { reason: rejection.reason } : { value: batch.values[0], key: batch.keys[0] };
  };
  it.each(tricky)('%s', (message) => {
    const batch = decodeMessageBatch([m('2'), message], CONTEXT);
    const rejection = batch.rejected.find((r) => r.index === 1);
    const at = batch.indexes.indexOf(1);
    const group = [...batch.start].findIndex((start, g) => start <= at && at < (batch.start[g + 1] ?? 0));
    const got = rejection ? { reason: rejection.reason } : { value: batch.values[at], key: batch.keys[group] };
    expect(got).toEqual(alone(message));
  });
});
