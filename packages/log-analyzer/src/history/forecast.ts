// Pure: a forecast of an evenly spaced series (one value per step, NaN where there was none) with
// a 95 % prediction interval per point. README "Forecasts" says the same for users.
// - Holt's linear (double exponential) smoothing, component form:
//     level_t = α·y_t + (1−α)·(level_{t−1} + trend_{t−1});  trend_t = β·(level_t − level_{t−1}) + (1−β)·trend_{t−1}
//   started from the first value and the median slope of the first 10 (start()); α and β minimise the sum of squared one-step-ahead
//   errors (a 10 × 10 grid, then a pattern search around the best). A missing step (a gap: the
//   analyzer was down, or the series was quiet) is predicted but not observed: the state moves on
//   by its trend and no error is counted, so a gap is never bridged with invented values.
// - Fewer than HOLT_MIN_POINTS observed values: the least-squares line (2 parameters need far fewer
//   points than a fit of 2 smoothing parameters on one-step errors); under 2 values: no forecast.
// - Intervals: Holt, h steps ahead: σ_h = σ·√(1 + (h−1)·(α² + α·αβ·h + (αβ)²·h(2h−1)/6)) (Hyndman &
//   Athanasopoulos, FPP3 §8.7, ETS(A,A,N) whose β is α·β here); the line: s·√(1 + 1/n + (x−x̄)²/Sxx)
//   with Student's t. σ is never below the floor max(1 % of the mean |y|, 1e-6): a flat series keeps
//   a band. A series that was never negative (rates, counts) gets its forecast and lower bound clamped at 0
//   (its upper bound stays the clamped value + the half-width).

export const HOLT_MIN_POINTS = 10;
/** The interval: 95 %, two-sided. */
export const Z95 = 1.959964;
export const FLOOR_FRACTION = 0.01;
export const FLOOR_ABSOLUTE = 1e-6;
/** Student's t, 97.5 % quantile, for 1…30 degrees of freedom (the line's interval on few points). */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11,
  2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export interface ForecastPoint {
  /** Steps after the last step of the input (1 = the next). */
  step: number;
  value: number;
  lower: number;
  upper: number;
}

export interface Forecast {
  method: 'holt' | 'linear' | 'none';
  /** Holt's smoothing parameters (null for the line and for none). */
  alpha: number | null;
  beta: number | null;
  /** The state at the last step: level and trend per step (the line: its value and slope there). */
  level: number | null;
  trend_per_step: number | null;
  /** Observed (non-NaN) values the model was fitted on. */
  fitted_points: number;
  /** Root mean squared one-step-ahead error (Holt) or residual standard error (line); null under 3 points. */
  rmse: number | null;
  /** The σ the intervals grow from, after the floor. */
  sigma: number | null;
  floor: number | null;
  points: ForecastPoint[];
}

interface HoltFit {
  sse: number;
  errors: number;
  level: number;
  trend: number;
}

/** How many first values the starting trend is taken from. */
export const START_VALUES = 10;

/**
 * The starting state at the first observed value: that value, and the median of the slopes
 * between consecutive observed values among the first START_VALUES (a burst at the start, a
 * backlog read at once, does not set the trend, as y₁ − y₀ would let it).
 */
