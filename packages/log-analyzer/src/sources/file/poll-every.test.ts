import { describe, expect, it } from 'vitest';
import { pollEveryMs } from './tailer.js';

describe('pollEveryMs', () => {
  it.each([
    { name: 'written in the last 10 s', base: 250, quiet: 9_999, events: true, want: 250 },
    { name: 'quiet for 10 s', base: 250, quiet: 10_000, events: true, want: 5_000 },
    { name: 'quiet for a minute', base: 250, quiet: 60_000, events: true, want: 30_000 },
    { name: 'a base interval longer than the backoff', base: 40_000, quiet: 60_000, events: true, want: 40_000 },
    { name: '--poll: never backs off', base: 250, quiet: 3_600_000, events: false, want: 250 },
  ])('$name → $want ms', ({ base, quiet, events, want }) => {
    expect(pollEveryMs(base, quiet, events)).toBe(want);
  });
});
