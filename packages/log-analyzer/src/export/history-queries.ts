// The HTTP answers over the history: /metrics/series, /metrics/trends/:name and the per-minute
// averages of /metrics?aggregated=true. Pure over a History and a time.

import type { History, Track } from '../history/history.js';
import { analyze } from '../history/trend.js';
import type { AggregationType } from './export-query.js';
import { escapeLabel } from './exposition.js';

export interface SeriesQuery {
  name?: string | undefined;
  service?: string | undefined;
  tenant?: string | undefined;
  limit: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

function matches(track: Track, name: string | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (name !== undefined && track.name !== name) return false;
  for (const [k, v] of Object.entries(labels)) if (track.labels[k] !== v) return false;
  return true;
}

/** The fields a tracked series is sent with beside its labels (decode.ts): each is the label of its name. */
const FIELDS = ['service', 'tenant_id'] as const;

/**
 * A series' labels as its sender wrote them: where a field met a label of its name with another
 * value, the label was kept as exported_<name> (the deepest of exported_…<name> when that was
 * taken too) and the field as <name>; this undoes it, so `labels` shows the label and the answer's
 * `service`/`tenant_id` the field. Pure.
 */
export function sentLabels(labels: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  let out: Record<string, string> | null = null;
  for (const field of FIELDS) {
    let deepest: string | null = null;
    for (let name = `exported_${field}`; labels[name] !== undefined; name = `exported_${name}`) deepest = name;
    if (deepest === null || labels[field] === undefined) continue;
    out ??= { ...labels };
    out[field] = labels[deepest] as string;
    delete out[deepest];
  }
  return out ?? labels;
}

/** GET /metrics/series: the kept series that match, with their points of the last hour (10 s apart). */
export function seriesAnswer(history: History, query: SeriesQuery, now: number) {
  const labels: Record<string, string> = {};
  if (query.service !== undefined) labels.service = query.service;
  if (query.tenant !== undefined) labels.tenant_id = query.tenant;
  const step = history.stepOf(now);
  const { stepMs } = history.options;
  // Every series has its points at the same steps: each time is formatted once.
  const times = new Map<number, string>();
  const timeOf = (s: number) => {
    let text = times.get(s);
    if (text === undefined) {
      text = iso(s * stepMs);
      times.set(s, text);
    }
    return text;
  };
  const series = [];
  let total = 0;
  for (const track of history.all()) {
    if (!matches(track, query.name, labels)) continue;
    total++;
    if (series.length >= query.limit) continue;
    series.push({
      name: track.name,
      type: track.type,
      // Counters are kept as their rate per second.
      unit: track.type === 'counter' || track.name.endsWith('_count') ? 'per_second' : 'value',
      labels: sentLabels(track.labels),
      service: track.labels.service ?? null,
      tenant_id: track.labels.tenant_id ?? null,
      points: pointsOf(track, step, history.pointsPerSeries, timeOf),
    });
  }
  return { series, total, timestamp: iso(now) };
}

function pointsOf(track: Track, step: number, steps: number, timeOf: (step: number) => string) {
  const points: { value: number; timestamp: string }[] = [];
  track.each(step, steps, (s, value) => points.push({ value, timestamp: timeOf(s) }));
  return points;
}

/**
 * /metrics/stats' `aggregator` additions: `aggregated_series`, the series the history keeps, and
 * `total_windows`, the aggregation windows ({count, sum, min, max, last} per --history-rollup) it
 * holds over all of them. A pass over the rollup rings: ~3 M slots with 10,000 series, not a hot path.
 */
export function aggregatorStats(history: History): { total_windows: number; aggregated_series: number } {
  let windows = 0;
  for (const track of history.all()) {
    const { rollups } = track;
    for (let at = 0; at < rollups.length; at += 5) if ((rollups[at] as number) > 0) windows++;
  }
  return { total_windows: windows, aggregated_series: history.size };
}

/** "k=v,k2=v2" → labels; null when malformed. */
export function parseSelectors(text: string | undefined): Record<string, string> | null {
  const labels: Record<string, string> = {};
  if (!text) return labels;
  for (const part of text.split(',')) {
    const at = part.indexOf('=');
    if (at < 1) return null;
    labels[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return labels;
}

/**
 * GET /metrics/trends/:name: the matching series added up (counters: their rates; others:
 * averaged), per 5-minute rollup over `hours` (over the 10-s points when `hours` ≤ 1), then the
 * trend and anomalies of trend.ts.
 */
export function trendAnswer(
  history: History,
  name: string,
  hours: number,
  labels: Readonly<Record<string, string>>,
  now: number,
) {
  const { stepMs, rollupMs } = history.options;
  const fine = hours <= 1;
  const period = fine ? stepMs : rollupMs;
  const periods = Math.max(1, Math.round((hours * 3_600_000) / period));
  const sums = new Map<number, { sum: number; n: number }>();
  let tracks = 0;
  let additive = false;
  for (const track of history.all()) {
    if (!matches(track, name, labels)) continue;
    tracks++;
    additive = track.type === 'counter' || track.name.endsWith('_count');
    const points = fine
      ? track.series(history.stepOf(now), periods).map((p) => ({ at: p.step, value: p.value }))
      : track.rollupsUpTo(history.rollupOf(now), periods).map((r) => ({ at: r.index, value: r.sum / r.count }));
    for (const p of points) {
      const cell = sums.get(p.at) ?? { sum: 0, n: 0 };
      cell.sum += p.value;
      cell.n++;
      sums.set(p.at, cell);
    }
  }
  const data_points = [...sums]
    .sort((a, b) => a[0] - b[0])
    .map(([at, cell]) => ({ timestamp: at * period, value: additive ? cell.sum : cell.sum / cell.n }));
  const t = analyze(data_points);
  return {
    metric_name: name,
    series: tracks,
    hours,
    resolution_seconds: period / 1000,
    trend: t.trend,
    change_percent: t.change_percent,
    slope_per_hour: t.slope_per_hour,
    r2: t.r2,
    data_points: data_points.map((p) => ({ value: p.value, timestamp: iso(p.timestamp) })),
    anomalies: t.anomalies.map((a) => ({ value: a.value, timestamp: iso(a.timestamp), z: a.z })),
  };
}

/** An aggregation asked of /metrics?aggregated=true (export-query.ts checks it). */
export interface Aggregation {
  types: readonly AggregationType[];
  windowSeconds: number;
}

const HELP: Record<AggregationType, string> = {
  avg: 'Average',
  sum: 'Sum',
  min: 'Least',
  max: 'Greatest',
  count: 'Number',
};

/**
 * A track's aggregates over the last `windowMs`: over its points (one per step) when the window
 * fits in what they cover, else over its rollups (whose count, sum, min and max add up the same).
 * Null when the window holds no point.
 */
export function aggregatesOf(
  history: History,
  track: Track,
  now: number,
  windowMs: number,
): Record<AggregationType, number> | null {
  const { stepMs, rollupMs, windowMs: pointsMs } = history.options;
  let count = 0;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  if (windowMs <= pointsMs) {
    track.each(history.stepOf(now), Math.max(1, Math.round(windowMs / stepMs)), (_, value) => {
      count++;
      sum += value;
      min = Math.min(min, value);
      max = Math.max(max, value);
    });
  } else {
    for (const r of track.rollupsUpTo(history.rollupOf(now), Math.max(1, Math.ceil(windowMs / rollupMs)))) {
      count += r.count;
      sum += r.sum;
      min = Math.min(min, r.min);
      max = Math.max(max, r.max);
    }
  }
  return count === 0 ? null : { avg: sum / count, sum, min, max, count };
}

/**
 * GET /metrics?aggregated=true: each kept series' aggregates over the window, as gauges
 * <name>_<type> (one tenant's, or all). Counters are kept as their rate per second, so
 * `http_requests_total_avg` is requests per second; `_count` is the points the window holds.
 */
export function aggregatedText(
  history: History,
  now: number,
  tenant: string | null = null,
  aggregation: Aggregation = { types: ['avg'], windowSeconds: 60 },
): string {
  const byName = new Map<string, string[]>();
  const windowMs = aggregation.windowSeconds * 1000;
  for (const track of history.all()) {
    if (tenant !== null && track.labels.tenant_id !== tenant) continue;
    const values = aggregatesOf(history, track, now, windowMs);
    if (values === null) continue;
    const labels = Object.entries(track.labels)
      .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
      .join(',');
    for (const type of aggregation.types) {
      const name = `${track.name}_${type}`;
      let lines = byName.get(name);
      if (!lines) {
        lines = [
          `# HELP ${name} ${HELP[type]} over the last ${aggregation.windowSeconds} s (counters: per second; count: points).`,
          `# TYPE ${name} gauge`,
        ];
        byName.set(name, lines);
      }
      lines.push(`${name}${labels ? `{${labels}}` : ''} ${formatNumber(values[type])}`);
    }
  }
  let text = '';
  for (const lines of byName.values()) text += `${lines.join('\n')}\n`;
  return text;
}

/** A number as the text format writes it. */
function formatNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf';
}
