import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFloatGo, parseTextFormat } from './text-format.js';

describe('parseFloatGo', () => {
  const cases = [
    { name: 'integer', given: '42', want: 42 },
    { name: 'exponent', given: '-1.5e-3', want: -0.0015 },
    { name: 'leading dot', given: '.5', want: 0.5 },
    { name: '+Inf', given: '+Inf', want: Number.POSITIVE_INFINITY },
    { name: '-inf lower case', given: '-inf', want: Number.NEGATIVE_INFINITY },
    { name: 'NaN', given: 'NaN', want: Number.NaN },
    { name: 'overflow is refused, as Go reports ErrRange', given: '1e309', want: null },
    { name: 'hex is refused', given: '0x10', want: null },
    { name: 'garbage', given: '12abc', want: null },
    { name: 'empty', given: '', want: null },
  ];
  for (const { name, given, want } of cases) it(name, () => expect(parseFloatGo(given)).toEqual(want));
});

describe('parseTextFormat', () => {
  const cases: { name: string; given: string; want: unknown }[] = [
    {
      name: 'typed counter with help and escapes in label values',
      given: '# HELP a_total Some \\\\ help\\n.\n# TYPE a_total counter\na_total{p="x\\\\y\\"z\\nw"} 3\n',
      want: {
        timestamps: false,
        families: [
          {
            name: 'a_total',
            help: 'Some \\ help\n.',
            type: 'counter',
            samples: [{ name: 'a_total', labels: [['p', 'x\\y"z\nw']], value: 3 }],
          },
        ],
      },
    },
    {
      name: 'missing TYPE is untyped; trailing comma and spaces in braces',
      given: 'x{ a = "1" , } -Inf\n',
      want: {
        timestamps: false,
        families: [
          {
            name: 'x',
            help: '',
            type: 'untyped',
            samples: [{ name: 'x', labels: [['a', '1']], value: Number.NEGATIVE_INFINITY }],
          },
        ],
      },
    },
    {
      name: 'a timestamp is parsed and flagged',
      given: 'x 1 1712345678000\n',
      want: {
        timestamps: true,
        families: [{ name: 'x', help: '', type: 'untyped', samples: [{ name: 'x', labels: [], value: 1 }] }],
      },
    },
    {
      name: 'histogram suffixes belong to the histogram',
      given: '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 3\nh_count 2\n',
      want: {
        timestamps: false,
        families: [
          {
            name: 'h',
            help: '',
            type: 'histogram',
            samples: [
              { name: 'h_bucket', labels: [['le', '1']], value: 1 },
              { name: 'h_bucket', labels: [['le', '+Inf']], value: 2 },
              { name: 'h_sum', labels: [], value: 3 },
              { name: 'h_count', labels: [], value: 2 },
            ],
          },
        ],
      },
    },
    {
      name: 'summary quantiles and suffixes',
      given: '# TYPE s summary\ns{quantile="0.5"} NaN\ns_sum 1\ns_count 0\n',
      want: {
        timestamps: false,
        families: [
          {
            name: 's',
            help: '',
            type: 'summary',
            samples: [
              { name: 's', labels: [['quantile', '0.5']], value: Number.NaN },
              { name: 's_sum', labels: [], value: 1 },
              { name: 's_count', labels: [], value: 0 },
            ],
          },
        ],
      },
    },
    { name: 'empty body: no family', given: '', want: { timestamps: false, families: [] } },
    { name: 'HELP without samples is dropped', given: '# HELP x nothing\n', want: { timestamps: false, families: [] } },
    {
      name: 'overflowing value',
      given: 'x 1e309\n',
      want: { error: 'text format parsing error in line 1: expected float as value, got "1e309"' },
    },
    {
      name: 'duplicate label',
      given: 'x{a="1",a="2"} 1\n',
      want: { error: 'text format parsing error in line 1: duplicate label names for metric "x"' },
    },
    {
      name: 'bad escape',
      given: 'x{a="\\t"} 1\n',
      want: { error: "text format parsing error in line 1: invalid escape sequence '\\t'" },
    },
    {
      name: 'unterminated label value',
      given: 'x{a="1} 1\n',
      want: { error: 'text format parsing error in line 1: unexpected end of label value' },
    },
    {
      name: 'no value',
      given: 'ok 1\nx\n',
      want: { error: 'text format parsing error in line 2: expected float as value, got ""' },
    },
    {
      name: 'second TYPE',
      given: '# TYPE x gauge\n# TYPE x gauge\n',
      want: {
        error:
          'text format parsing error in line 2: second TYPE line for metric name "x", or TYPE reported after samples',
      },
    },
    {
      name: 'TYPE after samples',
      given: 'x 1\n# TYPE x gauge\n',
      want: {
        error:
          'text format parsing error in line 2: second TYPE line for metric name "x", or TYPE reported after samples',
      },
    },
    {
      name: 'unknown type',
      given: '# TYPE x gaugy\n',
      want: { error: 'text format parsing error in line 1: unknown metric type "gaugy"' },
    },
    {
      name: 'bucket without le',
      given: '# TYPE h histogram\nh_bucket 1\n',
      want: { error: `text format parsing error in line 2: expected float as value for 'le' label, got ""` },
    },
    {
      name: 'reserved label',
      given: 'x{__name__="y"} 1\n',
      want: { error: 'text format parsing error in line 1: label name "__name__" is reserved' },
    },
    {
      name: 'text after timestamp',
      given: 'x 1 2 3\n',
      want: { error: 'text format parsing error in line 1: spurious string after timestamp: "3"' },
    },
  ];
  for (const { name, given, want } of cases) it(name, () => expect(parseTextFormat(given)).toEqual(want));

  it('reads a huge line (a 1 MiB label value) whole', () => {
    const value = 'v'.repeat(1 << 20);
    const parsed = parseTextFormat(`x{a="${value}"} 1\n`);
    expect('error' in parsed ? parsed.error : parsed.families[0]?.samples[0]?.labels[0]?.[1].length).toBe(1 << 20);
  });
});

describe('hostile bodies', () => {
  it('never throw: random text, and mutations of a valid body, give families or one error', () => {
    const valid =
      '# HELP a A.\n# TYPE a histogram\na_bucket{le="1",x="y\\"z"} 1\na_bucket{le="+Inf"} 2\na_sum 3\na_count 2\nb{c="d"} NaN 12\n';
    const mutated = fc
      .tuple(fc.nat(valid.length), fc.nat(8), fc.string({ maxLength: 8 }))
      .map(([at, cut, insert]) => valid.slice(0, at) + insert + valid.slice(at + cut));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), mutated), (text) => {
        const parsed = parseTextFormat(text);
        expect('error' in parsed || Array.isArray(parsed.families)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
