import { expect, it } from 'vitest';
import { LineRate } from './line-rate.js';

it('reports lines per second over the sampled window', () => {
  const rate = new LineRate();
  rate.sample(0);
  expect(rate.rates().get('a')).toBeUndefined();
  rate.add('a', 0);
  rate.sample(0);
  for (let s = 1; s <= 20; s++) {
    rate.add('a', 100 * s);
    rate.sample(s * 1000);
  }
  // the window holds the last 10 seconds: 1100..2000 lines each
  expect(rate.rates().get('a')).toBe((100 * (11 + 20) * 10) / 2 / 10);
});
