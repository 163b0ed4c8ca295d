import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppSummarizer } from './app-summarize.js';

const encode = (s: string) => new TextEncoder().encode(s);

describe('AppSummarizer', () => {
  it('a message split over two chunks at any line boundary counts the same as in one chunk', () => {
    const text =
      '2026-12-03 INFO a\n2026-12-03 ERROR b\njava.lang.XException: y\n\tat a.b(C.java:1)\nCaused by: z\n\t... 1 more\n{"level":40}\n';
    const whole = new AppSummarizer(1000).summarize(encode(text));
    const bounds = [...text.matchAll(/\n/g)].map((m) => (m.index as number) + 1);
    for (const cut of bounds) {
      const s = new AppSummarizer(1000);
      const a = s.summarize(encode(text.slice(0, cut)));
      const b = s.summarize(encode(text.slice(cut)));
      expect(a.levels?.map((n, i) => n + (b.levels?.[i] ?? 0))).toEqual(whole.levels);
      expect(a.lines + b.lines).toBe(whole.lines);
    }
    expect(whole.levels).toEqual([0, 0, 1, 1, 1, 0, 0]);
  });

  it('a --continuation pattern makes more lines continuations', () => {
    const continuation = (line: string) => line.startsWith('|');
    const summary = new AppSummarizer(1000, continuation).summarize(encode('ERROR a\n| more of a\nWARN b\n'));
    expect(summary.levels).toEqual([0, 0, 0, 1, 1, 0, 0]);
  });

  it('any bytes: never throws, every line counted, at most one message a line', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        const summary = new AppSummarizer(300).summarize(bytes);
        let lines = 0;
        for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0a) lines++;
        if (bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a) lines++;
        expect(summary.lines).toBe(lines);
        const messages = (summary.levels ?? []).reduce((a, b) => a + b, 0);
        expect(messages + summary.tooLong).toBeLessThanOrEqual(lines);
        expect(summary.parseFailures).toBeLessThanOrEqual(messages);
      }),
      { numRuns: 500 },
    );
  });
});
