// The live page: frames over Server-Sent Events (/ui/events: a snapshot, then one a second) drawn
// with uPlot; the series browser asks /metrics/series and /metrics/trends. No build step.
/* global uPlot */

const KEEP = 300; // frames on the charts (5 minutes)
const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
const colors = () => ['--c1', '--c2', '--c3', '--c4', '--c5', '--c6'].map(css);
const $ = (id) => document.getElementById(id);
const fmt = (v, digits = 1) =>
  v === null || v === undefined || Number.isNaN(v)
    ? '–'
    : Math.abs(v) >= 1000
      ? Math.round(v).toLocaleString('en')
      : v.toFixed(digits);

/**
 * The live charts' time axis: always the last five minutes up to the newest frame, from the first
 * frame on (with one point uPlot's own range would span years).
 */
const lastFiveMinutes = (_u, _min, max) => [max - KEEP, max];

/** A uPlot chart whose series (keys) may grow; rebuilt when a key appears. */
class Chart {
  constructor(el, opts = {}) {
    this.el = el;
    this.opts = opts;
    this.keys = [];
    this.times = [];
    this.columns = new Map();
    this.plot = null;
  }

  width() {
    return Math.max(200, this.el.clientWidth || this.el.parentElement.clientWidth - 24);
  }

  build() {
    this.plot?.destroy();
    const palette = colors();
    this.plot = new uPlot(
      {
        width: this.width(),
        height: 200,
        scales: { x: { time: true, range: lastFiveMinutes }, y: this.opts.y ?? {} },
        axes: [{ stroke: css('--muted') }, { stroke: css('--muted'), size: 60 }],
        series: [{}, ...this.keys.map((k, i) => ({ label: k, stroke: palette[i % palette.length], width: 1.5 }))],
        legend: { live: false },
      },
      this.data(),
      this.el,
    );
  }

  data() {
    return [this.times, ...this.keys.map((k) => this.columns.get(k))];
  }

  /** Adds one point per key at time t (seconds); missing keys get null. */
  push(t, values) {
    let rebuild = !this.plot;
    for (const k of Object.keys(values)) {
      if (!this.columns.has(k)) {
        this.keys.push(k);
        this.columns.set(
          k,
          this.times.map(() => null),
        );
        rebuild = true;
      }
    }
    this.times.push(t);
    for (const k of this.keys) this.columns.get(k).push(values[k] ?? null);
    if (this.times.length > KEEP) {
      this.times.shift();
      for (const k of this.keys) this.columns.get(k).shift();
    }
    if (rebuild) this.build();
    else this.plot.setData(this.data());
  }

  resize() {
    this.plot?.setSize({ width: this.width(), height: 200 });
  }
}

const charts = {
  lines: new Chart($('chart-lines')),
  requests: new Chart($('chart-requests')),
  errors: new Chart($('chart-errors'), { y: { range: [0, 1] } }),
  latency: new Chart($('chart-latency')),
  queue: new Chart($('chart-queue')),
};

function table(id, rows) {
  const body = $(id).querySelector('tbody');
  body.replaceChildren(
    ...rows.map(([a, b]) => {
      const tr = document.createElement('tr');
      for (const v of [a, b]) {
        const td = document.createElement('td');
        td.textContent = v;
        tr.append(td);
      }
      return tr;
    }),
  );
}

