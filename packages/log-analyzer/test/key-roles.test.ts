// API key roles through the app (no socket), with --metrics-auth: every endpoint with every kind
// of key (write, read, admin, no role stated, a tenant's read key), table-driven; a tenant's read
// key sees only its tenant's series everywhere, the live page included.

import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { Analyzer } from '../src/app.js';
import { encodeWriteRequest, snappyCompress } from '../src/transforms/remote-write/encode.js';
import { lines, useAnalyzers, WAIT } from './helpers.js';

const analyzers = useAnalyzers(false);

const KEYS = [
  { key: 'writer-key-1', tenant: null, role: 'write' as const },
  { key: 'reader-key-1', tenant: null, role: 'read' as const },
  { key: 'admin-key-01', tenant: null, role: 'admin' as const },
  { key: 'old-style-key', tenant: null },
  { key: 'reader-of-a1', tenant: 'a', role: 'read' as const },
  { key: 'writer-of-a1', tenant: 'a', role: 'write' as const },
  { key: 'writer-of-b1', tenant: 'b', role: 'write' as const },
];
const WHO = {
  none: null,
  write: 'writer-key-1',
  read: 'reader-key-1',
  admin: 'admin-key-01',
  unstated: 'old-style-key',
  tenantRead: 'reader-of-a1',
} as const;

const start = () => analyzers.start(['*.log'], { push: { apiKeys: KEYS, metricsAuth: true } });

const remoteWrite = () =>
  snappyCompress(
    encodeWriteRequest([
      {
        labels: [
          ['__name__', 'rw_gauge'],
          ['job', 'x'],
        ],
        samples: [{ value: 1, timestamp: Date.now() }],
      },
    ]),
  );

/** Each endpoint: how it is asked. */
const ENDPOINTS: Record<string, () => { path: string; init: RequestInit }> = {
  'POST /metrics/track': () => ({
    path: '/metrics/track',
    init: {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":"jobs","type":"counter","value":1}',
    },
  }),
  'POST /v1/metrics (OTLP)': () => ({
    path: '/v1/metrics',
    init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resourceMetrics":[]}' },
  }),
  'POST /api/v1/write': () => ({
    path: '/api/v1/write',
    init: {
      method: 'POST',
      headers: {
        'content-type': 'application/x-protobuf',
        'content-encoding': 'snappy',
        'x-prometheus-remote-write-version': '0.1.0',
      },
      body: remoteWrite(),
    },
  }),
  'PUT /metrics/job/nightly': () => ({
    path: '/metrics/job/nightly',
    init: { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'batch_done 1\n' },
  }),
  'GET /metrics': () => ({ path: '/metrics', init: {} }),
  'GET /metrics/series': () => ({ path: '/metrics/series', init: {} }),
  'GET /metrics/trends/jobs_total': () => ({ path: '/metrics/trends/jobs_total', init: {} }),
  'GET /ui': () => ({ path: '/ui', init: {} }),
  'GET /ui/series': () => ({ path: '/ui/series', init: {} }),
  'GET /ui/events': () => ({ path: '/ui/events', init: {} }),
  'GET /api/status': () => ({ path: '/api/status', init: {} }),
  'GET /metrics/stats': () => ({ path: '/metrics/stats', init: {} }),
  'GET /health (open)': () => ({ path: '/health', init: {} }),
};

async function ask(a: Analyzer, endpoint: string, key: string | null): Promise<number> {
  const { path, init } = (ENDPOINTS[endpoint] as () => { path: string; init: RequestInit })();
  const headers = { ...(init.headers as Record<string, string>), ...(key ? { 'x-api-key': key } : {}) };
  const res = await a.app.request(path, { ...init, headers });
  await res.body?.cancel();
  return res.status;
}

const PUSH = { none: 401, write: 200, read: 403, admin: 200, unstated: 200, tenantRead: 403 };
const READ = { none: 401, write: 403, read: 200, admin: 200, unstated: 200, tenantRead: 200 };
const STATUS = { none: 401, write: 403, read: 403, admin: 200, unstated: 200, tenantRead: 403 };

