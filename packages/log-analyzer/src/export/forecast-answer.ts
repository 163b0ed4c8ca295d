// GET /metrics/forecast/:name, pure over a History and a time: the matching series added up per
// period as /metrics/trends adds them (counters: their rates summed; others: averaged), over the
// 10-s points when `hours` ≤ 1 and the 5-minute rollups beyond, then history/forecast.ts on them.
// Periods with no point (the analyzer was down, the series was quiet) stay missing: the model
// steps through them unobserved and data_points shows the gap.

import { forecast } from '../history/forecast.js';
import type { History, Track } from '../history/history.js';
import { analyze } from '../history/trend.js';

const iso = (ms: number) => new Date(ms).toISOString();

export interface ForecastQuery {
  hours: number;
  /**
   * Hours ahead (at most `hours`: a forecast reaches no further than the history it was fitted on).
   * null: a quarter of the history there is (from its first value to now), at most `hours`/4.
   */
  horizon: number | null;
  labels: Readonly<Record<string, string>>;
}

function matches(track: Track, name: string, labels: Readonly<Record<string, string>>): boolean {
  if (track.name !== name) return false;
  for (const [k, v] of Object.entries(labels)) if (track.labels[k] !== v) return false;
  return true;
}

/** Per period index (oldest first, from `first` to `last`): the added-up value, NaN where none. */
export function aggregate(history: History, name: string, query: ForecastQuery, now: number) {
  const { stepMs, rollupMs } = history.options;
  const fine = query.hours <= 1;
  const period = fine ? stepMs : rollupMs;
  const periods = Math.max(1, Math.round((query.hours * 3_600_000) / period));
  const last = fine ? history.stepOf(now) : history.rollupOf(now);
  const first = last - periods + 1;
  const sums = new Float64Array(periods);
  const counts = new Uint32Array(periods);
  let series = 0;
  let additive = false;
  for (const track of history.all()) {
    if (!matches(track, name, query.labels)) continue;
    series++;
    additive = track.type === 'counter' || track.name.endsWith('_count');
    const add = (at: number, value: number) => {
      const i = at - first;
      if (i < 0 || i >= periods) return;
      sums[i] = (sums[i] as number) + value;
      counts[i] = (counts[i] as number) + 1;
    };
    if (fine) track.each(last, periods, add);
    else for (const r of track.rollupsUpTo(last, periods)) add(r.index, r.sum / r.count);
  }
  const values = Array.from(sums, (sum, i) =>
    counts[i] === 0 ? Number.NaN : additive ? sum : sum / (counts[i] as number),
  );
  return { series, period, first, values };
}

export function forecastAnswer(history: History, name: string, query: ForecastQuery, now: number) {
  const { series, period, first, values } = aggregate(history, name, query, now);
  // The model starts at the first period with a value (the leading empty ones are no gap).
  const start = values.findIndex((v) => !Number.isNaN(v));
  const ys = start < 0 ? [] : values.slice(start);
  // By default a quarter of the span of history there is: the band of a young series stays readable.
  const horizonPeriods = Math.max(
    1,
    query.horizon === null
      ? Math.round(Math.min(ys.length, (query.hours * 3_600_000) / period) / 4)
      : Math.round((query.horizon * 3_600_000) / period),
  );
  const f = forecast(ys, horizonPeriods);
  const lastAt = first + values.length - 1;
  const data_points: { timestamp: number; value: number }[] = [];
  ys.forEach((value, i) => {
    if (!Number.isNaN(value)) data_points.push({ timestamp: (first + start + i) * period, value });
  });
  const anomalies = analyze(data_points).anomalies;
  const perHour = 3_600_000 / period;
  return {
    metric_name: name,
    series,
    hours: query.hours,
    horizon_hours: (horizonPeriods * period) / 3_600_000,
    resolution_seconds: period / 1000,
    model: {
      method: f.method,
      alpha: f.alpha,
      beta: f.beta,
      level: f.level,
      trend_per_step: f.trend_per_step,
      trend_per_hour: f.trend_per_step === null ? null : f.trend_per_step * perHour,
      fitted_points: f.fitted_points,
      rmse: f.rmse,
      sigma: f.sigma,
      sigma_floor: f.floor,
      interval: 0.95,
    },
    data_points: data_points.map((p) => ({ timestamp: iso(p.timestamp), value: p.value })),
    forecast: f.points.map((p) => ({
      timestamp: iso((lastAt + p.step) * period),
      value: p.value,
      lower: p.lower,
      upper: p.upper,
    })),
    anomalies: anomalies.map((a) => ({ timestamp: iso(a.timestamp), value: a.value, z: a.z })),
    timestamp: iso(now),
  };
}
