// Pure: is a series rising, falling or flat, by how much, and which points are unusual.
// - The trend is the least-squares line through the points; it is "stable" unless the line
//   explains the points (R² ≥ MIN_R2) and moves by at least MIN_CHANGE_PERCENT over the window.
// - change_percent compares the fitted line's end with its start (not the raw first and last
//   points, which one outlier would decide).
// - Anomalies: robust z-score 0.6745 · (x − median) / MAD, |z| > 3.5 (Iglewicz and Hoaglin's
//   cut-off); the median and the median absolute deviation are not moved by the outliers they
//   are looking for. When MAD is 0 (more than half the points equal), nothing is flagged.

export interface Point {
  timestamp: number;
  value: number;
}

export interface Trend {
  trend: 'increasing' | 'decreasing' | 'stable';
  /** Fitted end against fitted start, in %; null when the fitted start is 0. */
  change_percent: number | null;
  slope_per_hour: number;
  r2: number;
  anomalies: (Point & { z: number })[];
}

export const MIN_R2 = 0.5;
export const MIN_CHANGE_PERCENT = 5;
export const ANOMALY_Z = 3.5;

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function analyze(points: readonly Point[]): Trend {
  const n = points.length;
  if (n < 2) return { trend: 'stable', change_percent: n === 1 ? 0 : null, slope_per_hour: 0, r2: 0, anomalies: [] };
  // Times relative to the first point, in hours: well conditioned.
  const t0 = (points[0] as Point).timestamp;
  const xs = points.map((p) => (p.timestamp - t0) / 3_600_000);
  const ys = points.map((p) => p.value);
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] as number) - mx;
    const dy = (ys[i] as number) - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  const r2 = sxx === 0 || syy === 0 ? 0 : (sxy * sxy) / (sxx * syy);
  const start = my + slope * ((xs[0] as number) - mx);
  const end = my + slope * ((xs[n - 1] as number) - mx);
  const change = start === 0 ? null : ((end - start) / Math.abs(start)) * 100;
  const moved = change === null ? end !== start : Math.abs(change) >= MIN_CHANGE_PERCENT;
  const trend = r2 >= MIN_R2 && moved && slope !== 0 ? (slope > 0 ? 'increasing' : 'decreasing') : 'stable';
  const m = median(ys);
  const mad = median(ys.map((y) => Math.abs(y - m)));
  const anomalies =
    mad === 0
      ? []
      : points.map((p) => ({ ...p, z: (0.6745 * (p.value - m)) / mad })).filter((p) => Math.abs(p.z) > ANOMALY_Z);
  return { trend, change_percent: change, slope_per_hour: slope, r2, anomalies };
}
