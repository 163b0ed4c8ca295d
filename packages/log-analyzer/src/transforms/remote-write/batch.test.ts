import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DecodedBatch } from '../../store/push-batch.js';
import type { BatchContext, BatchError } from '../push/batch.js';
import { decodeRemoteWrite, REMOTE_WRITE_SOURCE, seriesOf, valueVerdict } from './batch.js';
import { encodeWriteRequest, type SeriesToSend, snappyCompress } from './encode.js';

const LIMITS = { maxItems: 200_000, maxLabels: 4, maxLabelValueBytes: 16, maxSeriesBytes: 64 };
const CONTEXT: BatchContext = { limits: LIMITS, namespace: '', prefix: '', tenant: null };
const key = (...pairs: [string, string][]) => pairs.map(([k, v]) => `${k}\u0000${v}\u0000`).join('');
const STALE = Buffer.from('020000000000f07f', 'hex').readDoubleLE(0);

function decode(series: SeriesToSend[], context: BatchContext = CONTEXT): DecodedBatch | BatchError {
  return decodeRemoteWrite(snappyCompress(encodeWriteRequest(series)), context);
}
function batch(series: SeriesToSend[], context?: BatchContext): DecodedBatch {
  const decoded = decode(series, context);
  if ('error' in decoded) throw new Error(decoded.error.message);
  return decoded;
}
const one = (labels: [string, string][], value = 1, timestamp = 1000): SeriesToSend => ({
  labels,
  samples: [{ value, timestamp }],
});

describe('seriesOf: a series’ labels → its name, type and key, or why it is refused', () => {
  const table: { name: string; given: string[] | null; context?: Partial<BatchContext>; want: unknown }[] = [
    {
      name: '_total is a counter; __name__ is not a label',
      given: ['__name__', 'http_requests_total', 'code', '200', 'job', 'api'],
      want: { name: 'http_requests_total', type: 'counter', key: key(['code', '200'], ['job', 'api']) },
    },
    {
      name: 'anything else is a gauge, histogram parts too (le kept)',
      given: ['__name__', 'rpc_seconds_bucket', 'le', '0.5'],
      want: { name: 'rpc_seconds_bucket', type: 'gauge', key: key(['le', '0.5']) },
    },
    {
      name: 'summary quantiles are gauges with their quantile label',
      given: ['__name__', 'rpc_seconds', 'quantile', '0.99'],
      want: { name: 'rpc_seconds', type: 'gauge', key: key(['quantile', '0.99']) },
    },
    {
      name: 'unsorted labels are sorted; an empty value is no label',
      given: ['job', 'a', '__name__', 'up', 'env', '', 'az', 'b'],
      want: { name: 'up', type: 'gauge', key: key(['az', 'b'], ['job', 'a']) },
    },
    {
      name: 'namespace and prefix go before the name',
      given: ['__name__', 'up'],
      context: { namespace: 'fwd', prefix: 'p_' },
      want: { name: 'fwd_p_up', type: 'gauge', key: '' },
    },
    {
      name: "a key's tenant labels the series",
      given: ['__name__', 'up'],
      context: { tenant: 'acme' },
      want: { name: 'up', type: 'gauge', key: key(['tenant_id', 'acme']) },
    },
    { name: 'not UTF-8', given: null, want: ['invalid_label', 'a label name or value is not UTF-8 text'] },
    { name: 'no __name__', given: ['job', 'a'], want: ['invalid_name', 'the series has no __name__'] },
    { name: 'an empty __name__', given: ['__name__', ''], want: ['invalid_name', 'the series has no __name__'] },
    {
      name: 'a name Prometheus would not take',
      given: ['__name__', '1up'],
      want: ['invalid_name', 'name "1up" is not a Prometheus metric name'],
    },
    {
      name: 'a duplicate label (sorted)',
      given: ['__name__', 'up', 'job', 'a', 'job', 'b'],
      want: ['invalid_label', 'label "job" is given twice'],
    },
    {
      name: 'a duplicate label (unsorted)',
      given: ['job', 'a', '__name__', 'up', 'job', 'b'],
      want: ['invalid_label', 'label "job" is given twice'],
    },
    {
      name: '__name__ twice',
      given: ['__name__', 'up', '__name__', 'up'],
      want: ['invalid_label', 'label "__name__" is given twice'],
    },
    {
      name: 'a reserved label name',
      given: ['__name__', 'up', '__meta_x', 'a'],
      want: ['invalid_label', 'label name "__meta_x" is reserved (starts with __)'],
    },
    {
      name: 'a bad label name',
      given: ['__name__', 'up', 'a-b', 'a'],
      want: ['invalid_label', 'label name "a-b" is not a Prometheus label name'],
    },
    {
      name: 'NUL in a value',
      given: ['__name__', 'up', 'a', 'x\u0000y'],
      want: ['invalid_label', 'label "a" holds NUL'],
    },
    {
      name: 'a value over the limit',
      given: ['__name__', 'up', 'a', 'x'.repeat(17)],
      want: ['label_too_long', 'label "a" is longer than 16 bytes'],
    },
    {
      name: 'more labels than the limit',
      given: ['__name__', 'up', 'a', '1', 'b', '1', 'c', '1', 'd', '1', 'e', '1'],
      want: ['too_many_labels', '5 labels, more than 4'],
    },
    {
      name: 'a series over the byte limit',
      given: ['__name__', 'up', 'aaaaaaaaaaaaaaaa', 'x'.repeat(16), 'bbbbbbbbbbbbbbbb', 'x'.repeat(16), 'c', 'x'],
      want: ['series_too_large', "the labels' names and values are 66 bytes, more than 64"],
    },
    {
      name: 'another tenant than the key’s',
      given: ['__name__', 'up', 'tenant_id', 'evil'],
      context: { tenant: 'acme' },
      want: ['tenant_not_allowed', 'this key writes as tenant "acme", not "evil"'],
    },
    {
      name: 'a tenant from a key without one',
      given: ['__name__', 'up', 'tenant_id', 'evil'],
      context: { tenant: '' },
      want: ['tenant_not_allowed', 'tenant_id "evil" cannot be set by this writer (a key needs :* to set it)'],
    },
  ];
  for (const { name, given, context, want } of table) {
    it(name, () => {
      expect(seriesOf(given, { ...CONTEXT, ...context })).toEqual(want);
    });
  }
});

