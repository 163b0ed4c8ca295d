// Issue 28: the metrics-service and exporter APIs' documented requests, sent verbatim over HTTP to
// an analyzer in its own process started with the exporter's example config and the API's
// environment, answer the documented shapes, field by field.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { spawnServe, tempDir, useProcesses, WAIT } from './helpers.js';

const { running, cleanups } = useProcesses();

/** The exporter API's example config (issue 28 item 8), verbatim. */
const EXPORTER_CONFIG = `[scrape]
interval_secs = 15
targets = [
  { name = "api", url = "http://api:8000/metrics", type = "prometheus" },
  { name = "web", url = "http://web:3000/metrics", type = "custom" },
]
[system]
enabled = true
collect_cpu = true
collect_ram = true
collect_disk = false
[metrics]
custom_gauges = ["errors", "active_sessions"]
`;

/** The metrics-service API's tracked metric: labels.service, service and tenant_id all given. */
const TRACKED = {
  name: 'gateway_requests',
  value: 1,
  type: 'counter',
  labels: { service: 'gateway', endpoint: '/api/users', method: 'GET' },
  service: 'gateway-service',
  tenant_id: 'tenant-1',
};

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
type Json = any;

describe('the metrics-service API, verbatim, against a running analyzer', () => {
  it('answers every documented request in its documented shape', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const config = join(t.dir, 'exporter.toml');
    writeFileSync(config, EXPORTER_CONFIG);
    // The API's environment name, as its deployments set it (the child gets process.env).
    vi.stubEnv('ACCESS_ENV', 'staging');
    const served = spawnServe([
      '--config',
      config,
      '--watch',
      join(t.dir, '*.log'),
      '--no-positions',
      '--history-step',
      '1s',
    ]);
    vi.unstubAllEnvs();
    running.push(served);
    const base = new URL(await served.url).origin;
    const get = async (path: string): Promise<Json> => {
      const res = await fetch(`${base}${path}`);
      expect([path, res.status]).toEqual([path, 200]);
      return res.json();
    };

    const track = await fetch(`${base}/metrics/track`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(TRACKED),
    });
    expect(await track.json()).toEqual({ success: true, message: 'Metric tracked successfully' });
    const gauge = await fetch(`${base}/metrics/track`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'queue_depth', value: 5, type: 'gauge', service: 'gateway-service' }),
    });
    expect(gauge.status).toBe(200);

    // GET /metrics/series?service=gateway-service&limit=10: the series, as sent.
    let series: Json;
    await vi.waitFor(async () => {
      series = await get('/metrics/series?service=gateway-service&name=gateway_requests_total&limit=10');
      expect(series.total).toBe(1);
      expect(series.series[0].points.length).toBeGreaterThan(1);
    }, WAIT);
    expect(Object.keys(series).sort()).toEqual(['series', 'timestamp', 'total']);
    expect(Date.parse(series.timestamp)).toBeGreaterThan(0);
    const [one] = series.series;
    expect(one.name).toBe('gateway_requests_total');
    expect(one.type).toBe('counter');
    expect(one.labels).toEqual({ service: 'gateway', endpoint: '/api/users', method: 'GET', tenant_id: 'tenant-1' });
    expect(one.service).toBe('gateway-service');
    expect(one.tenant_id).toBe('tenant-1');
    for (const p of one.points) {
      expect(Object.keys(p).sort()).toEqual(['timestamp', 'value']);
      expect(typeof p.value).toBe('number');
      expect(Date.parse(p.timestamp)).toBeGreaterThan(0);
    }
    expect((await get('/metrics/series?tenant=tenant-1&limit=10')).total).toBe(1);
    expect((await get('/metrics/series?service=gateway-service&limit=10')).total).toBe(2);
    expect((await get('/metrics/series?service=gateway&limit=10')).total).toBe(0);

    // The exposition: the field keeps the name, the clashing label is exported_service.
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain(
      'gateway_requests_total{endpoint="/api/users",exported_service="gateway",method="GET",service="gateway-service",tenant_id="tenant-1"} 1\n',
    );
    // The exporter config's declared gauges, there from the start at 0.
    expect(text).toContain('\nerrors 0\n');
    expect(text).toContain('\nactive_sessions 0\n');

    // GET /health
    const health = await get('/health');
    expect(health.service).toBe('log-analyzer');
    expect(health.status).toBe('ok');
    expect(typeof health.uptime_seconds).toBe('number');
    expect(typeof health.version).toBe('string');
    expect(typeof health.commit).toBe('string');
    expect(health.environment).toBe('staging');
    expect(health.dependencies).toMatchObject({ collector: 'ok', aggregator: 'ok', exporter: 'ok' });
    for (const v of Object.values(health.dependencies)) expect(typeof v).toBe('string');
    expect(health.dependency_details.files).toEqual({ status: 'ok' });

    // GET /metrics/stats
    await fetch(`${base}/metrics?format=prometheus`);
    const stats = await get('/metrics/stats');
    expect(Object.keys(stats).sort()).toEqual(['aggregator', 'collector', 'exporter', 'timestamp']);
    expect(stats.collector).toMatchObject({ total_points: 2, accepted_points: 2, total_series: 4, dropped_points: 0 });
    expect(stats.aggregator.total_windows).toBeGreaterThan(0);
    expect(stats.aggregator.aggregated_series).toBeGreaterThan(0);
    expect(stats.exporter.total_exports).toBeGreaterThanOrEqual(2);
    expect(Date.parse(stats.exporter.last_export)).toBeGreaterThan(0);
    expect(Date.parse(stats.timestamp)).toBeGreaterThan(0);

    // GET /metrics/trends/NAME
    const trend = await get('/metrics/trends/queue_depth?hours=1');
    expect(trend.metric_name).toBe('queue_depth');
    expect(trend.trend).toBe('stable');
    expect(trend.change_percent).toBe(0);
    expect(trend.data_points.length).toBeGreaterThan(0);
    for (const p of trend.data_points) expect(Object.keys(p).sort()).toEqual(['timestamp', 'value']);
    // Without hours: [aggregation] trend_hours (24).
    expect((await get('/metrics/trends/queue_depth')).hours).toBe(24);

    // GET /status, as /api/status.
    const [status, apiStatus] = [await get('/status'), await get('/api/status')];
    expect(Object.keys(status).sort()).toEqual(Object.keys(apiStatus).sort());
    expect(status.environment).toBe('staging');

    // The export formats.
    const json = await get('/metrics?format=json');
    expect(json.families.find((f: Json) => f.name === 'errors')).toMatchObject({
      type: 'gauge',
      series: [{ labels: {}, value: 0 }],
    });
    const om = await fetch(`${base}/metrics?format=openmetrics`);
    expect(om.headers.get('content-type')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect((await om.text()).endsWith('# EOF\n')).toBe(true);
    const aggregated = await (await fetch(`${base}/metrics?aggregated=true&aggregation_types=avg,count`)).text();
    expect(aggregated).toContain('# TYPE gateway_requests_total_avg gauge\n');
    expect(aggregated).toContain('# TYPE gateway_requests_total_count gauge\n');
  });
});