describe('each endpoint with each role', () => {
  it.each([
    { name: 'POST /metrics/track', want: PUSH },
    { name: 'POST /v1/metrics (OTLP)', want: PUSH },
    { name: 'POST /api/v1/write', want: { ...PUSH, write: 204, admin: 204, unstated: 204 } },
    { name: 'PUT /metrics/job/nightly', want: PUSH },
    { name: 'GET /metrics', want: READ },
    { name: 'GET /metrics/series', want: READ },
    { name: 'GET /metrics/trends/jobs_total', want: READ },
    { name: 'GET /ui', want: READ },
    { name: 'GET /ui/series', want: READ },
    { name: 'GET /ui/events', want: READ },
    { name: 'GET /api/status', want: STATUS },
    { name: 'GET /metrics/stats', want: STATUS },
    {
      name: 'GET /health (open)',
      want: { none: 200, write: 200, read: 200, admin: 200, unstated: 200, tenantRead: 200 },
    },
  ])('$name', async ({ name, want }) => {
    const a = await start();
    const got: Record<string, number> = {};
    for (const [who, key] of Object.entries(WHO)) got[who] = await ask(a, name, key);
    expect(got).toEqual(want);
  });
});

describe("a tenant's read key sees only its tenant", () => {
  it("on /metrics, the series, a trend, the page's series names and its stream", async () => {
    const a = await start();
    writeFileSync(join(analyzers.dir(), 'access.log'), '');
    const push = (key: string, body: object) =>
      a.app.request('/metrics/track', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body: JSON.stringify(body),
      });
    expect((await push('writer-of-a1', { name: 'orders', type: 'counter', value: 5 })).status).toBe(200);
    expect((await push('writer-of-b1', { name: 'orders', type: 'counter', value: 7 })).status).toBe(200);
    expect((await push('writer-of-b1', { name: 'b_only', type: 'gauge', value: 1 })).status).toBe(200);
    // File traffic for the live page (a tenant's key must not see it).
    a.feed.tick();
    appendFileSync(join(analyzers.dir(), 'access.log'), lines(3));
    await vi.waitFor(() => expect(a.store.sum('log_lines_total', {})).toBe(3), WAIT);
    a.feed.tick();
    await a.checkpoint();
    a.history.sample(Date.now());

    const text = async (path: string, key: string) =>
      (await a.app.request(path, { headers: { 'x-api-key': key } })).text();
    const metrics = await text('/metrics', 'reader-of-a1');
    expect(metrics).toContain('orders_total{tenant_id="a"} 5');
    expect(metrics).not.toContain('tenant_id="b"');
    expect(metrics).not.toContain('b_only');
    expect(await text('/metrics', 'reader-key-1')).toContain('orders_total{tenant_id="b"} 7');

    const series = JSON.parse(await text('/metrics/series', 'reader-of-a1'));
    expect(series.series.length).toBeGreaterThan(0);
    expect(series.series.every((s: { tenant_id: string }) => s.tenant_id === 'a')).toBe(true);
    const names = JSON.parse(await text('/ui/series', 'reader-of-a1')).names as string[];
    expect(names).toContain('orders_total');
    expect(names).not.toContain('b_only');
    expect(names.some((n) => n.startsWith('log_'))).toBe(false);
    expect(JSON.parse(await text('/ui/series', 'reader-key-1')).names).toContain('b_only');

    const snapshot = async (key: string) => {
      const res = await a.app.request('/ui/events', { headers: { 'x-api-key': key } });
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      let got = '';
      while (!got.includes('\n\n')) got += new TextDecoder().decode((await reader.read()).value);
      await reader.cancel();
      return JSON.parse(/data: (.*)/.exec(got)?.[1] ?? 'null') as { linesPerSecond: Record<string, number> }[];
    };
    const whole = await snapshot('reader-key-1');
    expect(Object.keys(whole.at(-1)?.linesPerSecond ?? {})).toHaveLength(1);
    const tenants = await snapshot('reader-of-a1');
    expect(tenants.length).toBe(whole.length);
    expect(tenants.every((f) => Object.keys(f.linesPerSecond).length === 0)).toBe(true);
  });
});