describe('valueVerdict', () => {
  const table: { name: string; given: [string, number]; want: unknown }[] = [
    { name: 'a gauge may be negative', given: ['gauge', -3], want: null },
    { name: 'a counter may not', given: ['counter', -1], want: ['negative_counter', 'a counter cannot be -1'] },
    {
      name: 'NaN (not the stale marker)',
      given: ['gauge', Number.NaN],
      want: ['invalid_value', 'value NaN is not a finite number'],
    },
    {
      name: '+Inf',
      given: ['gauge', Number.POSITIVE_INFINITY],
      want: ['invalid_value', 'value Infinity is not a finite number'],
    },
  ];
  for (const { name, given, want } of table) {
    it(name, () => {
      expect(valueVerdict(given[0] as 'gauge', given[1])).toEqual(want);
    });
  }
});

describe('decodeRemoteWrite', () => {
  it('groups samples by series in body order; every group is the remote-write source', () => {
    const b = batch([
      { labels: [['__name__', 'a_total']], samples: [{ value: 1, timestamp: 10 }] },
      one([['__name__', 'g']], 5, 10),
      { labels: [['__name__', 'a_total']], samples: [{ value: 2, timestamp: 20 }] },
    ]);
    expect(b.shape).toBe('remote-write');
    expect(b.families.map((f) => [f.name, f.type])).toEqual([
      ['a_total', 'counter'],
      ['g', 'gauge'],
    ]);
    expect(b.keys).toEqual(['', '']);
    expect(b.sources).toEqual([REMOTE_WRITE_SOURCE, REMOTE_WRITE_SOURCE]);
    expect([...b.start]).toEqual([0, 2, 3]);
    expect([...b.values]).toEqual([1, 2, 5]);
    expect([...b.stamps]).toEqual([10, 20, 10]);
    expect([...b.indexes]).toEqual([0, 2, 1]);
    expect(b.total).toBe(3);
  });

  it('leaves stale markers out (neither applied nor refused); refuses NaN, Inf and negative counters by sample', () => {
    const b = batch([
      {
        labels: [['__name__', 'c_total']],
        samples: [
          { value: 1, timestamp: 1 },
          { value: STALE, timestamp: 2 },
          { value: -1, timestamp: 3 },
          { value: Number.NaN, timestamp: 4 },
          { value: Number.NEGATIVE_INFINITY, timestamp: 5 },
        ],
      },
    ]);
    expect([...b.values]).toEqual([1]);
    expect(b.rejected.map((r) => [r.index, r.reason])).toEqual([
      [2, 'negative_counter'],
      [3, 'invalid_value'],
      [4, 'invalid_value'],
    ]);
  });

  it('refuses every sample of a refused series, and native histograms one by one', () => {
    const b = batch([
      {
        labels: [['job', 'x']],
        samples: [
          { value: 1, timestamp: 1 },
          { value: 2, timestamp: 2 },
        ],
      },
      { labels: [['__name__', 'h']], samples: [], histograms: 2 },
      one([['__name__', 'ok']]),
    ]);
    expect(b.rejected.map((r) => [r.index, r.reason])).toEqual([
      [0, 'invalid_name'],
      [1, 'invalid_name'],
      [3, 'native_histogram'],
      [4, 'native_histogram'],
    ]);
    expect(b.total).toBe(5);
    expect([...b.values]).toEqual([1]);
  });

  it('the same labels give the same key from the cache, whatever the context asked before', () => {
    const labels: [string, string][] = [
      ['__name__', 'up'],
      ['job', 'a'],
    ];
    expect(batch([one(labels)]).keys).toEqual([key(['job', 'a'])]);
    expect(batch([one(labels)], { ...CONTEXT, tenant: 'acme' }).keys).toEqual([
      key(['job', 'a'], ['tenant_id', 'acme']),
    ]);
    expect(batch([one(labels)]).keys).toEqual([key(['job', 'a'])]);
  });

  const refused: { name: string; given: Uint8Array; want: { status: number; reason: string; message: RegExp } }[] = [
    {
      name: 'not snappy',
      given: new TextEncoder().encode('{"metrics":[]}'),
      want: { status: 400, reason: 'invalid_body', message: /^not a snappy block/ },
    },
    {
      name: 'snappy, but not a WriteRequest',
      given: snappyCompress(Uint8Array.of(0x0a, 0x05, 1)),
      want: { status: 400, reason: 'invalid_body', message: /^not a remote-write WriteRequest/ },
    },
    {
      name: 'a decompressed size far beyond the body (a zip bomb)',
      given: Uint8Array.of(0xff, 0xff, 0xff, 0x7f, 0),
      want: { status: 400, reason: 'invalid_body', message: /more than 1024/ },
    },
  ];
  for (const { name, given, want } of refused) {
    it(`refuses the whole body: ${name}`, () => {
      const decoded = decodeRemoteWrite(given, CONTEXT);
      expect('error' in decoded && decoded.error).toMatchObject({ status: want.status, reason: want.reason });
      expect('error' in decoded && decoded.error.message).toMatch(want.message);
    });
  }

  it('a malformed label in a series refuses the whole body (nothing applied)', () => {
    const bad = Uint8Array.of(0x0a, 0x04, 0x0a, 0x02, 0x08, 0x01);
    const decoded = decodeRemoteWrite(snappyCompress(bad), CONTEXT);
    expect('error' in decoded && decoded.error.reason).toBe('invalid_body');
  });

  it('more samples than --push-max-items: 413 too_many_items', () => {
    const decoded = decode([one([['__name__', 'a']]), one([['__name__', 'b']])], {
      ...CONTEXT,
      limits: { ...LIMITS, maxItems: 1 },
    });
    expect('error' in decoded && decoded.error).toMatchObject({ status: 413, reason: 'too_many_items', items: 2 });
  });

  it('100,000 series', () => {
    const series = Array.from({ length: 100_000 }, (_, i) =>
      one(
        [
          ['__name__', 'm'],
          ['i', String(i)],
        ],
        i,
        i,
      ),
    );
    const b = batch(series);
    expect(b.keys.length).toBe(100_000);
    expect(b.values[99_999]).toBe(99_999);
    expect(b.rejected).toEqual([]);
  });
});

