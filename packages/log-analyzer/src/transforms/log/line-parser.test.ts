import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { METHODS } from '../../metrics/methods.js';
import { emptyParsedLine, type ParsedLine, parseLine } from './line-parser.js';
import { compileFormat, PRESETS } from './log-format.js';

const enc = new TextEncoder();

function parse(format: string, line: string | Uint8Array): ParsedLine | null {
  const bytes = typeof line === 'string' ? enc.encode(line) : line;
  const out = emptyParsedLine();
  return parseLine(bytes, 0, bytes.length, compileFormat(format), out) ? { ...out } : null;
}

const T = '[10/Oct/2000:13:55:36 -0700]';
const combined = (request: string, status = '200', size = '2326', ua = 'Mozilla/5.0') =>
  `127.0.0.1 - frank ${T} "${request}" ${status} ${size} "http://example.com/" "${ua}"`;

describe('method', () => {
  const cases: { name: string; given: string; want: string }[] = [
    ...METHODS.filter((m) => m !== 'OTHER').map((m) => ({ name: m, given: `${m} / HTTP/1.1`, want: m })),
    { name: 'lower case is not a method', given: 'get / HTTP/1.1', want: 'OTHER' },
    { name: 'unknown verb', given: 'PROPFIND / HTTP/1.1', want: 'OTHER' },
    { name: 'Apache 408 request line', given: '-', want: 'OTHER' },
    { name: 'TLS handshake on the HTTP port', given: '\\x16\\x03\\x01', want: 'OTHER' },
    { name: 'HTTP/0.9 style', given: 'GET /', want: 'GET' },
    { name: 'bare method', given: 'GET', want: 'GET' },
    { name: 'empty request line', given: '', want: 'OTHER' },
    { name: 'prefix of a method', given: 'GE / HTTP/1.1', want: 'OTHER' },
    { name: 'method with a suffix', given: 'GETS / HTTP/1.1', want: 'OTHER' },
  ];
  it.each(cases)('$name', ({ given, want }) => {
    expect(METHODS[parse('combined', combined(given))?.method ?? -1]).toBe(want);
  });

  it('%m gives the method when the format has no %r', () => {
    expect(METHODS[parse('%h %m %>s', '1.2.3.4 DELETE 204')?.method ?? -1]).toBe('DELETE');
  });
});

describe('status', () => {
  const cases = [
    { name: 'lowest', given: '100', want: 100 },
    { name: 'highest', given: '599', want: 599 },
    { name: 'ordinary', given: '404', want: 404 },
    { name: 'below range', given: '099', want: null },
    { name: 'above range', given: '600', want: null },
    { name: 'two digits', given: '20', want: null },
    { name: 'four digits', given: '2000', want: null },
    { name: 'dash', given: '-', want: null },
    { name: 'letters', given: 'abc', want: null },
  ];
  it.each(cases)('$name: $given', ({ given, want }) => {
    expect(parse('combined', combined('GET / HTTP/1.1', given))?.status ?? null).toBe(want);
  });
});

describe('size (%b, %B)', () => {
  const cases = [
    { name: 'dash is zero', format: 'common', given: '-', want: 0 },
    { name: 'zero', format: 'common', given: '0', want: 0 },
    { name: 'above 2^32, kept exactly', format: 'common', given: '5000000000', want: 5_000_000_000 },
    { name: '15 digits, kept exactly', format: 'common', given: '999999999999999', want: 999_999_999_999_999 },
    { name: '16 digits is too many', format: 'common', given: '1000000000000000', want: null },
    { name: 'negative', format: 'common', given: '-5', want: null },
    { name: 'letters', format: 'common', given: '12a', want: null },
    { name: '%B dash is zero too', format: '%h %l %u %t "%r" %>s %B', given: '-', want: 0 },
  ];
  it.each(cases)('$name', ({ format, given, want }) => {
    expect(parse(format, `1.2.3.4 - - ${T} "GET / HTTP/1.1" 200 ${given}`)?.bytes ?? null).toBe(want);
  });
});

