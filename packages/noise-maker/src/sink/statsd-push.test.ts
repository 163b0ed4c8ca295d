// Cutting StatsD bodies into packets at line ends (table test).
import { describe, expect, it } from 'vitest';
import { packets } from './statsd-push.js';

describe('packets', () => {
  const cases: { name: string; given: string; max: number; want: string[] }[] = [
    { name: 'empty', given: '', max: 10, want: [] },
    { name: 'fits whole', given: 'a:1|c\nb:2|c\n', max: 100, want: ['a:1|c\nb:2|c\n'] },
    {
      name: 'cut at the last line end that fits',
      given: 'a:1|c\nb:2|c\nc:3|c\n',
      max: 13,
      want: ['a:1|c\nb:2|c\n', 'c:3|c\n'],
    },
    {
      name: 'a line longer than max goes alone',
      given: 'long:12345|c\nb:2|c\n',
      max: 5,
      want: ['long:12345|c\n', 'b:2|c\n'],
    },
  ];
  it.each(cases)('$name', ({ given, max, want }) =>
    expect(packets(Buffer.from(given), max).map((p) => p.toString())).toEqual(want),
  );
});