describe('decodeRemoteWrite on fuzzed bodies', () => {
  const valid = encodeWriteRequest([
    {
      labels: [
        ['__name__', 'a_total'],
        ['job', 'x'],
      ],
      samples: [{ value: 3, timestamp: 1000 }],
    },
    {
      labels: [
        ['__name__', 'g'],
        ['le', '0.5'],
      ],
      samples: [{ value: -1, timestamp: 2000 }],
      histograms: 1,
    },
  ]);
  /** Never throws; a batch's arrays agree with each other, and every sample is taken or refused once. */
  function holds(body: Uint8Array): void {
    const decoded = decodeRemoteWrite(body, CONTEXT);
    if ('error' in decoded) {
      expect([400, 413]).toContain(decoded.error.status);
      return;
    }
    const n = decoded.values.length;
    expect(decoded.start[decoded.keys.length]).toBe(n);
    expect(decoded.stamps.length).toBe(n);
    expect(new Set([...decoded.indexes, ...decoded.rejected.map((r) => r.index)]).size).toBe(
      n + decoded.rejected.length,
    );
    expect(n + decoded.rejected.length).toBeLessThanOrEqual(decoded.total);
  }

  it('random bytes, compressed or not', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        holds(bytes);
        holds(snappyCompress(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('a valid request with bytes changed, before or after compression', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (changes, afterCompression) => {
          const body = afterCompression ? snappyCompress(valid) : valid.slice();
          for (const [at, byte] of changes) body[at % body.length] = byte;
          holds(afterCompression ? body : snappyCompress(body));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