describe('duration (%D, %T)', () => {
  it('%D is microseconds', () => {
    expect(parse('combined_duration', `${combined('GET / HTTP/1.1')} 1500000`)?.seconds).toBe(1.5);
  });
  it('%T is seconds and may carry a fraction', () => {
    expect(parse('%h %>s %T', '::1 200 2')?.seconds).toBe(2);
    expect(parse('%h %>s %T', '::1 200 0.25')?.seconds).toBe(0.25);
  });
  it('%{ms}T is milliseconds', () => {
    expect(parse('%h %>s %{ms}T', '::1 200 250')?.seconds).toBe(0.25);
  });
  it('%>s wins over %s and %b over %B, wherever they stand', () => {
    expect(parse('%>s %s %B %b', '200 302 10 20')).toMatchObject({ status: 200, bytes: 20 });
    expect(parse('%s %>s %b %B', '302 200 20 10')).toMatchObject({ status: 200, bytes: 20 });
  });
  it('%D wins over %T when both are logged', () => {
    expect(parse('%>s %T %D', '200 1 250000')?.seconds).toBe(0.25);
  });
  it('no duration directive gives NaN', () => {
    expect(parse('combined', combined('GET / HTTP/1.1'))?.seconds).toBeNaN();
  });
  it('a non-numeric duration is a malformed line', () => {
    expect(parse('combined_duration', `${combined('GET / HTTP/1.1')} -`)).toBeNull();
  });
});

describe('timestamp (%t)', () => {
  const cases = [
    { given: '[10/Oct/2000:13:55:36 -0700]', ok: true },
    { given: '[29/Feb/2024:23:59:59 +0000]', ok: true },
    { given: '[31/Dec/1999:00:00:60 +1400]', ok: true },
    { given: '[29/Feb/2023:00:00:00 +0000]', ok: false },
    { given: '[29/Feb/1900:00:00:00 +0000]', ok: false },
    { given: '[31/Apr/2000:00:00:00 +0000]', ok: false },
    { given: '[00/Jan/2000:00:00:00 +0000]', ok: false },
    { given: '[10/oct/2000:13:55:36 -0700]', ok: false },
    { given: '[10/Oct/2000:24:00:00 -0700]', ok: false },
    { given: '[10/Oct/2000:13:60:00 -0700]', ok: false },
    { given: '[10/Oct/2000:13:55:36 0700]', ok: false },
    { given: '[10/Oct/2000 13:55:36 -0700]', ok: false },
    { given: '10/Oct/2000:13:55:36 -0700', ok: false },
    { given: '[1/Oct/2000:13:55:36 -0700]', ok: false },
    { given: '[2000-10-10T13:55:36Z]', ok: false },
  ];
  it.each(cases)('$given → $ok', ({ given, ok }) => {
    expect(parse('common', `1.2.3.4 - - ${given} "GET / HTTP/1.1" 200 1`) !== null).toBe(ok);
  });
});

describe('line shape', () => {
  it('too few fields', () => {
    expect(parse('combined', `127.0.0.1 - - ${T} "GET / HTTP/1.1" 200 1`)).toBeNull();
  });
  it('too many fields', () => {
    expect(parse('common', `127.0.0.1 - - ${T} "GET / HTTP/1.1" 200 1 extra`)).toBeNull();
  });
  it('an unterminated quoted field', () => {
    expect(parse('combined', `127.0.0.1 - - ${T} "GET / HTTP/1.1" 200 1 "-" "Mozilla`)).toBeNull();
  });
  it('escaped quotes and backslashes inside quotes', () => {
    const line = combined('GET /a\\"b HTTP/1.1', '201', '7', 'say \\"hi\\" \\\\');
    expect(parse('combined', line)).toMatchObject({ method: METHODS.indexOf('GET'), status: 201, bytes: 7 });
  });
  it('a quote escaped at the very end does not close the field', () => {
    expect(parse('combined', `1.2.3.4 - - ${T} "GET / HTTP/1.1" 200 1 "-" "ua\\"`)).toBeNull();
  });
  it('an empty line', () => {
    expect(parse('combined', '')).toBeNull();
  });
  it.each(['2001:db8::1', 'fe80::1%eth0', 'www.example.com', '::1'])('host %s', (host) => {
    expect(parse('common', `${host} - - ${T} "GET / HTTP/1.1" 200 1`)?.status).toBe(200);
  });
  it('bytes that are not UTF-8 do not break a line', () => {
    const head = enc.encode(`1.2.3.4 - - ${T} "GET /`);
    const tail = enc.encode(` HTTP/1.1" 200 9 "-" "`);
    const end = enc.encode('"');
    const bad = new Uint8Array([0xff, 0xfe, 0xc3, 0x28, 0x80]);
    const line = new Uint8Array([...head, ...bad, ...tail, ...bad, ...end]);
    expect(parse('combined', line)).toMatchObject({ status: 200, bytes: 9 });
  });
  it('vhost_combined', () => {
    const line = `www.example.com:443 203.0.113.5 - - ${T} "PUT /x HTTP/2.0" 204 0 "-" "-"`;
    expect(parse('vhost_combined', line)).toMatchObject({ method: METHODS.indexOf('PUT'), status: 204 });
  });
  it('every listed directive compiles and parses', () => {
    // Every directive log-format.ts lists, each with a value Apache would write for it.
    const format =
      '%h %a %A %l %u %t "%r" %m %U %q %H %s %>s %b %B %D %T "%{Referer}i" "%{User-agent}i" "%{X-Forwarded-For}i" %v %V %p ' +
      '%O %I %S %{session}C %{HOME}e %{note}n "%{Content-Type}o" %P %k %X %f %R %L %%';
    const line =
      `1.2.3.4 5.6.7.8 10.0.0.1 - bob ${T} "GET /a?b HTTP/1.1" POST /a ?b HTTP/1.1 200 404 10 20 30 4 "-" "UA" "1.1.1.1, 2.2.2.2" vh vh.example 443 ` +
      '700 350 1050 abc123 /root - "text/html; charset=utf-8" 4242 3 + /var/www/a.html php-script YoBXgQ %';
    expect(parse(format, line)).toEqual({
      method: METHODS.indexOf('POST'),
      status: 404,
      bytes: 10,
      seconds: 30e-6,
      upstream: Number.NaN,
      pathStart: -1,
      pathEnd: -1,
    });
  });
  // Which field a count is taken from when a format has several that could give it.
  const sources: [format: string, line: string, want: Partial<ParsedLine>][] = [
    ['%s %O', '200 700', { bytes: 700 }],
    ['%s %I', '200 350', { bytes: 350 }],
    ['%s %S', '200 1050', { bytes: 1050 }],
    ['%s %O %B', '200 700 20', { bytes: 20 }],
    ['%s %T', '200 2', { seconds: 2 }],
    ['%s %{ms}T', '200 250', { seconds: 0.25 }],
    ['%s %{us}T', '200 250', { seconds: 250e-6 }],
  ];
  it.each(sources)('%s reads %s as %o', (format, line, want) => {
    expect(parse(format, line)).toMatchObject(want);
  });
});

