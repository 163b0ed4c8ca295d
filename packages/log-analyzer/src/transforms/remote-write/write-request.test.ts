import { describe, expect, it } from 'vitest';
import { encodeWriteRequest } from './encode.js';
import { decodeLabels, decodeWriteRequest, WireError } from './write-request.js';

/** Protobuf by hand, for bodies no encoder writes. */
const varint = (n: number): number[] => {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
};
const field = (f: number, wire: number) => varint(f * 8 + wire);
const ld = (f: number, body: number[]) => [...field(f, 2), ...varint(body.length), ...body];
const str = (s: string) => [...Buffer.from(s)];
const label = (name: string, value: string) => ld(1, [...ld(1, str(name)), ...ld(2, str(value))]);
const double = (v: number) => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return [...b];
};
const sample = (v: number, t: number) => ld(2, [...field(1, 1), ...double(v), ...field(2, 0), ...varint(t)]);
const bytes = (...parts: number[][]) => Uint8Array.from(parts.flat());

describe('decodeWriteRequest', () => {
  it('reads series, samples and metadata as the encoder wrote them (labels by their byte range)', () => {
    const body = encodeWriteRequest([
      {
        labels: [
          ['__name__', 'up'],
          ['job', 'a'],
        ],
        samples: [{ value: 1, timestamp: 1_700_000_000_000 }],
      },
      {
        labels: [['__name__', 'x_total']],
        samples: [
          { value: 2.5, timestamp: 5 },
          { value: 3, timestamp: 6 },
        ],
      },
    ]);
    const raw = decodeWriteRequest(body);
    expect(raw.samples).toBe(3);
    expect([...raw.values]).toEqual([1, 2.5, 3]);
    expect([...raw.stamps]).toEqual([1_700_000_000_000, 5, 6]);
    expect(raw.series.map((s) => [s.first, s.count, s.scattered])).toEqual([
      [0, 1, false],
      [1, 2, false],
    ]);
    const [a, b] = raw.series;
    expect(decodeLabels(body, a?.labelsFrom ?? 0, a?.labelsTo ?? 0)).toEqual(['__name__', 'up', 'job', 'a']);
    expect(decodeLabels(body, b?.labelsFrom ?? 0, b?.labelsTo ?? 0)).toEqual(['__name__', 'x_total']);
  });

  it('marks exactly the stale marker NaN (0x7ff0000000000002), not other NaNs', () => {
    const stale = [...field(1, 1), 2, 0, 0, 0, 0, 0, 0xf0, 0x7f];
    const body = bytes(
      ld(1, [
        ...label('__name__', 'a'),
        ...ld(2, stale),
        ...sample(Number.NaN, 1),
        ...sample(Number.POSITIVE_INFINITY, 2),
      ]),
    );
    const raw = decodeWriteRequest(body);
    expect([...raw.stale]).toEqual([1, 0, 0]);
    expect(raw.values[1]).toBeNaN();
    expect(raw.values[2]).toBe(Number.POSITIVE_INFINITY);
  });

  it('reads a negative int64 timestamp (ten bytes of two’s complement)', () => {
    const body = encodeWriteRequest([{ labels: [['__name__', 'a']], samples: [{ value: 1, timestamp: -1000 }] }]);
    expect(decodeWriteRequest(body).stamps[0]).toBe(-1000);
  });

  it('skips unknown fields of every wire type, exemplars and nested junk; counts native histograms', () => {
    const junk = [...field(15, 0), ...varint(300), ...field(16, 1), ...double(1), ...field(17, 5), 1, 2, 3, 4];
    const deep = ld(18, ld(1, ld(1, ld(1, [0xff, 0xff, 0xff])))); // never followed: skipped by its length
    const body = bytes(
      junk,
      ld(1, [...label('__name__', 'a'), ...junk, ...ld(3, [1, 2, 3]), ...ld(4, [9, 9]), ...sample(7, 8), ...deep]),
      deep,
      ld(3, [...field(1, 0), 1, ...ld(2, str('a_total')), ...ld(4, str('help')), ...ld(5, str('unit'))]),
    );
    const raw = decodeWriteRequest(body);
    expect(raw.samples).toBe(1);
    expect(raw.series[0]?.histograms).toBe(1);
    expect(raw.series[0]?.scattered).toBe(false);
    expect(raw.metadata).toEqual([{ name: 'a_total', type: 'counter', help: 'help' }]);
  });

  it('labels after a sample: the whole series is their range, and every label is found', () => {
    const body = bytes(ld(1, [...label('__name__', 'a'), ...sample(1, 1), ...label('job', 'j')]));
    const s = decodeWriteRequest(body).series[0];
    expect(s?.scattered).toBe(true);
    expect(decodeLabels(body, s?.labelsFrom ?? 0, s?.labelsTo ?? 0)).toEqual(['__name__', 'a', 'job', 'j']);
  });

  it('a label that is not UTF-8: null labels (refused later), the body still read', () => {
    const body = bytes(ld(1, [...ld(1, [...ld(1, str('job')), ...ld(2, [0xc3, 0x28])]), ...sample(1, 1)]));
    const s = decodeWriteRequest(body).series[0];
    expect(decodeLabels(body, s?.labelsFrom ?? 0, s?.labelsTo ?? 0)).toBeNull();
  });

  it('100,000 series of one sample', () => {
    const series = Array.from({ length: 100_000 }, (_, i) => ({
      labels: [['__name__', 'm'] as const, ['i', String(i)] as const],
      samples: [{ value: i, timestamp: i }],
    }));
    const raw = decodeWriteRequest(encodeWriteRequest(series));
    expect(raw.series.length).toBe(100_000);
    expect(raw.values[99_999]).toBe(99_999);
  });

  const hostile: { name: string; given: Uint8Array; want: RegExp }[] = [
    { name: 'a truncated varint tag', given: bytes([0x8a]), want: /varint runs past/ },
    { name: 'a varint longer than 10 bytes', given: bytes(Array(11).fill(0xff), [1]), want: /longer than 10/ },
    { name: 'a length past the end', given: bytes(field(1, 2), [5], [1, 2]), want: /past the end of its message/ },
    {
      name: 'a huge declared length (2^40)',
      given: bytes(field(1, 2), varint(2 ** 40)),
      want: /declares 1099511627776 bytes/,
    },
    {
      name: 'a nested length past its parent’s end',
      given: bytes(field(1, 2), [3], ld(1, [1, 2, 3, 4])),
      want: /past the end of its message/,
    },
    { name: 'field 0', given: bytes([0x00, 0x00]), want: /field number 0/ },
    { name: 'a group (wire type 3)', given: bytes(field(9, 3)), want: /wire type 3/ },
    { name: 'timeseries as a varint', given: bytes(field(1, 0), [1]), want: /wire type 0, not 2/ },
    { name: 'a sample value as a varint', given: bytes(ld(1, ld(2, [...field(1, 0), 1]))), want: /Sample has wire/ },
    { name: 'a sample value cut short', given: bytes(ld(1, ld(2, [...field(1, 1), 1, 2]))), want: /value runs past/ },
    { name: 'a fixed32 cut short', given: bytes(field(9, 5), [1]), want: /fixed32 field runs past/ },
    { name: 'a fixed64 cut short', given: bytes(field(9, 1), [1]), want: /fixed64 field runs past/ },
    { name: 'labels as a varint', given: bytes(ld(1, [...field(1, 0), 1])), want: /TimeSeries has wire type 0/ },
  ];
  for (const { name, given, want } of hostile) {
    it(`refuses ${name}`, () => {
      expect(() => decodeWriteRequest(given)).toThrow(WireError);
      expect(() => decodeWriteRequest(given)).toThrow(want);
    });
  }

  it('refuses a Label whose name is a varint (when its labels are read)', () => {
    const body = bytes(ld(1, ld(1, [...field(1, 0), 1])));
    const s = decodeWriteRequest(body).series[0];
    expect(() => decodeLabels(body, s?.labelsFrom ?? 0, s?.labelsTo ?? 0)).toThrow(/Label has wire type 0/);
  });
});
