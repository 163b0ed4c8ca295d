// Issue 28 items 3 and 8 through the HTTP app: /metrics?format=json holds every value of the
// Prometheus exposition for every type (read by prometheus_client's own text parser, an
// independent consumer), OpenMetrics passes prometheus_client's strict OpenMetrics parser, the
// Prometheus format stays promtool-clean, and declared custom metrics exist from the start.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { Analyzer } from '../src/app.js';
import type { JsonFamily } from '../src/export/exposition-json.js';
import { tempDir, usePushAnalyzers, WAIT } from './helpers.js';

const { analyzer } = usePushAnalyzers();

function post(a: Analyzer, path: string, body: unknown) {
  return a.app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** One of each type, with labels that need escaping. */
async function pushEveryType(a: Analyzer): Promise<void> {
  const res = await post(a, '/metrics/track/batch', [
    { name: 'orders', type: 'counter', value: 3, labels: { shop: 'a"b\\c' }, service: 'shop' },
    { name: 'queue_depth', type: 'gauge', value: -2.5, labels: { q: 'x' } },
    { name: 'checkout_seconds', type: 'histogram', value: 0.3, buckets: [0.1, 0.5, 1] },
    { name: 'checkout_seconds', type: 'histogram', value: 7, buckets: [0.1, 0.5, 1] },
    { name: 'rpc_seconds', type: 'summary', value: 0.2, labels: { m: 'get' } },
    { name: 'rpc_seconds', type: 'summary', value: 0.4, labels: { m: 'get' } },
  ]);
  expect(await res.json()).toMatchObject({ successful: 6, failed: 0 });
}

/** Python's prometheus_client: the samples of a text, as [name, labels, value as Python repr]. */
function pythonSamples(text: string, openMetrics: boolean): [string, Record<string, string>, string][] {
  const parser = openMetrics ? 'prometheus_client.openmetrics.parser' : 'prometheus_client.parser';
  const code = `import sys, json\nfrom ${parser} import text_string_to_metric_families as f\nprint(json.dumps([[s.name, s.labels, repr(float(s.value))] for m in f(sys.stdin.read()) for s in m.samples]))`;
  const run = spawnSync('/usr/bin/python3', ['-c', code], { input: text, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout);
}

/** The JSON export as the samples of the text format: name, labels, value. */
function jsonSamples(families: JsonFamily[]): Map<string, number | string> {
  const out = new Map<string, number | string>();
  const put = (name: string, labels: Record<string, string>, value: number | string | undefined) => {
    const sorted = Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
    out.set(`${name}${JSON.stringify(sorted)}`, value ?? Number.NaN);
  };
  for (const f of families) {
    for (const s of f.series) {
      if (f.type === 'histogram') {
        for (const b of s.buckets ?? []) put(`${f.name}_bucket`, { ...s.labels, le: b.le }, b.count);
      } else if (f.type === 'summary') {
        for (const q of s.quantiles ?? []) put(f.name, { ...s.labels, quantile: q.quantile }, q.value);
      } else put(f.name, s.labels, s.value);
      if (s.sum !== undefined) put(`${f.name}_sum`, s.labels, s.sum);
      if (s.count !== undefined) put(`${f.name}_count`, s.labels, s.count);
    }
  }
  return out;
}

/** A Python repr and a JSON value say the same number (nan, inf and -inf included). */
function same(python: string, json: number | string | undefined): boolean {
  const n = typeof json === 'string' ? Number(json.replace('+Inf', 'Infinity').replace('-Inf', '-Infinity')) : json;
  const p = Number(python.replace('inf', 'Infinity').replace('nan', 'NaN'));
  return Number.isNaN(p) ? Number.isNaN(n) : p === n;
}

/** The label le / quantile as the text writes it: prometheus_client reads them back as written. */
function key(name: string, labels: Record<string, string>): string {
  const sorted = Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
  return `${name}${JSON.stringify(sorted)}`;
}

describe('GET /metrics?format=json', () => {
  it('holds every value of the Prometheus exposition, for every type', async () => {
    const a = await analyzer();
    await pushEveryType(a);
    // Both reads share one render while it serves (a second): a slow machine reads again.
    let body = { format: '', families: [] as JsonFamily[] };
    await vi.waitFor(async () => {
      const text = await (await a.app.request('/metrics?format=prometheus')).text();
      const res = await a.app.request('/metrics?format=json');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      body = (await res.json()) as typeof body;
      const json = jsonSamples(body.families);
      const samples = pythonSamples(text, false);
      // prom-client's and the store's families alike; the pushed ones of each type among them.
      expect(samples.length).toBeGreaterThan(50);
      expect(samples.filter(([name, labels, value]) => !same(value, json.get(key(name, labels))))).toEqual([]);
    }, WAIT);
    expect(body.format).toBe('json');
    const byName = new Map(body.families.map((f) => [f.name, f]));
    expect(byName.get('orders_total')).toMatchObject({
      type: 'counter',
      series: [{ labels: { shop: 'a"b\\c', service: 'shop' }, value: 3 }],
    });
    expect(byName.get('queue_depth')).toMatchObject({ type: 'gauge', series: [{ labels: { q: 'x' }, value: -2.5 }] });
    expect(byName.get('checkout_seconds')).toMatchObject({
      type: 'histogram',
      help: expect.any(String),
      series: [
        {
          labels: {},
          buckets: [
            { le: '0.1', count: 0 },
            { le: '0.5', count: 1 },
            { le: '1', count: 1 },
            { le: '+Inf', count: 2 },
          ],
          sum: 7.3,
          count: 2,
        },
      ],
    });
    expect(byName.get('rpc_seconds')).toMatchObject({
      type: 'summary',
      series: [
        {
          labels: { m: 'get' },
          quantiles: expect.arrayContaining([{ quantile: '0.5', value: expect.any(Number) }]),
          sum: 0.6000000000000001,
          count: 2,
        },
      ],
    });
  });

  it('OpenMetrics: its content type, # EOF, and prometheus_client’s strict parser reads the same values', async () => {
    const a = await analyzer();
    await pushEveryType(a);
    const res = await a.app.request('/metrics?format=openmetrics');
    expect(res.headers.get('content-type')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    const om = await res.text();
    expect(om.endsWith('# EOF\n')).toBe(true);
    // A counter's family is named without _total, its sample with it (OpenMetrics 1.0).
    expect(om).toContain('# TYPE orders counter\n');
    expect(om).toMatch(/\norders_total\{[^}]*\} 3\n/);
    const json = jsonSamples(
      ((await (await a.app.request('/metrics?format=json')).json()) as { families: JsonFamily[] }).families,
    );
    const samples = pythonSamples(om, true).filter(([name]) => !name.endsWith('_created'));
    expect(samples.length).toBeGreaterThan(50);
    // Self metrics may move between the two reads (process CPU, heap): the pushed ones are compared.
    const pushed = samples.filter(([name]) => /^(orders|queue_depth|checkout_seconds|rpc_seconds)/.test(name));
    expect(pushed.length).toBe(1 + 1 + 6 + 5);
    expect(pushed.filter(([name, labels, value]) => !same(value, json.get(key(name, labels))))).toEqual([]);
  });

  it('the Prometheus format stays promtool-clean', async () => {
    const a = await analyzer();
    await pushEveryType(a);
    const text = await (await a.app.request('/metrics?format=prometheus')).text();
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect([lint.status, lint.stdout, lint.stderr]).toEqual([0, '', '']);
  });

  it('aggregated=true&format=json: the aggregates as JSON families', async () => {
    const a = await analyzer();
    await pushEveryType(a);
    a.history.sample(Date.now());
    const res = await a.app.request(
      '/metrics?aggregated=true&aggregation_types=max,count&window_seconds=60&format=json',
    );
    const body = (await res.json()) as { families: JsonFamily[] };
    const names = body.families.map((f) => f.name);
    expect(names).toContain('queue_depth_max');
    expect(names).toContain('queue_depth_count');
    expect(names.some((n) => n.endsWith('_avg'))).toBe(false);
    expect(body.families.find((f) => f.name === 'queue_depth_max')?.series).toEqual([
      { labels: { q: 'x' }, value: -2.5 },
    ]);
  });

  it.each([
    ['format=../../etc', /unknown format "..\/..\/etc"/],
    [`aggregated=true&aggregation_types=${Array(10_000).fill('avg').join(',')}`, /10000 entries, at most 5/],
    ['aggregated=true&window_seconds=1e309', /window_seconds must be a number from 10 to 86400/],
    ['format=%FF', /format is not percent-encoded UTF-8/],
  ])('400 for %s', async (query, reason) => {
    const a = await analyzer();
    const res = await a.app.request(`/metrics?${query}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(reason);
  });
});

describe('declared custom metrics ([metrics] custom_gauges, custom_counters, custom_histograms)', () => {
  it('exist from the start at 0 with a help text, keep their type, and are set by pushes and /update', async () => {
    const a = await analyzer(
      {},
      { customMetrics: { gauges: ['errors', 'active_sessions'], counters: ['logins'], histograms: ['wait_seconds'] } },
    );
    const text = await (await a.app.request('/metrics')).text();
    expect(text).toContain(
      '# HELP errors Declared in the config ([metrics] custom_gauges); set by pushes.\n# TYPE errors gauge\nerrors 0\n',
    );
    expect(text).toContain('# TYPE active_sessions gauge\nactive_sessions 0\n');
    expect(text).toContain('# TYPE logins_total counter\nlogins_total 0\n');
    expect(text).toContain('wait_seconds_bucket{le="+Inf"} 0\nwait_seconds_sum 0\nwait_seconds_count 0\n');
    expect(spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' }).status).toBe(0);
    // /update sets the gauge; a push of another type is refused (the declared type holds).
    expect((await post(a, '/update', { type: 'gauge', name: 'errors', value: 4 })).status).toBe(200);
    expect((await post(a, '/metrics/track', { name: 'logins', type: 'counter', value: 2 })).status).toBe(200);
    const refused = await post(a, '/metrics/track', { name: 'active_sessions', type: 'counter', value: 1 });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(await refused.json())).toContain('name_conflict');
    const wrongType = await post(a, '/update', { type: 'histogram', name: 'errors', value: 1 });
    expect(JSON.stringify(await wrongType.json())).toContain('type_conflict');
    const after = await (await a.app.request('/metrics')).text();
    expect(after).toContain('\nerrors 4\n');
    expect(after).toContain('\nlogins_total 2\n');
    expect(after).toContain('\nactive_sessions 0\n');
  });

  it('a declared name the analyzer serves itself stops the start with one line naming it', async () => {
    await expect(analyzer({}, { customMetrics: { counters: ['http_requests'] } })).rejects.toThrow(
      "[metrics] http_requests_total: http_requests_total is one of the analyzer's own metrics",
    );
  });
});

describe('a tracked series with service and tenant_id across a restart', () => {
  it('is the same series after a restart from the checkpoint (its identity is in its labels)', async () => {
    const t = tempDir();
    const positionsFile = join(t.dir, 'positions.json');
    const item = {
      name: 'gateway_hits',
      value: 1,
      type: 'counter',
      labels: { service: 'gateway', endpoint: '/a' },
      service: 'gateway-service',
      tenant_id: 'tenant-1',
    };
    const series =
      'gateway_hits_total{endpoint="/a",exported_service="gateway",service="gateway-service",tenant_id="tenant-1"}';
    try {
      const first = await analyzer({}, { positionsFile });
      expect((await post(first, '/metrics/track', item)).status).toBe(200);
      expect(await (await first.app.request('/metrics')).text()).toContain(`${series} 1\n`);
      await first.stop();
      const second = await analyzer({}, { positionsFile });
      expect((await post(second, '/metrics/track', item)).status).toBe(200);
      const text = await (await second.app.request('/metrics')).text();
      expect(text).toContain(`${series} 2\n`);
      expect(text.split('\n').filter((l) => l.startsWith('gateway_hits_total{'))).toHaveLength(1);
    } finally {
      t.cleanup();
    }
  });
});
