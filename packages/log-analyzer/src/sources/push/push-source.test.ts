import { describe, expect, it } from 'vitest';
import { restorePushPosition } from './push-source.js';

describe('restorePushPosition', () => {
  it.each([
    { name: 'what the push source writes', given: { applied: 42 }, want: { applied: 42 } },
    { name: 'nothing applied yet', given: { applied: 0 }, want: { applied: 0 } },
    { name: 'none saved (a first start)', given: undefined, want: null },
    { name: 'null', given: null, want: null },
    { name: 'not an object', given: 42, want: null },
    { name: 'no applied', given: {}, want: null },
    { name: 'applied as text', given: { applied: '42' }, want: null },
    { name: 'applied not a number at all', given: { applied: 'x' }, want: null },
    { name: 'applied negative', given: { applied: -1 }, want: null },
    { name: 'applied fractional', given: { applied: 0.5 }, want: null },
    { name: 'applied past what a double counts exactly', given: { applied: 2 ** 53 }, want: null },
  ])('$name', ({ given, want }) => {
    expect(restorePushPosition(given, 0)).toEqual(want);
  });
});
