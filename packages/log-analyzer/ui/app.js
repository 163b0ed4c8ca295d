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
        scales: { x: { time: true }, y: this.opts.y ?? {} },
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

// The series browser
const seriesChart = new Chart($('chart-series'));
async function loadNames() {
  const { names } = await (await fetch('/ui/series')).json();
  const select = $('series-name');
  const chosen = select.value;
  select.replaceChildren(new Option('pick one…', ''), ...names.map((n) => new Option(n, n, false, n === chosen)));
}

async function showSeries() {
  const name = $('series-name').value;
  if (!name) return;
  const hours = $('series-hours').value;
  const trend = await (await fetch(`/metrics/trends/${encodeURIComponent(name)}?hours=${hours}`)).json();
  const fresh = new Chart($('chart-series'));
  seriesChart.plot?.destroy();
  Object.assign(seriesChart, fresh);
  for (const p of trend.data_points) seriesChart.push(Date.parse(p.timestamp) / 1000, { [name]: p.value });
  const change = trend.change_percent === null ? '–' : `${trend.change_percent.toFixed(1)} %`;
  $('trend').textContent =
    `${trend.series} series, ${trend.data_points.length} points every ${trend.resolution_seconds} s: ` +
    `${trend.trend} (change ${change}, R² ${trend.r2.toFixed(2)}), ${trend.anomalies.length} anomalies (|robust z| > 3.5)`;
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
  for (const c of [...Object.values(charts), seriesChart]) c.resize();
});
setInterval(loadNames, 10_000);
setInterval(loadAlerts, 5_000);
loadAlerts();
loadNames();
connect();
