// Push ingestion through the HTTP app (no socket): every endpoint and every example of the API,
// the semantics, the limits and bad input.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Analyzer } from '../src/app.js';
import { API_EXAMPLE } from './fixtures/push-examples.js';
import { tempDir, usePushAnalyzers } from './helpers.js';

const { analyzer, running, cleanups } = usePushAnalyzers();

/** A JSON answer, loosely typed: the tests check its shape. */
// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field below
type Json = any;
const json = async (res: Response | Promise<Response>): Promise<Json> => (await res).json();

function post(a: Analyzer, path: string, body: unknown, headers: Record<string, string> = {}) {
  return a.app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function scrape(a: Analyzer, query = ''): Promise<string> {
  const res = await a.app.request(`/metrics${query}`);
  expect(res.status).toBe(200);
  return res.text();
}

/** The value of one exposition line, by its exact series text (name and labels). */
function seriesValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('push endpoints: the API examples verbatim', () => {
  it('POST /api/metrics accepts the batch example and /metrics serves it', async () => {
    const a = await analyzer();
    const res = await post(a, '/api/metrics', API_EXAMPLE);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ success: true, accepted: 1, rejected: 0, errors: [] });
    const text = await scrape(a);
    expect(text).toContain('# HELP request_count_total Total number of requests\n# TYPE request_count_total counter');
    expect(seriesValue(text, 'request_count_total{endpoint="/users",service="api_gateway"}')).toBe(42);
    // The same with ?format=prometheus.
    expect(
      seriesValue(
        await scrape(a, '?format=prometheus'),
        'request_count_total{endpoint="/users",service="api_gateway"}',
      ),
    ).toBe(42);
  });

  it('POST /metrics/track and /metrics/track/batch answer in their shapes', async () => {
    const a = await analyzer();
    const one = await post(a, '/metrics/track', {
      name: 'orders_total',
      value: 3,
      type: 'counter',
      labels: { region: 'eu' },
      service: 'shop',
      tenant_id: 'acme',
    });
    expect(await json(one)).toEqual({ success: true, message: 'Metric tracked successfully' });
    const batch = await post(a, '/metrics/track/batch', [
      { name: 'orders_total', value: 2, type: 'counter', labels: { region: 'eu' }, service: 'shop', tenant_id: 'acme' },
      { name: 'queue_depth', value: 17, type: 'gauge', service: 'shop' },
      { name: 'bad name', value: 1, type: 'counter', service: 'shop' },
    ]);
    expect(batch.status).toBe(200);
    expect(await json(batch)).toEqual({
      success: false,
      total: 3,
      successful: 2,
      failed: 1,
      errors: [{ index: 2, reason: 'invalid_name', message: 'name "bad name" is not a Prometheus metric name' }],
    });
    const text = await scrape(a);
    expect(seriesValue(text, 'orders_total{region="eu",service="shop",tenant_id="acme"}')).toBe(5);
    expect(seriesValue(text, 'queue_depth{service="shop"}')).toBe(17);
  });

  it('POST /update takes every shape, including the queue message', async () => {
    const a = await analyzer();
    expect((await post(a, '/update', API_EXAMPLE)).status).toBe(200);
    expect((await post(a, '/update', [{ name: 'x_total', value: 1, type: 'counter' }])).status).toBe(200);
    const queued = await post(a, '/update', {
      type: 'counter',
      name: 'demo_metric',
      value: 10,
      labels: { source: 'demo', category: 'example' },
    });
    expect(await json(queued)).toEqual({ success: true, message: 'Metric tracked successfully' });
    const text = await scrape(a);
    expect(seriesValue(text, 'demo_metric_total{category="example",source="demo"}')).toBe(10);
    expect(seriesValue(text, 'x_total')).toBe(1);
  });

  it('GET /metrics/stats, /health and /api/health', async () => {
    const a = await analyzer();
    await post(a, '/api/metrics', API_EXAMPLE);
    await post(a, '/metrics/track', { name: 'bad', value: -1, type: 'counter' });
    await scrape(a);
    const stats = await json(a.app.request('/metrics/stats'));
    expect(stats.collector).toMatchObject({ total_points: 2, total_series: 1, dropped_points: 1 });
    expect(stats.collector.dropped_by_reason).toEqual({ negative_counter: 1 });
    expect(stats.aggregator.series_by_type).toEqual({ counter: 1, gauge: 0, histogram: 0, summary: 0 });
    expect(stats.exporter.total_exports).toBe(1);
    expect(stats.exporter.last_export).toBe(stats.exporter.last_export_at);
    expect(Date.parse(stats.timestamp)).toBeGreaterThan(0);
    expect(stats.aggregator).toMatchObject({
      total_windows: expect.any(Number),
      aggregated_series: expect.any(Number),
    });
    for (const path of ['/health', '/api/health']) {
      const health = await json(a.app.request(path));
      expect(health).toMatchObject({
        service: 'log-analyzer',
        status: 'ok',
        dependencies: { collector: 'ok', aggregator: 'ok', exporter: 'ok', files: 'ok', checkpoint: 'ok', push: 'ok' },
        dependency_details: { files: { status: 'ok' }, checkpoint: { status: 'ok' }, push: { status: 'ok' } },
      });
      expect(health.uptime_seconds).toBeGreaterThanOrEqual(0);
      expect(health.uptimeSeconds).toBe(health.uptime_seconds);
      expect(health.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(typeof health.commit).toBe('string');
    }
    const status = await json(a.app.request('/api/status'));
    expect(status.ingestion.collector.total_series).toBe(1);
    expect(await metricValue(a, 'log_analyzer_push_samples_total', { result: 'rejected' })).toBe(1);
  });
});

