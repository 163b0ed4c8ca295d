import { describe, expect, it } from 'vitest';
import { parsePromText, parseSample, renderScraped, unescapeHelp } from './prom-text.js';

describe('a scraped sample line is checked like pushed text', () => {
  it.each([
    { name: 'plain', given: 'up 1', want: { metric: 'up', labels: [], value: '1' } },
    {
      name: 'escaped label values, unescaped',
      given: 'a{p="x\\"y\\\\z\\n",q="",} 2.5e3 1700000000000',
      want: {
        metric: 'a',
        labels: [
          ['p', 'x"y\\z\n'],
          ['q', ''],
        ],
        value: '2.5e3',
      },
    },
    { name: 'special values', given: 'a -Inf', want: { metric: 'a', labels: [], value: '-Inf' } },
    { name: 'a bad metric name', given: 'a-b 1', want: null },
    { name: 'a bad label name', given: 'a{1x="1"} 1', want: null },
    { name: 'a reserved label name', given: 'a{__name__="b"} 1', want: null },
    { name: 'a duplicate label', given: 'a{x="1",x="2"} 1', want: null },
    { name: 'an unknown escape', given: 'a{x="\\t"} 1', want: null },
    { name: 'an unquoted value', given: 'a{x=1} 1', want: null },
    { name: 'an unterminated value', given: 'a{x="1} 1', want: null },
    { name: 'no value', given: 'a{x="1"}', want: null },
    { name: 'a value that is no number', given: 'a 0x10', want: null },
    { name: 'a timestamp that is no number', given: 'a 1 soon', want: null },
    { name: 'more after the timestamp', given: 'a 1 2 3', want: null },
  ])('$name', ({ given, want }) => {
    expect(parseSample(given)).toEqual(want);
  });
});

describe('HELP text: only \\\\ and \\n are escapes', () => {
  it.each([
    { name: 'plain', given: 'Requests.', want: 'Requests.' },
    { name: 'escapes', given: 'a \\\\ b\\nc', want: 'a \\ b\nc' },
    { name: 'another escape', given: 'a \\x', want: null },
    { name: 'a lone backslash at the end', given: 'a \\', want: null },
  ])('$name', ({ given, want }) => {
    expect(unescapeHelp(given)).toBe(want);
  });
});

describe('families: TYPE from the known set, once, before the samples; bad lines dropped and counted', () => {
  it.each([
    { name: 'a second TYPE', given: '# TYPE a gauge\n# TYPE a counter\na 1', want: { types: ['a gauge'], dropped: 1 } },
    { name: 'TYPE after samples', given: 'a 1\n# TYPE a gauge', want: { types: ['a untyped'], dropped: 1 } },
    { name: 'an unknown TYPE', given: '# TYPE a stateset\na 1', want: { types: ['a untyped'], dropped: 1 } },
    { name: "OpenMetrics' unknown", given: '# TYPE a unknown\na 1', want: { types: ['a untyped'], dropped: 0 } },
    { name: 'a second HELP', given: '# HELP a x\n# HELP a y\na 1', want: { types: ['a untyped'], dropped: 1 } },
    {
      name: 'a histogram bucket without a number in le',
      given: '# TYPE h histogram\nh_bucket{le="x"} 1\nh_bucket{le="+Inf"} 1\nh_count 1',
      want: { types: ['h histogram'], dropped: 1 },
    },
    { name: 'other comments', given: '# just a note\na 1', want: { types: ['a untyped'], dropped: 0 } },
  ])('$name', ({ given, want }) => {
    const { families, dropped } = parsePromText(given, 100);
    expect({ types: families.map((f) => `${f.name} ${f.type}`), dropped }).toEqual(want);
  });
});

it('a family whose name is a sample name of another is left out (no second TYPE block)', () => {
  const conflicts: string[] = [];
  const text = renderScraped(
    new Map([
      ['one', parsePromText('# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1', 100).families],
      ['two', parsePromText('# TYPE h_sum gauge\nh_sum 2', 100).families],
    ]),
    () => false,
    (target, name) => conflicts.push(`${target}/${name}`),
  );
  expect(conflicts).toEqual(['two/h_sum']);
  expect(text.match(/# TYPE/g)).toHaveLength(1);
});
