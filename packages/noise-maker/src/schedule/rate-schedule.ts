// How many lines should have been written by time t: the integral of the rate pattern.
// Pure and driven by the caller's clock, so a fake clock tests it exactly. The writer keeps
// `written == due(t)` — a token bucket whose tokens are the integral — which is exact at any rate.

import { createRandom } from '../generate/random.js';

export type Pattern = 'steady' | 'poisson' | 'burst' | 'wave';

export interface ScheduleOptions {
  /** Mean lines per second. */
  rate: number;
  pattern: Pattern;
  /** burst: the rate is multiplied by this during each burst. */
  burstFactor: number;
  /** burst: a burst starts every this many seconds... */
  burstEverySeconds: number;
  /** ...and lasts this long. */
  burstLengthSeconds: number;
  /** wave: one sinusoidal cycle takes this long; the rate swings ±waveAmplitude around the mean. */
  periodSeconds: number;
  waveAmplitude: number;
  seed: number;
}

export interface RateSchedule {
  /** Whole lines due by `seconds` since the start; never decreases for increasing time. */
  due(seconds: number): number;
}

/** A steady rate: the pattern's other settings do not apply. */
export function steady(seed: number): Omit<ScheduleOptions, 'rate'> {
  return {
    pattern: 'steady',
    burstFactor: 1,
    burstEverySeconds: 1,
    burstLengthSeconds: 0,
    periodSeconds: 1,
    waveAmplitude: 0,
    seed,
  };
}

export function createSchedule(o: ScheduleOptions): RateSchedule {
  switch (o.pattern) {
    case 'steady':
      return { due: (t) => Math.floor(o.rate * t + 1e-9) };
    case 'wave': {
      const w = (2 * Math.PI) / o.periodSeconds;
      // ∫ rate·(1 + A·sin(wt)) dt = rate·(t + A·(1 − cos wt)/w)
      return { due: (t) => Math.floor(o.rate * (t + (o.waveAmplitude * (1 - Math.cos(w * t))) / w) + 1e-9) };
    }
    case 'burst': {
      const extra = o.rate * (o.burstFactor - 1);
      const length = Math.min(o.burstLengthSeconds, o.burstEverySeconds);
      return {
        due(t) {
          const cycles = Math.floor(t / o.burstEverySeconds);
          const inCycle = t - cycles * o.burstEverySeconds;
          const burstSeconds = cycles * length + Math.min(inCycle, length);
          return Math.floor(o.rate * t + extra * burstSeconds + 1e-9);
        },
      };
    }
    case 'poisson': {
      // Arrivals with exponential gaps (mean 1/rate), from their own seeded stream.
      const random = createRandom(o.seed ^ 0x5eed);
      let next = -Math.log(1 - random.next()) / o.rate;
      let count = 0;
      return {
        due(t) {
          while (next <= t) {
            count++;
            next += -Math.log(1 - random.next()) / o.rate;
          }
          return count;
        },
      };
    }
  }
}
