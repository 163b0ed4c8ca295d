import { describe, expect, it } from 'vitest';
import { pollDue, pollEveryMs } from './poll-schedule.js';

describe('pollEveryMs', () => {
  it.each([
    { name: 'written in the last 10 s', given: { base: 250, quiet: 9_999, events: true }, want: 250 },
    { name: 'quiet for 10 s', given: { base: 250, quiet: 10_000, events: true }, want: 5_000 },
    { name: 'quiet for a minute', given: { base: 250, quiet: 60_000, events: true }, want: 30_000 },
    {
      name: 'a base interval longer than the backoff',
      given: { base: 40_000, quiet: 60_000, events: true },
      want: 40_000,
    },
    { name: '--poll: never backs off', given: { base: 250, quiet: 3_600_000, events: false }, want: 250 },
  ])('$name → $want ms', ({ given, want }) => {
    expect(pollEveryMs(given.base, given.quiet, given.events)).toBe(want);
  });
});

describe('pollDue', () => {
  it.each([
    { name: 'a full period since the last check', given: { now: 10_250, last: 10_000, every: 250 }, want: true },
    { name: 'the timer fired a ms early', given: { now: 10_249, last: 10_000, every: 250 }, want: true },
    { name: 'two ms early: the next tick', given: { now: 10_248, last: 10_000, every: 250 }, want: false },
    { name: 'quiet file, backed off: not yet', given: { now: 14_000, last: 10_000, every: 5_000 }, want: false },
    { name: 'never checked', given: { now: 1_764_000_000_000, last: 0, every: 30_000 }, want: true },
    { name: 'long past due', given: { now: 100_000, last: 10_000, every: 30_000 }, want: true },
  ])('$name → $want', ({ given, want }) => {
    expect(pollDue(given.now, given.last, given.every)).toBe(want);
  });
});
