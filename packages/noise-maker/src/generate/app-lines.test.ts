import { describe, expect, it } from 'vitest';
import { AppLines, parseWeights } from './app-lines.js';

const options = { seed: 1, traceRate: 0.5, startTimeMs: 0, simulatedRate: 1000 };

describe('AppLines', () => {
  it('writes each level in its exact share, and tallies messages, lines and traces', () => {
    const source = new AppLines({ ...options, style: 'text', weights: { info: 7, warn: 2, error: 1 } });
    const text = new TextDecoder().decode(source.next(1000, 0));
    expect(source.tally.levels).toEqual({ trace: 0, debug: 0, info: 700, warn: 200, error: 100, fatal: 0 });
    expect(source.tally.traces).toBe(50);
    expect(text.split('\n').length - 1).toBe(source.tally.lines);
    expect(text.match(/ ERROR /g)).toHaveLength(100);
    expect(text.match(/^\tat /gm)?.length).toBeGreaterThanOrEqual(150);
  });

  it('json lines are one line each, pino levels, the stack inside', () => {
    const source = new AppLines({ ...options, style: 'json', weights: { error: 1 }, traceRate: 1 });
    const lines = new TextDecoder().decode(source.next(3, 0)).trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(JSON.parse(l)).toMatchObject({ level: 50, err: { type: 'Error' } });
  });

  it('the same seed gives the same bytes', () => {
    const a = new AppLines({ ...options, style: 'mixed', weights: { info: 1, error: 1 } }).next(200, 0);
    const b = new AppLines({ ...options, style: 'mixed', weights: { info: 1, error: 1 } }).next(200, 0);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it.each([
    { name: 'unknown level', given: 'info=1,verbose=2', want: /not verbose=2/ },
    { name: 'no weight above 0', given: 'info=0', want: /above 0/ },
    { name: 'not a number', given: 'info=x', want: /not info=x/ },
  ])('--levels refuses $name', ({ given, want }) => {
    expect(() => parseWeights(given)).toThrow(want);
  });
});
