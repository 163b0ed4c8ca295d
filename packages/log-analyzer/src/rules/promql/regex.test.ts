import { describe, expect, it } from 'vitest';
import { compileLabelRegex } from './regex.js';

// What RE2 (Prometheus) answers for each; refused where JavaScript would answer otherwise.
describe('compileLabelRegex matches as RE2 does, or refuses', () => {
  const cases: { name: string; given: [string, string]; want: boolean | string }[] = [
    { name: 'anchored at both ends', given: ['5', '500'], want: false },
    { name: 'alternation inside the anchors', given: ['GET|POST', 'xPOST'], want: false },
    { name: 'a class', given: ['5..', '503'], want: true },
    { name: 'dot matches a newline', given: ['a.b', 'a\nb'], want: true },
    { name: 'dot matches one code point', given: ['.', '😀'], want: true },
    { name: '(?i)', given: ['(?i)get', 'GET'], want: true },
    { name: 'escaped punctuation', given: ['a\\-b\\.c', 'a-b.c'], want: true },
    { name: '\\s is ASCII space only', given: ['a\\sb', 'a\u00a0b'], want: false },
    { name: '\\s matches a tab', given: ['a\\sb', 'a\tb'], want: true },
    { name: '\\S', given: ['\\S+', 'ab'], want: true },
    { name: '\\x{…}', given: ['\\x{41}', 'A'], want: true },
    { name: 'a named group', given: ['(?P<x>a)b', 'ab'], want: true },
    { name: 'lookahead', given: ['(?=a)a', 'a'], want: 'refused: regex group (?=a is not supported' },
    { name: 'lookbehind', given: ['(?<=a)b', 'b'], want: 'refused: regex group (?<= is not supported' },
    { name: 'back-reference', given: ['(a)\\1', 'aa'], want: 'refused: regex escape \\1 is not supported' },
    { name: 'POSIX class', given: ['[[:digit:]]', '1'], want: 'refused: regex character class [:…:] is not supported' },
    { name: '] first in a class', given: ['[]a]', ']'], want: 'refused: regex class starting with ] is not supported' },
    { name: '\\pL', given: ['\\pL', 'a'], want: 'refused: regex escape \\p is not supported' },
    { name: '\\z', given: ['a\\z', 'a'], want: 'refused: regex escape \\z is not supported' },
    { name: 'other inline flags', given: ['(?m)a', 'a'], want: 'refused: regex group (?m) is not supported' },
    { name: 'a lone brace RE2 reads literally', given: ['a{', 'a{'], want: 'refused' },
  ];
  it.each(cases)('$name', ({ given: [re, value], want }) => {
    const got = compileLabelRegex(re);
    const answer = got.ok ? got.re.test(value) : `refused: ${got.message}`;
    if (want === 'refused') expect(String(answer)).toMatch(/^refused: /);
    else expect(answer).toBe(want);
  });
});
