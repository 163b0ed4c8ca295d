// Broken lines of the kinds real logs contain, each checked against the analyzer's parser so
// that every line we call malformed is one the analyzer counts as an error. Pure.

import type { FormatPlan } from 'log-analyzer/format';
import { emptyParsedLine, parseLine } from 'log-analyzer/line-parser';
import type { Random } from './random.js';

const MALFORMED_KINDS = ['truncated', 'garbage', 'bad_status', 'bad_timestamp', 'overlong'] as const;
type MalformedKind = (typeof MALFORMED_KINDS)[number];

/** Longer than the analyzer's default --max-line-bytes (65536). */
const OVERLONG_BYTES = 70_000;

const encoder = new TextEncoder();
const GARBAGE = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !#$%&()*+,-./:;<=>?@[]^_{|}~';

function isValid(plan: FormatPlan, line: string): boolean {
  const bytes = encoder.encode(line);
  return parseLine(bytes, 0, bytes.length, plan, emptyParsedLine());
}

function breakLine(kind: MalformedKind, good: string, status: string, time: string, random: Random): string {
  switch (kind) {
    case 'truncated':
      return good.slice(0, 1 + random.int(Math.max(1, Math.floor(good.length * 0.6))));
    case 'garbage': {
      let out = '';
      const n = 5 + random.int(80);
      for (let i = 0; i < n; i++) out += GARBAGE[random.int(GARBAGE.length)];
      return out;
    }
    case 'bad_status':
      return good.replace(` ${status} `, ` ${['999', '2OO', '-', '20', '0200'][random.int(5)]} `);
    case 'bad_timestamp':
      return good.replace(
        time,
        ['[32/Foo/2026:25:61:61 +0000]', '[2026-11-22T10:00:00Z]', '[]'][random.int(3)] as string,
      );
    case 'overlong':
      return `${good.slice(0, 60)}${'A'.repeat(OVERLONG_BYTES)}`;
  }
}

/**
 * Turns a good line into a malformed one of a random kind (overlong lines are rarer: they are big).
 * Falls back to garbage when the chosen kind happens to leave a valid line (e.g. a format with no %t).
 */
export function malformedLine(plan: FormatPlan, good: string, status: string, time: string, random: Random): string {
  const kind: MalformedKind = random.next() < 0.05 ? 'overlong' : (MALFORMED_KINDS[random.int(4)] as MalformedKind);
  const line = breakLine(kind, good, status, time, random);
  if (kind === 'overlong' || !isValid(plan, line)) return line;
  for (;;) {
    const garbage = breakLine('garbage', good, status, time, random);
    if (!isValid(plan, garbage)) return garbage;
  }
}