function show(frame) {
  const t = frame.t / 1000;
  const sum = (o) => Object.values(o).reduce((a, b) => a + b, 0);
  charts.lines.push(t, frame.linesPerSecond);
  charts.requests.push(t, frame.requestsPerSecond);
  charts.errors.push(t, { '5xx ratio': frame.errorRatio });
  // No duration field in the log format (and none pushed): say so rather than an empty chart.
  $('latency-none').hidden = frame.hasLatency !== false;
  $('chart-latency').hidden = frame.hasLatency === false;
  charts.latency.push(t, frame.latency ?? { p50: null, p95: null, p99: null });
  $('now-lines').textContent = fmt(sum(frame.linesPerSecond));
  $('now-requests').textContent = fmt(sum(frame.requestsPerSecond));
  $('now-errors').textContent = frame.errorRatio === null ? '–' : `${(frame.errorRatio * 100).toFixed(2)} %`;
  $('now-p99').textContent = frame.latency ? `${fmt(frame.latency.p99 * 1000)} ms` : '–';
  if (frame.queueDepth !== null) {
    $('queue-tile').hidden = false;
    $('queue-figure').hidden = false;
    $('now-queue').textContent = fmt(frame.queueDepth, 0);
    charts.queue.push(t, { waiting: frame.queueDepth });
  }
  table(
    'top-status',
    frame.topStatus.map(([code, n]) => [code, Math.round(n).toLocaleString('en')]),
  );
  table(
    'parse-failures',
    Object.entries(frame.parseFailuresPerSecond ?? {}).map(([file, n]) => [file, fmt(n)]),
  );
  table(
    'lag',
    Object.entries(frame.lagBytes).map(([file, n]) => [file, n.toLocaleString('en')]),
  );
  $('status').textContent = `updated ${new Date(frame.t).toLocaleTimeString()}`;
}

function connect() {
  const events = new EventSource('/ui/events');
  events.addEventListener('snapshot', (e) => {
    for (const f of JSON.parse(e.data)) show(f);
  });
  events.addEventListener('frame', (e) => show(JSON.parse(e.data)));
  events.onerror = () => {
    $('status').textContent = 'disconnected; reconnecting…';
  };
}

// The series browser: the points (a gap where there were none), the forecast with its 95 % band
// (/metrics/forecast) after them, and the anomalies (/metrics/trends) marked on the line.
const seriesChart = { plot: null, data: [[]] };
async function loadNames() {
  const { names } = await (await fetch('/ui/series')).json();
  const select = $('series-name');
  const chosen = select.value;
  select.replaceChildren(new Option('pick one…', ''), ...names.map((n) => new Option(n, n, false, n === chosen)));
}

/** Pure: the chart's columns: time, value (null in gaps), forecast, upper, lower, anomaly. */
function seriesColumns(trend, forecast) {
  const step = trend.resolution_seconds;
  const anomalous = new Map(trend.anomalies.map((a) => [Date.parse(a.timestamp) / 1000, a.value]));
  const cols = [[], [], [], [], [], []];
  const row = (...values) => {
    values.forEach((x, i) => {
      cols[i].push(x);
    });
  };
  let previous = null;
  for (const p of trend.data_points) {
    const t = Date.parse(p.timestamp) / 1000;
    // More than one period without a point: the analyzer was down or the series quiet. A null breaks the line.
    if (previous !== null && t - previous > 1.5 * step) row(previous + step, null, null, null, null, null);
    row(t, p.value, null, null, null, anomalous.get(t) ?? null);
    previous = t;
  }
  for (const p of forecast?.forecast ?? []) {
    const t = Date.parse(p.timestamp) / 1000;
    if (previous !== null && t <= previous) continue;
    row(t, null, p.value, p.upper, p.lower, null);
  }
  return cols;
}

function drawSeries(name, cols) {
  seriesChart.plot?.destroy();
  seriesChart.data = cols;
  const [c1, , c3, c4] = colors();
  const el = $('chart-series');
  seriesChart.plot = new uPlot(
    {
      width: Math.max(200, el.clientWidth || el.parentElement.clientWidth - 24),
      height: 220,
      scales: { x: { time: true, range: (_u, min, max) => (min === max ? [min - 150, max + 150] : [min, max]) } },
      axes: [{ stroke: css('--muted') }, { stroke: css('--muted'), size: 60 }],
      series: [
        {},
        { label: name, stroke: c1, width: 1.5 },
        { label: 'forecast', stroke: c3, width: 1.5, dash: [6, 4] },
        { label: 'upper 95 %', stroke: 'transparent', points: { show: false } },
        { label: 'lower 95 %', stroke: 'transparent', points: { show: false } },
        { label: 'anomaly', stroke: c4, width: 0, paths: () => null, points: { show: true, size: 9, fill: c4 } },
      ],
      bands: [{ series: [3, 4], fill: `${c3}33` }],
      legend: { live: false },
    },
    cols,
    el,
  );
}

