import { describe, expect, it } from 'vitest';
import { emptySummary } from '../../store/chunk-summary.js';
import { PRESETS } from './log-format.js';
import { notParsingMessage, ParseHealth } from './parse-health.js';

const durationLine = Buffer.from('1.2.3.4 - - [03/Dec/2026:17:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "curl" 1234');
const chunk = (lines: number, failed: number) => ({
  ...emptySummary(),
  lines,
  parseFailures: failed,
  failedSample: failed > 0 ? [durationLine] : [],
});

describe('ParseHealth', () => {
  it.each([
    { name: 'too few lines: no verdict', given: [[50, 50]], want: [false] },
    {
      name: 'most lines fail: said once',
      given: [
        [100, 60],
        [100, 100],
        [2000, 2000],
      ],
      want: [true, false, false],
    },
    { name: 'half fail: nothing said', given: [[100, 50]], want: [false] },
    { name: 'few fail: nothing said', given: [[1000, 10]], want: [false] },
  ])('$name', ({ given, want }) => {
    const health = new ParseHealth();
    expect(
      given.map(
        ([lines, failed]) => health.add('a.log', PRESETS.combined, chunk(lines as number, failed as number)) !== null,
      ),
    ).toEqual(want);
  });

  it('suggests the preset that reads the failed lines, names the format used, and clears once lines parse', () => {
    const health = new ParseHealth();
    const verdict = health.add('a.log', PRESETS.combined, chunk(200, 200));
    expect(verdict).toMatchObject({ format: 'combined', suggestion: 'combined_duration', failed: 200, lines: 200 });
    expect(notParsingMessage('a.log', verdict as never)).toMatch(
      /did not parse as combined; they look like --format combined_duration/,
    );
    expect(health.of('a.log')).not.toBeNull();
    health.add('a.log', PRESETS.combined, chunk(800, 0)); // window of 1,000 closes: 200 of 1,000 failed
    health.add('a.log', PRESETS.combined, chunk(1000, 0));
    expect(health.of('a.log')).toBeNull();
  });
});
