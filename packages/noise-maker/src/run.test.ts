// The write loop with the clock in the test's hands.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { compileFormat } from '../../log-analyzer/src/transforms/log/log-format.js';
import { type RunOptions, startRun } from './run.js';
import { steady } from './schedule/rate-schedule.js';

const dirs: string[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function options(rate: number, durationSeconds: number): RunOptions {
  const dir = mkdtempSync(join(tmpdir(), 'run-'));
  dirs.push(dir);
  return {
    outputs: [join(dir, 'a.log')],
    rate,
    schedule: steady(1),
    durationSeconds,
    count: null,
    rotation: null,
    lines: {
      format: compileFormat('combined').source,
      seed: 1,
      errorRate: 0,
      malformedRate: 0,
      startTimeMs: 0,
    },
    renderThreads: 0,
  };
}

it('--duration is a hard stop even when the rate cannot be reached; the shortfall is known', async () => {
  // A clock that moves half a second every time it is read: the rate (10^9/s) is never reached.
  let t = 0;
  const stats = await startRun(options(1e9, 2), () => {
    t += 500;
    return t;
  }).done;
  expect(stats.lines).toBeLessThan(1e6);
  expect(stats.due).toBe(2e9);
  expect(stats.due - stats.lines).toBeGreaterThan(0);
});

it('at a low rate it sleeps until the next line is due instead of waking every 2 ms', async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'setImmediate', 'performance'] });
  let reads = 0;
  const opts = options(2, 10);
  const runner = startRun(opts, () => {
    reads++;
    return performance.now();
  });
  await vi.advanceTimersByTimeAsync(11_000);
  const stats = await runner.done;
  expect(stats.lines).toBe(20); // exactly rate × duration
  expect(stats.due).toBe(20);
  expect(readFileSync(opts.outputs[0] as string, 'utf8').split('\n')).toHaveLength(21);
  // About two turns a second (one per line due), not 5,000.
  expect(reads).toBeLessThan(100);
});
