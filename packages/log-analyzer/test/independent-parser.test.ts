// `scan` against an independent parser written from the rules with regular expressions, on a
// large seeded mix of good and awkward lines: counts per (method, status), bytes, lines and
// errors must agree exactly.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, expect, it } from 'vitest';
import { scanFiles } from '../src/scan.js';
import { tempDir } from './helpers.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const QUOTED = String.raw`"((?:[^"\\]|\\.)*)"`;
const COMBINED = new RegExp(
  String.raw`^([^ ]*) ([^ ]*) ([^ ]*) \[(\d\d)/([A-Za-z]{3})/(\d{4}):(\d\d):(\d\d):(\d\d) [+-](\d\d)(\d\d)\] ${QUOTED} (\d{3}) (\d{1,15}|-) ${QUOTED} ${QUOTED}$`,
  's',
);

interface Counts {
  lines: number;
  errors: number;
  requests: Map<string, number>;
  bytes: Map<string, number>;
}

/** The rules of the README, applied to one line's text (latin1, so any byte is one char). */
function independent(text: string, counts: Counts): void {
  for (let line of text.split('\n')) {
    if (line === '' && text.endsWith('\n')) continue; // after the last newline
    counts.lines++;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const m = COMBINED.exec(line);
    const ok = (() => {
      if (!m) return false;
      const [day, year, hour, minute, second, tzh, tzm] = [m[4], m[6], m[7], m[8], m[9], m[10], m[11]].map(Number);
      const month = MONTHS.indexOf(m[5] as string);
      if (year === undefined || day === undefined || hour === undefined || minute === undefined) return false;
      if (second === undefined || tzh === undefined || tzm === undefined) return false;
      const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
      const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month] ?? 0;
      const status = Number(m[13]);
      return (
        month >= 0 &&
        day >= 1 &&
        day <= days &&
        hour <= 23 &&
        minute <= 59 &&
        second <= 60 &&
        tzh <= 14 &&
        tzm <= 59 &&
        status >= 100 &&
        status <= 599
      );
    })();
    if (!ok || !m) {
      counts.errors++;
      continue;
    }
    const token = (m[12] as string).split(' ')[0] as string;
    const key = `${METHODS.includes(token) ? token : 'OTHER'} ${m[13]}`;
    counts.requests.set(key, (counts.requests.get(key) ?? 0) + 1);
    counts.bytes.set(key, (counts.bytes.get(key) ?? 0) + (m[14] === '-' ? 0 : Number(m[14])));
  }
}

function fromExposition(text: string, file: string): Counts {
  const counts: Counts = { lines: 0, errors: 0, requests: new Map(), bytes: new Map() };
  for (const line of text.split('\n')) {
    const m = /^(\w+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries(
      [...(m[2] as string).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]),
    );
    if (labels.file !== file) continue;
    const value = Number(m[3]);
    const key = `${labels.method} ${labels.status}`;
    if (m[1] === 'log_lines_total') counts.lines += value;
    if (m[1] === 'log_errors_total') counts.errors += value;
    if (m[1] === 'http_requests_total' && value > 0) counts.requests.set(key, value);
    if (m[1] === 'http_response_bytes_total' && counts.requests.has(key)) counts.bytes.set(key, value);
  }
  return counts;
}

// Pieces of lines: mostly valid (nine in ten picks), with every awkward case the rules name.
const pick = <T>(good: readonly T[], bad: readonly T[] = []) =>
  bad.length === 0
    ? fc.constantFrom(...good)
    : fc.oneof({ arbitrary: fc.constantFrom(...good), weight: 9 }, { arbitrary: fc.constantFrom(...bad), weight: 1 });
const host = pick(['203.0.113.9', '2001:db8::1', 'fe80::1%eth0', 'www.example.com', '-', '']);
const time = pick(
  ['[10/Oct/2000:13:55:36 -0700]', '[29/Feb/2024:23:59:60 +1400]'],
  [
    '[29/Feb/2023:00:00:00 +0000]',
    '[31/Apr/2000:00:00:00 +0000]',
    '[10/oct/2000:13:55:36 -0700]',
    '[10/Oct/2000:24:00:00 -0700]',
    '[10/Oct/2000:13:55:36 +1500]',
    '[10/Oct/2000:13:55:36]',
  ],
);
const request = pick([
  'GET / HTTP/1.1',
  'POST /api?x=1 HTTP/2.0',
  'get /lower HTTP/1.1',
  'PROPFIND /dav HTTP/1.1',
  '-',
  '\\x16\\x03\\x01',
  'GET /',
  '',
  'GET /a\\"b HTTP/1.1',
  'DELETE /x\\\\ HTTP/1.1',
  ...METHODS.map((m) => `${m} /m HTTP/1.1`),
]);
const status = pick(['200', '200', '304', '404', '500', '503', '100', '599'], ['600', '099', '20', 'abc']);
// Sizes past 2^32; not near 2^53, where a sum of many would stop being exact in a float counter.
const size = pick(['0', '-', '512', '5000000000', '9876543210'], ['1000000000000000', '-5']);
const text = pick(['-', 'Mozilla/5.0 (X11)', 'say \\"hi\\"', 'back\\\\slash', 'caf\u00e9', '\u00ff\u00fe']);
const ending = pick(['\n', '\r\n'], [' \n', '"\n']);
const line = fc
  .tuple(host, time, request, status, size, text, text, ending, fc.nat({ max: 40 }))
  .map(([h, t, r, s, b, ref, ua, end, cut]) => {
    const full = `${h} - - ${t} "${r}" ${s} ${b} "${ref}" "${ua}"`;
    // One line in 40 is cut short somewhere, as a crashed writer leaves it.
    return (cut === 0 ? full.slice(0, full.length >> 1) : full) + end;
  });

const dirs: (() => void)[] = [];
afterAll(() => {
  for (const cleanup of dirs) cleanup();
});

it('scan agrees exactly with an independent parser on 200,000 generated lines', async () => {
  const { dir, cleanup } = tempDir();
  dirs.push(cleanup);
  const lines = fc.sample(line, { numRuns: 200_000, seed: 42 });
  const content = lines.join('');
  const file = join(dir, 'mixed.log');
  writeFileSync(file, Buffer.from(content, 'latin1'));

  const expected: Counts = { lines: 0, errors: 0, requests: new Map(), bytes: new Map() };
  independent(content, expected);
  const observed = fromExposition(
    await scanFiles([file], { format: 'combined', workers: 2, maxLineBytes: 65536 }),
    file,
  );

  expect(expected.lines).toBe(200_000);
  // The mix really is mixed: tens of thousands of each.
  expect(expected.errors).toBeGreaterThan(20_000);
  expect(expected.lines - expected.errors).toBeGreaterThan(50_000);
  expect(observed.lines).toBe(expected.lines);
  expect(observed.errors).toBe(expected.errors);
  expect(Object.fromEntries(observed.requests)).toEqual(Object.fromEntries(expected.requests));
  expect(Object.fromEntries(observed.bytes)).toEqual(Object.fromEntries(expected.bytes));
});