async function metricValue(a: Analyzer, name: string, labels: Record<string, string>): Promise<number> {
  const metric = a.selfRegistry.getSingleMetric(name);
  const values = metric ? (await metric.get()).values : [];
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))
    .reduce((sum, v) => sum + v.value, 0);
}

describe('push semantics', () => {
  it('gauges set; an older timestamp never overwrites a newer one', async () => {
    const a = await analyzer();
    const g = (value: number, timestamp?: number) => ({
      name: 'temp_celsius',
      metric_type: 'gauge',
      value: { value, timestamp: timestamp ?? null },
    });
    await post(a, '/api/metrics', { metrics: [g(5, 2000), g(7, 3000)] });
    const res = await post(a, '/api/metrics', { metrics: [g(6, 1000), g(9)] });
    expect(await json(res)).toMatchObject({
      accepted: 1,
      rejected: 1,
      errors: [{ index: 0, reason: 'out_of_order' }],
    });
    expect(seriesValue(await scrape(a), 'temp_celsius')).toBe(9);
  });

  it('cumulative sources add the difference and survive a sender restart', async () => {
    const a = await analyzer({ cumulativeSources: new Set(['app1']) });
    const push = (value: number, source = 'app1') =>
      post(a, '/api/metrics', { metrics: [{ name: 'jobs_total', metric_type: 'counter', value: { value } }], source });
    for (const v of [10, 25, 25, 40]) await push(v);
    expect(seriesValue(await scrape(a), 'jobs_total')).toBe(40);
    // The sender restarted: its running total starts again from 0.
    await push(5);
    await push(12);
    expect(seriesValue(await scrape(a), 'jobs_total')).toBe(52);
    // Another source pushing increments into the same series.
    await push(3, 'other');
    expect(seriesValue(await scrape(a), 'jobs_total')).toBe(55);
    expect((await json(a.app.request('/metrics/stats'))).aggregator.cumulative_resets).toBe(1);
  });

  it('histograms: the first layout holds; another is refused with bucket_mismatch', async () => {
    const a = await analyzer();
    const h = (value: number, buckets?: number[]) => ({ type: 'histogram', name: 'size_bytes', value, buckets });
    const res = await post(a, '/metrics/track/batch', [h(5, [10, 100]), h(50), h(500), h(1, [1, 2])]);
    expect(await json(res)).toMatchObject({
      successful: 3,
      failed: 1,
      errors: [{ index: 3, reason: 'bucket_mismatch' }],
    });
    const text = await scrape(a);
    expect(text).toContain(
      'size_bytes_bucket{le="10"} 1\nsize_bytes_bucket{le="100"} 2\nsize_bytes_bucket{le="+Inf"} 3\nsize_bytes_sum 555\nsize_bytes_count 3',
    );
  });

  it('histograms without buckets get the Prometheus defaults', async () => {
    const a = await analyzer();
    await post(a, '/metrics/track', { type: 'histogram', name: 'rt_seconds', value: 0.3 });
    const text = await scrape(a);
    expect(seriesValue(text, 'rt_seconds_bucket{le="0.25"}')).toBe(0);
    expect(seriesValue(text, 'rt_seconds_bucket{le="0.5"}')).toBe(1);
    expect(seriesValue(text, 'rt_seconds_bucket{le="10"}')).toBe(1);
  });

  it('summaries: quantiles from the first sample, within their epsilon', async () => {
    const a = await analyzer();
    const values = Array.from({ length: 1000 }, (_, i) => i + 1);
    const msg = (value: number) => ({
      type: 'summary',
      name: 'latency_ms',
      value,
      quantiles: [0.5, 0.9],
      epsilons: [0.01, 0.01],
    });
    expect((await post(a, '/update', values.map(msg))).status).toBe(200);
    const text = await scrape(a);
    const p50 = seriesValue(text, 'latency_ms{quantile="0.5"}') as number;
    const p90 = seriesValue(text, 'latency_ms{quantile="0.9"}') as number;
    expect(Math.abs(p50 - 500)).toBeLessThanOrEqual(10);
    expect(Math.abs(p90 - 900)).toBeLessThanOrEqual(10);
    expect(seriesValue(text, 'latency_ms_count')).toBe(1000);
    expect(seriesValue(text, 'latency_ms_sum')).toBe(500500);
    const other = await post(a, '/update', { type: 'summary', name: 'latency_ms', value: 1, quantiles: [0.99] });
    expect(await json(other)).toMatchObject({ success: false, reason: 'quantile_mismatch' });
  });

  it('one type and one help per name; the analyzer’s own names are refused', async () => {
    const a = await analyzer();
    await post(a, '/metrics/track', { name: 'jobs', type: 'gauge', value: 1, help: 'Jobs.' });
    const cases: [object, string][] = [
      [{ name: 'jobs', type: 'summary', value: 1 }, 'type_conflict'],
      [{ name: 'jobs', type: 'gauge', value: 1, help: 'Other.' }, 'help_conflict'],
      [{ name: 'log_lines', type: 'counter', value: 1 }, 'reserved_name'],
      [{ name: 'log_analyzer_x', type: 'gauge', value: 1 }, 'reserved_name'],
      [{ name: 'http_requests', type: 'counter', value: 1 }, 'reserved_name'],
    ];
    for (const [body, reason] of cases) {
      expect(await json(post(a, '/metrics/track', body)), reason).toMatchObject({ success: false, reason });
    }
    expect(seriesValue(await scrape(a), 'jobs')).toBe(1);
  });

  it('prefix and namespace are put before pushed names', async () => {
    const a = await analyzer({ namespace: 'acme', prefix: 'app_' });
    await post(a, '/metrics/track', { name: 'hits', type: 'counter', value: 2 });
    expect(seriesValue(await scrape(a), 'acme_app_hits_total')).toBe(2);
  });
});

