import { describe, expect, it } from 'vitest';
import { ARRAY, FALLBACK, NULL, NUMBER, numberAt, OBJECT, plainWord, Scanner, STRING, TRUE } from './fast-json.js';
import { fieldOf, LABELS, METRIC_TYPE, METRICS, SOURCE, TENANT, TIMESTAMP } from './fast-scan.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('numberAt', () => {
  // Exactly JSON.parse's double, -0 included (Object.is).
  const cases = [
    '0',
    '-0',
    '-0.0',
    '7',
    '-12',
    '0.1',
    '0.0732421875',
    '1.5e3',
    '2.5E-3',
    '1e+2',
    '123456789012345',
    '1234567890123456',
    '9007199254740993',
    '0.30000000000000004',
    '1e22',
    '1e23',
    '1e-22',
    '1e-23',
    '5e-324',
    '1e-400',
    '1.7976931348623157e308',
    '1e309',
    '-1e309',
    '1e0005',
    '0e999',
    '123456789012345678901234567890',
    '0.000000000000000000001',
  ];
  for (const text of cases) {
    it(text, () => {
      const b = bytes(` ${text} `);
      expect(Object.is(numberAt(b, 1, b.length - 1), JSON.parse(text))).toBe(true);
    });
  }
  it('agrees with JSON.parse on 20,000 random decimals', () => {
    let seed = 1;
    const random = () => {
      seed = (Math.imul(seed, 48271) >>> 0) % 2147483647;
      return seed / 2147483647;
    };
    for (let n = 0; n < 20_000; n++) {
      const int = String(Math.floor(random() * 10 ** Math.floor(random() * 17)));
      const frac =
        random() < 0.6 ? `.${String(Math.floor(random() * 1e9)).padStart(1 + Math.floor(random() * 9), '0')}` : '';
      const exp = random() < 0.3 ? `e${random() < 0.5 ? '-' : ''}${Math.floor(random() * 30)}` : '';
      const text = `${random() < 0.2 ? '-' : ''}${int}${frac}${exp}`;
      const b = bytes(text);
      expect(Object.is(numberAt(b, 0, b.length), JSON.parse(text)), text).toBe(true);
    }
  });
});

describe('plainWord', () => {
  const word = (codes: number[]) =>
    (codes[0] as number) | ((codes[1] as number) << 8) | ((codes[2] as number) << 16) | ((codes[3] as number) << 24);
  const plain = (c: number) => c >= 0x20 && c < 0x80 && c !== 0x22 && c !== 0x5c;
  it('says a word is plain exactly when each of its bytes is (every byte value, in every place)', () => {
    for (let c = 0; c < 256; c++) {
      for (let place = 0; place < 4; place++) {
        for (const fill of [0x61, 0x20, 0x7f, 0x21, 0x5d]) {
          const codes = [fill, fill, fill, fill];
          codes[place] = c;
          expect(plainWord(word(codes)), `byte ${c} at ${place} among ${fill}`).toBe(codes.every(plain));
        }
      }
    }
  });
});

describe('Scanner', () => {
  const cases: { name: string; given: string; want: number | 'fallback' }[] = [
    { name: 'a plain string', given: '"abc"', want: STRING },
    { name: 'an empty string', given: '""', want: STRING },
    { name: 'a long plain string (word steps)', given: `"${'x'.repeat(37)}"`, want: STRING },
    { name: 'an escape', given: '"a\\"b"', want: 'fallback' },
    { name: 'an escaped unicode', given: '"\\ud800"', want: 'fallback' },
    { name: 'a quote found in a word step', given: '"abcdefg"', want: STRING },
    { name: 'non-ASCII text', given: '"é"', want: 'fallback' },
    { name: 'a raw control byte', given: '"a\tb"', want: 'fallback' },
    { name: 'an unterminated string', given: '"abc', want: 'fallback' },
    { name: 'a number', given: '-1.5e3', want: NUMBER },
    { name: 'a leading zero', given: '01', want: NUMBER }, // the caller sees the 1 left over
    { name: 'a bare minus', given: '-', want: 'fallback' },
    { name: 'a dot without digits', given: '1.', want: 'fallback' },
    { name: 'an exponent without digits', given: '1e', want: 'fallback' },
    { name: 'a plus sign', given: '+1', want: 'fallback' },
    { name: 'true', given: 'true', want: TRUE },
    { name: 'a cut literal', given: 'nul', want: 'fallback' },
    { name: 'null', given: 'null', want: NULL },
    { name: 'an object', given: '{ "a" : [1, {"b":null}] }', want: OBJECT },
    { name: 'a trailing comma', given: '[1,]', want: 'fallback' },
    { name: 'a missing colon', given: '{"a" 1}', want: 'fallback' },
    { name: 'nesting 64 deep', given: `${'['.repeat(64)}${']'.repeat(64)}`, want: ARRAY },
    { name: 'nesting 65 deep', given: `${'['.repeat(65)}${']'.repeat(65)}`, want: 'fallback' },
  ];
  for (const { name, given, want } of cases) {
    it(name, () => {
      const s = new Scanner(bytes(given));
      let got: number | 'fallback';
      try {
        got = s.value(0);
      } catch (error) {
        if (error !== FALLBACK) throw error;
        got = 'fallback';
      }
      expect(got).toBe(want);
    });
  }
});

describe('fieldOf', () => {
  const cases = [
    { name: 'labels', given: ['labels', false], want: LABELS },
    { name: 'metric_type', given: ['metric_type', false], want: METRIC_TYPE },
    { name: 'timestamp and tenant_id share a length and first letter', given: ['timestamp', false], want: TIMESTAMP },
    { name: 'tenant_id', given: ['tenant_id', false], want: TENANT },
    { name: 'metrics in a body', given: ['metrics', true], want: METRICS },
    { name: 'metrics in an item is unknown', given: ['metrics', false], want: -1 },
    { name: 'source in a body', given: ['source', true], want: SOURCE },
    { name: 'a known key with another ending', given: ['labelz', false], want: -1 },
    { name: 'a longer key', given: ['labelsx', false], want: -1 },
    { name: 'another case', given: ['Labels', false], want: -1 },
    { name: 'short', given: ['na', false], want: -1 },
  ] as const;
  for (const { name, given, want } of cases) {
    it(name, () => {
      const b = bytes(given[0]);
      expect(fieldOf(b, 0, b.length, given[1])).toBe(want);
    });
  }
});