describe('round trip of random printable field values', () => {
  // Apache escapes `"` and `\` inside quoted fields; any other printable byte is written as is.
  const apacheEscape = (s: string) => s.replace(/[\\"]/g, '\\$&');
  const token = fc.stringMatching(/^[!-~]{1,20}$/).filter((s) => !s.includes(' '));
  const printable = fc.string({ unit: fc.constantFrom(...' !"#$%&\'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~'), maxLength: 60 });

  it('combined: method, status and size come back exactly', () => {
    fc.assert(
      fc.property(
        token,
        fc.constantFrom(...METHODS),
        printable,
        fc.integer({ min: 100, max: 599 }),
        fc.nat({ max: Number.MAX_SAFE_INTEGER >= 1e15 ? 999_999_999_999_999 : 0 }),
        printable,
        printable,
        (host, method, path, status, size, referer, ua) => {
          const request = apacheEscape(`${method === 'OTHER' ? 'BREW' : method} ${path} HTTP/1.1`);
          const line = `${host} - - ${T} "${request}" ${status} ${size} "${apacheEscape(referer)}" "${apacheEscape(ua)}"`;
          expect(parse('combined', line)).toEqual({
            method: METHODS.indexOf(method),
            status,
            bytes: size,
            seconds: Number.NaN,
            upstream: Number.NaN,
            pathStart: -1,
            pathEnd: -1,
          });
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('random bytes in a line never throw, and what still parses has a valid status and method', () => {
    // Overwriting a few bytes of a good line keeps many parseable, so both outcomes are exercised.
    const plan = compileFormat(PRESETS.combined);
    const good = enc.encode(combined('GET /index.html HTTP/1.1'));
    let parsed = 0;
    let refused = 0;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        (edits) => {
          const bytes = good.slice();
          for (const [at, byte] of edits) bytes[at] = byte;
          const out = emptyParsedLine();
          let ok = false;
          expect(() => {
            ok = parseLine(bytes, 0, bytes.length, plan, out);
          }).not.toThrow();
          if (!ok) {
            refused++;
            return;
          }
          parsed++;
          expect(out.status).toBeGreaterThanOrEqual(100);
          expect(out.status).toBeLessThanOrEqual(599);
          expect(METHODS[out.method]).toBeDefined();
        },
      ),
      { numRuns: 3000, seed: 11 },
    );
    expect(parsed).toBeGreaterThan(300);
    expect(refused).toBeGreaterThan(300);
  });

  it('a random byte string never throws', () => {
    const plan = compileFormat(PRESETS.combined);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(() => parseLine(bytes, 0, bytes.length, plan, emptyParsedLine())).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });
});
