import { describe, expect, it } from 'vitest';
import { createSchedule, type ScheduleOptions } from './rate-schedule.js';

const base: ScheduleOptions = {
  rate: 1000,
  pattern: 'steady',
  burstFactor: 5,
  burstEverySeconds: 10,
  burstLengthSeconds: 1,
  periodSeconds: 60,
  waveAmplitude: 0.5,
  seed: 7,
};

/** Samples due(t) with a fake clock ticking every `step` seconds. */
function run(options: Partial<ScheduleOptions>, seconds: number, step = 0.01): number[] {
  const schedule = createSchedule({ ...base, ...options });
  const out: number[] = [];
  for (let t = 0; t <= seconds + 1e-9; t += step) out.push(schedule.due(t));
  return out;
}

describe('rate schedule', () => {
  // Lines due at seconds 0, 1, 2, 3, 4 and 10, worked out by hand (a part line is not due yet).
  const steady: [rate: number, due: number[]][] = [
    [1, [0, 1, 2, 3, 4, 10]],
    [7.5, [0, 7, 15, 22, 30, 75]],
    [1000, [0, 1000, 2000, 3000, 4000, 10_000]],
    [200_000, [0, 200_000, 400_000, 600_000, 800_000, 2_000_000]],
  ];
  it.each(steady)('steady at %d lines/s is exact at every whole second', (rate, due) => {
    const schedule = createSchedule({ ...base, rate });
    expect([0, 1, 2, 3, 4, 10].map((s) => schedule.due(s))).toEqual(due);
  });

  it('steady at 1 line/s releases one line per second, not in lumps', () => {
    const due = run({ rate: 1 }, 5, 0.25);
    expect(due).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5]);
  });

  it.each(['steady', 'poisson', 'burst', 'wave'] as const)('%s never goes backwards', (pattern) => {
    const due = run({ pattern }, 30);
    for (let i = 1; i < due.length; i++) expect(due[i]).toBeGreaterThanOrEqual(due[i - 1] as number);
  });

  it('burst: the rate is multiplied during the first second of every window', () => {
    const s = createSchedule({ ...base, pattern: 'burst' });
    expect(s.due(1)).toBe(5000); // inside the burst: 5 × 1000
    expect(s.due(10)).toBe(5000 + 9000); // then the plain rate for 9 s
    expect(s.due(11)).toBe(14_000 + 5000);
  });

  it('wave: averages to the mean rate over whole periods, peaks at a quarter period', () => {
    const s = createSchedule({ ...base, pattern: 'wave', periodSeconds: 60 });
    expect(s.due(60)).toBe(60_000);
    expect(s.due(120)).toBe(120_000);
    // By hand: 1000 × (15 + 0.5 × 60/2π) = 19,774.6 and 1000 × (30 + 0.5 × 2 × 60/2π) = 39,549.3.
    expect(s.due(15)).toBe(19_774);
    expect(s.due(30)).toBe(39_549);
    // rate at t=15 s is 1.5 × mean, at t=45 s 0.5 × mean
    expect(s.due(15.5) - s.due(14.5)).toBeCloseTo(1500, -1);
    expect(s.due(45.5) - s.due(44.5)).toBeCloseTo(500, -1);
  });

  it('poisson: the same seed gives the same arrivals, and the mean is the rate', () => {
    const a = run({ pattern: 'poisson' }, 60, 1);
    expect(run({ pattern: 'poisson' }, 60, 1)).toEqual(a);
    const total = a[a.length - 1] as number;
    expect(total).toBeGreaterThan(60_000 * 0.97);
    expect(total).toBeLessThan(60_000 * 1.03);
  });
});