describe('push limits and bad input', () => {
  it('answers each bad request with its status and reason, and keeps serving', async () => {
    const a = await analyzer({ maxBodyBytes: 2000, maxItems: 3 });
    const cases: { name: string; res: () => Response | Promise<Response>; status: number; reason: string }[] = [
      {
        name: 'invalid JSON',
        res: () => post(a, '/api/metrics', '{"metrics": [}'),
        status: 400,
        reason: 'invalid_json',
      },
      {
        name: 'wrong content type',
        res: () =>
          a.app.request('/api/metrics', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' }),
        status: 415,
        reason: 'unsupported_media_type',
      },
      {
        name: 'too large',
        res: () => post(a, '/api/metrics', { metrics: [], pad: 'x'.repeat(3000) }),
        status: 413,
        reason: 'body_too_large',
      },
      {
        name: 'too many items',
        res: () => post(a, '/metrics/track/batch', Array(4).fill({ name: 'a', type: 'gauge', value: 1 })),
        status: 413,
        reason: 'too_many_items',
      },
      { name: 'wrong shape', res: () => post(a, '/api/metrics', []), status: 400, reason: 'invalid_body' },
      { name: 'not an object', res: () => post(a, '/update', '42'), status: 400, reason: 'invalid_body' },
    ];
    for (const c of cases) {
      const res = await c.res();
      expect(res.status, c.name).toBe(c.status);
      expect((await json(res)).reason, c.name).toBe(c.reason);
    }
    const invalid = await json(post(a, '/api/metrics', '{"metrics": [}'));
    expect(invalid.error).toBe("invalid JSON at position 13 (line 1, column 14): Unexpected token '}'");
    expect((await post(a, '/metrics/track', { name: 'ok', type: 'gauge', value: 1 })).status).toBe(200);
    expect(await metricValue(a, 'log_analyzer_push_requests_total', { code: '413' })).toBe(2);
  });

  it('refuses bad items one by one, applying nothing of them', async () => {
    const a = await analyzer({ maxLabels: 2, maxLabelValueBytes: 8 });
    const item = (over: object) => ({ name: 'm', type: 'gauge', value: 1, ...over });
    const cases: [object, string][] = [
      [item({ name: '1abc' }), 'invalid_name'],
      [item({ type: 'meter' }), 'invalid_type'],
      [item({ value: 'x' }), 'invalid_value'],
      [item({ type: 'counter', value: -1 }), 'negative_counter'],
      [item({ labels: { __x: 'a' } }), 'invalid_label'],
      [item({ labels: { 'a-b': 'a' } }), 'invalid_label'],
      [item({ labels: { a: 1 } }), 'invalid_label'],
      [item({ labels: { a: '\ud800' } }), 'invalid_label'],
      [item({ labels: { a: 'x'.repeat(9) } }), 'label_too_long'],
      [item({ labels: { a: '€€€' } }), 'label_too_long'],
      [item({ labels: { a: '1', b: '2', c: '3' } }), 'too_many_labels'],
      [item({ type: 'histogram', buckets: [2, 1] }), 'invalid_layout'],
      [item({ type: 'summary', quantiles: [1.5] }), 'invalid_layout'],
    ];
    const res = await post(
      a,
      '/metrics/track/batch',
      cases.map(([body]) => body),
    );
    expect(res.status).toBe(400);
    const answer = await json(res);
    expect(answer.errors.map((e: { reason: string }) => e.reason)).toEqual(cases.map(([, reason]) => reason));
    expect(a.pushed.seriesCount).toBe(0);
    expect(await scrape(a)).not.toMatch(/^m[ {]/m);
  });

  it('caps series per family, in all and per tenant (series_limit)', async () => {
    const a = await analyzer({
      maxSeriesPerFamily: 3,
      maxSeries: 5,
      maxSeriesPerTenant: 2,
      apiKeys: [
        { key: 'key-of-acme', tenant: 'acme' },
        { key: 'key-of-other', tenant: 'other' },
      ],
    });
    const push = (name: string, n: number, key: string) =>
      json(
        post(
          a,
          '/metrics/track/batch',
          Array.from({ length: n }, (_, i) => ({ name, type: 'gauge', value: 1, labels: { i: String(i) } })),
          { authorization: `Bearer ${key}` },
        ),
      );
    expect(await push('a', 3, 'key-of-acme')).toMatchObject({ successful: 2, failed: 1 });
    // The other tenant is not starved by the first: the family cap counts per tenant.
    expect(await push('a', 2, 'key-of-other')).toMatchObject({ successful: 2, failed: 0 });
    expect(await push('b', 3, 'key-of-other')).toMatchObject({ successful: 0, failed: 3 });
    expect(a.pushed.seriesCount).toBe(4);
  });

  it('needs an API key for writes when keys are set; /metrics stays open unless --metrics-auth', async () => {
    const a = await analyzer({ apiKeys: [{ key: 'secret-key-1', tenant: null }] });
    const body = { name: 'g', type: 'gauge', value: 1 };
    expect((await post(a, '/metrics/track', body)).status).toBe(401);
    expect((await post(a, '/metrics/track', body, { authorization: 'Bearer wrong-key-1' })).status).toBe(401);
    expect((await post(a, '/metrics/track', body, { authorization: 'Bearer secret-key-1' })).status).toBe(200);
    expect((await post(a, '/metrics/track', body, { 'x-api-key': 'secret-key-1' })).status).toBe(200);
    expect((await a.app.request('/metrics')).status).toBe(200);
    const locked = await analyzer({ apiKeys: [{ key: 'secret-key-1', tenant: null }], metricsAuth: true });
    expect((await locked.app.request('/metrics')).status).toBe(401);
    const ok = await locked.app.request('/metrics', { headers: { authorization: 'Bearer secret-key-1' } });
    expect(ok.status).toBe(200);
  });

  it('expires series not updated within the time to live', async () => {
    const a = await analyzer({ ttlMs: 200 });
    await post(a, '/metrics/track', { name: 'old', type: 'counter', value: 4 });
    expect(seriesValue(await scrape(a), 'old_total')).toBe(4);
    const { vi } = await import('vitest');
    await vi.waitFor(() => expect(a.pushed.seriesCount).toBe(0), { timeout: 5000, interval: 20 });
    expect(seriesValue(await scrape(a), 'old_total')).toBeUndefined();
    // An expired counter that comes back starts again from zero.
    await post(a, '/metrics/track', { name: 'old', type: 'counter', value: 1 });
    expect(seriesValue(await scrape(a), 'old_total')).toBe(1);
  });
});

describe('pushed values in the checkpoint', () => {
  it('a restart carries on counters, cumulative totals, gauges, histograms and summary counts', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const overrides = { positionsFile: join(t.dir, 'checkpoint.json') };
    const push = { cumulativeSources: new Set(['app']) };
    const send = (a: Analyzer) =>
      post(a, '/api/metrics', {
        source: 'app',
        metrics: [
          { name: 'runs_total', metric_type: 'counter', value: { value: 100 } },
          { name: 'level', metric_type: 'gauge', value: { value: 7, timestamp: 5000 } },
          { name: 'wait_seconds', metric_type: 'histogram', value: { value: 0.2 } },
          { name: 'size_bytes', metric_type: 'summary', value: { value: 10 } },
        ],
      });
    const first = await analyzer(push, overrides);
    expect((await send(first)).status).toBe(200);
    await first.stop();
    running.splice(running.indexOf(first), 1);

    const second = await analyzer(push, overrides);
    expect(second.resumed).toBe(true);
    const before = await scrape(second);
    expect(seriesValue(before, 'runs_total')).toBe(100);
    expect(seriesValue(before, 'level')).toBe(7);
    expect(seriesValue(before, 'wait_seconds_count')).toBe(1);
    expect(seriesValue(before, 'size_bytes_count')).toBe(1);
    // The same running total again adds nothing; the rest adds up; an older gauge is refused.
    expect(await json(send(second))).toMatchObject({ accepted: 4, rejected: 0 });
    const older = { metrics: [{ name: 'level', metric_type: 'gauge', value: { value: 1, timestamp: 4999 } }] };
    expect(await json(post(second, '/api/metrics', older))).toMatchObject({ errors: [{ reason: 'out_of_order' }] });
    const after = await scrape(second);
    expect(seriesValue(after, 'runs_total')).toBe(100);
    expect(seriesValue(after, 'level')).toBe(7);
    expect(seriesValue(after, 'wait_seconds_count')).toBe(2);
    expect(seriesValue(after, 'size_bytes_count')).toBe(2);
    expect(second.pushed.seriesCount).toBe(4);
  });
});
