import { describe, expect, it } from 'vitest';
import { analyze, median, type Point } from './trend.js';

const H = 3_600_000;
const line = (n: number, f: (i: number) => number): Point[] =>
  Array.from({ length: n }, (_, i) => ({ timestamp: i * (H / 12), value: f(i) }));

describe('analyze', () => {
  it.each([
    { name: 'rising line', points: line(24, (i) => 100 + 10 * i), trend: 'increasing' },
    { name: 'falling line', points: line(24, (i) => 500 - 10 * i), trend: 'decreasing' },
    { name: 'flat', points: line(24, () => 42), trend: 'stable' },
    { name: 'noise without a direction', points: line(24, (i) => 100 + (i % 2 ? 30 : -30)), trend: 'stable' },
    { name: 'a tiny but perfect slope (under 5 %)', points: line(24, (i) => 1000 + 0.1 * i), trend: 'stable' },
    { name: 'one point', points: line(1, () => 3), trend: 'stable' },
  ])('$name → $trend', ({ points, trend }) => {
    expect(analyze(points).trend).toBe(trend);
  });

  it('change_percent comes from the fitted line, not the first and last points', () => {
    const clean = analyze(line(11, (i) => 100 + 10 * i));
    expect(clean.change_percent).toBeCloseTo(100, 6);
    expect(clean.slope_per_hour).toBeCloseTo(120, 6);
    expect(clean.r2).toBeCloseTo(1, 9);
    // The first point 30 high: raw first-to-last says +53.8 %; the fitted line says +78.8 %
    // (slope 10 - 150/110 per step; start 152.73 - 5 × slope, end 152.73 + 5 × slope).
    const t = analyze(line(11, (i) => (i === 0 ? 130 : 100 + 10 * i)));
    const slope = 10 - 150 / 110;
    const mean = 150 + 30 / 11;
    expect(t.change_percent).toBeCloseTo((10 * slope * 100) / (mean - 5 * slope), 6);
    expect(t.change_percent).toBeCloseTo(78.8, 1);
  });

  it('flags the points far from the median by the robust z-score, and only those', () => {
    const points = line(30, (i) => (i === 7 ? 500 : i === 20 ? -300 : 100 + (i % 3)));
    const t = analyze(points);
    expect(t.anomalies.map((a) => a.timestamp)).toEqual([7 * (H / 12), 20 * (H / 12)]);
    expect(t.anomalies[0]?.z).toBeGreaterThan(3.5);
    expect(t.anomalies[1]?.z).toBeLessThan(-3.5);
  });

  it('flags nothing when most points are equal (MAD 0)', () => {
    expect(analyze(line(10, (i) => (i === 3 ? 50 : 1))).anomalies).toEqual([]);
  });
});

it('median', () => {
  expect(median([3, 1, 2])).toBe(2);
  expect(median([4, 1, 2, 3])).toBe(2.5);
  expect(median([])).toBeNaN();
});