async function showSeries() {
  const name = $('series-name').value;
  if (!name) return;
  const hours = $('series-hours').value;
  const path = encodeURIComponent(name);
  const [trend, forecast] = await Promise.all([
    fetch(`/metrics/trends/${path}?hours=${hours}`).then((r) => r.json()),
    fetch(`/metrics/forecast/${path}?hours=${hours}`).then((r) => (r.ok ? r.json() : null)),
  ]);
  drawSeries(name, seriesColumns(trend, forecast));
  const change = trend.change_percent === null ? '–' : `${trend.change_percent.toFixed(1)} %`;
  const model = forecast?.model;
  const fitted =
    !model || model.method === 'none'
      ? 'no forecast (too few points)'
      : model.method === 'holt'
        ? `forecast: Holt (α ${model.alpha.toFixed(2)}, β ${model.beta.toFixed(2)}), 95 % band`
        : 'forecast: least-squares line (few points), 95 % band';
  $('trend').textContent =
    `${trend.series} series, ${trend.data_points.length} points every ${trend.resolution_seconds} s: ` +
    `${trend.trend} (change ${change}, R² ${trend.r2.toFixed(2)}), ${trend.anomalies.length} anomalies (|robust z| > 3.5); ${fitted}`;
  $('anomalies').replaceChildren(
    ...trend.anomalies.map((a) => {
      const li = document.createElement('li');
      li.textContent = `${new Date(a.timestamp).toLocaleTimeString()}: ${fmt(a.value, 3)} (z ${a.z.toFixed(1)})`;
      return li;
    }),
  );
}

// Firing and pending alerts (GET /api/v1/alerts), firing first; the section shows once there is any.
async function loadAlerts() {
  let alerts;
  try {
    ({
      data: { alerts },
    } = await (await fetch('/api/v1/alerts')).json());
  } catch {
    return;
  }
  alerts.sort((a, b) => (a.state === b.state ? a.activeAt.localeCompare(b.activeAt) : a.state === 'firing' ? -1 : 1));
  $('alerts').hidden = alerts.length === 0;
  $('alerts-table')
    .querySelector('tbody')
    .replaceChildren(
      ...alerts.map((a) => {
        const tr = document.createElement('tr');
        tr.className = `alert-${a.state}`;
        const { alertname, ...labels } = a.labels;
        const cells = [
          a.state,
          alertname,
          Object.entries(labels)
            .map(([k, v]) => `${k}=${v}`)
            .join(', '),
          Object.entries(a.annotations)
            .map(([k, v]) => `${k}: ${v}`)
            .join('\n'),
          new Date(a.activeAt).toLocaleTimeString(),
        ];
        for (const text of cells) {
          const td = document.createElement('td');
          td.textContent = text;
          tr.append(td);
        }
        return tr;
      }),
    );
}

// For a look from the console (and the browser test): the charts and what they hold.
window.liveCharts = { ...charts, series: seriesChart };

$('series-name').addEventListener('change', showSeries);
$('series-hours').addEventListener('change', showSeries);
window.addEventListener('resize', () => {
  for (const c of Object.values(charts)) c.resize();
  const el = $('chart-series');
  seriesChart.plot?.setSize({ width: Math.max(200, el.clientWidth || el.parentElement.clientWidth - 24), height: 220 });
});
setInterval(loadNames, 10_000);
setInterval(loadAlerts, 5_000);
loadAlerts();
loadNames();
connect();