function start(ys: readonly number[]): { at: number; level: number; trend: number } {
  const seen: number[] = [];
  for (let i = 0; i < ys.length && seen.length < START_VALUES; i++) if (!Number.isNaN(ys[i])) seen.push(i);
  const slopes: number[] = [];
  for (let k = 1; k < seen.length; k++) {
    const [a, b] = [seen[k - 1] as number, seen[k] as number];
    slopes.push(((ys[b] as number) - (ys[a] as number)) / (b - a));
  }
  const at = seen[0] as number;
  return { at, level: ys[at] as number, trend: slopes.length ? median(slopes) : 0 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Holt's filter over `ys` (NaN: missing; at least two values): its one-step errors and the state after the last step. */
export function holtRun(ys: readonly number[], alpha: number, beta: number): HoltFit {
  const first = start(ys);
  let { level, trend } = first;
  let sse = 0;
  let errors = 0;
  for (let t = first.at + 1; t < ys.length; t++) {
    const predicted = level + trend;
    const y = ys[t] as number;
    if (Number.isNaN(y)) {
      level = predicted;
      continue;
    }
    const e = y - predicted;
    sse += e * e;
    errors++;
    const next = predicted + alpha * e;
    trend = beta * (next - level) + (1 - beta) * trend;
    level = next;
  }
  return { sse, errors, level, trend };
}

const clamp = (v: number) => Math.min(0.999, Math.max(0.001, v));

/** α and β that minimise the one-step squared error: a grid, then a shrinking pattern search. */
export function fitHolt(ys: readonly number[]): { alpha: number; beta: number; fit: HoltFit } {
  let best = { alpha: 0.5, beta: 0.1, fit: holtRun(ys, 0.5, 0.1) };
  const consider = (alpha: number, beta: number) => {
    const fit = holtRun(ys, alpha, beta);
    // Ties go to the smoother (earlier) candidate: the grid runs from small to large.
    if (fit.sse < best.fit.sse) best = { alpha, beta, fit };
  };
  for (let a = 0.05; a < 1; a += 0.1) for (let b = 0.05; b < 1; b += 0.1) consider(a, b);
  for (let step = 0.05; step > 0.002; step /= 2) {
    let moved = true;
    while (moved) {
      const { alpha, beta } = best;
      for (const [da, db] of [
        [step, 0],
        [-step, 0],
        [0, step],
        [0, -step],
      ] as const)
        consider(clamp(alpha + da), clamp(beta + db));
      moved = best.alpha !== alpha || best.beta !== beta;
    }
  }
  return best;
}

/** The interval's floor for these values: 1 % of their mean magnitude, at least 1e-6. */
export function sigmaFloor(values: readonly number[]): number {
  const mean = values.reduce((a, v) => a + Math.abs(v), 0) / Math.max(1, values.length);
  return Math.max(FLOOR_FRACTION * mean, FLOOR_ABSOLUTE);
}

/** Forecasts `horizon` steps after the last of `ys` (one value per step, NaN: none). */
export function forecast(ys: readonly number[], horizon: number): Forecast {
  const observed = ys.filter((y) => !Number.isNaN(y));
  const none: Forecast = {
    method: 'none',
    alpha: null,
    beta: null,
    level: null,
    trend_per_step: null,
    fitted_points: observed.length,
    rmse: null,
    sigma: null,
    floor: null,
    points: [],
  };
  if (observed.length < 2) return none;
  const floor = sigmaFloor(observed);
  const nonNegative = observed.every((y) => y >= 0);
  const bound = (v: number) => (nonNegative ? Math.max(0, v) : v);
  // Clamped at 0, the band stands on 0 with its full width above (it does not shrink to nothing).
  const point = (step: number, value: number, half: number): ForecastPoint => ({
    step,
    value: bound(value),
    lower: bound(value - half),
    upper: bound(value) + half,
  });
  // The forecast starts after the input's last step, observed or not.
  if (observed.length < HOLT_MIN_POINTS) return linear(ys, horizon, floor, point);
  const { alpha, beta, fit } = fitHolt(ys);
  // The state is at the last step (missing steps at the end were predicted through).
  const rmse = fit.errors > 2 ? Math.sqrt(fit.sse / (fit.errors - 2)) : null;
  const sigma = Math.max(rmse ?? 0, floor);
  const b = alpha * beta; // the ETS(A,A,N) β
  const points: ForecastPoint[] = [];
  for (let h = 1; h <= horizon; h++) {
    const growth = 1 + (h - 1) * (alpha * alpha + alpha * b * h + (b * b * h * (2 * h - 1)) / 6);
    points.push(point(h, fit.level + h * fit.trend, Z95 * sigma * Math.sqrt(growth)));
  }
  return {
    method: 'holt',
    alpha,
    beta,
    level: fit.level,
    trend_per_step: fit.trend,
    fitted_points: observed.length,
    rmse,
    sigma,
    floor,
    points,
  };
}

/** The least-squares line through the observed values (x: their step), with its prediction interval. */
function linear(
  ys: readonly number[],
  horizon: number,
  floor: number,
  point: (step: number, value: number, half: number) => ForecastPoint,
): Forecast {
  const xs: number[] = [];
  const vs: number[] = [];
  ys.forEach((y, i) => {
    if (!Number.isNaN(y)) {
      xs.push(i);
      vs.push(y);
    }
  });
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = vs.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += ((xs[i] as number) - mx) ** 2;
    sxy += ((xs[i] as number) - mx) * ((vs[i] as number) - my);
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  const at = (x: number) => my + slope * (x - mx);
  let sse = 0;
  for (let i = 0; i < n; i++) sse += ((vs[i] as number) - at(xs[i] as number)) ** 2;
  const rmse = n > 2 ? Math.sqrt(sse / (n - 2)) : null;
  const sigma = Math.max(rmse ?? 0, floor);
  // Two points leave no degree of freedom: the t of one stands in (wide, as it should be).
  const t = T975[Math.max(1, n - 2) - 1] ?? Z95;
  const last = ys.length - 1;
  const points: ForecastPoint[] = [];
  for (let h = 1; h <= horizon; h++) {
    const x = last + h;
    const spread = sigma * Math.sqrt(1 + 1 / n + (sxx === 0 ? 0 : (x - mx) ** 2 / sxx));
    points.push(point(h, at(x), t * spread));
  }
  return {
    method: 'linear',
    alpha: null,
    beta: null,
    level: at(last),
    trend_per_step: slope,
    fitted_points: n,
    rmse,
    sigma,
    floor,
    points,
  };
}
