// The HTTP side's guards through the app (no socket): with --metrics-auth every read endpoint
// needs a key and a tenant's key reads only its tenant; a push needs a JSON content type; every
// answer forbids framing and inline script; a foreign Host is not answered.

import { describe, expect, it } from 'vitest';
import type { Analyzer } from '../src/app.js';
import type { AnalyzerConfig } from '../src/config/analyzer-config.js';
import type { PushConfig } from '../src/sources/push/push-source.js';
import { useAnalyzers } from './helpers.js';

const analyzers = useAnalyzers(false);
const analyzer = (push: Partial<PushConfig> = {}, overrides: Partial<AnalyzerConfig> = {}): Promise<Analyzer> =>
  analyzers.start(['*.log'], { push, ...overrides });

const KEYS = [
  { key: 'full-key-123', tenant: null },
  { key: 'tenant-a-key', tenant: 'a' },
  { key: 'tenant-b-key', tenant: 'b' },
];
const auth = (key: string | null): Record<string, string> => (key ? { authorization: `Bearer ${key}` } : {});
const push = (a: Analyzer, key: string, body: unknown) =>
  a.app.request('/metrics/track', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth(key) },
    body: JSON.stringify(body),
  });
async function get(a: Analyzer, path: string, key: string | null) {
  const res = await a.app.request(path, { headers: auth(key) });
  // The live stream never ends: its status is the answer.
  const events = path.startsWith('/ui/events');
  const text = events ? '' : await res.text();
  if (events) await res.body?.cancel();
  return { status: res.status, text, res };
}

describe('--metrics-auth: every read endpoint', () => {
  // Every GET route: no key, a full key, a tenant's key.
  const ROUTES: { path: string; none: number; full: number; tenant: number }[] = [
    { path: '/', none: 200, full: 200, tenant: 200 },
    { path: '/favicon.ico', none: 204, full: 204, tenant: 204 },
    { path: '/health', none: 200, full: 200, tenant: 200 },
    { path: '/api/health', none: 200, full: 200, tenant: 200 },
    { path: '/metrics', none: 401, full: 200, tenant: 200 },
    { path: '/metrics?aggregated=true', none: 401, full: 200, tenant: 200 },
    { path: '/metrics?format=openmetrics', none: 401, full: 200, tenant: 200 },
    { path: '/metrics/series', none: 401, full: 200, tenant: 200 },
    { path: '/metrics/trends/orders_total', none: 401, full: 200, tenant: 200 },
    { path: '/metrics/stats', none: 401, full: 200, tenant: 403 },
    { path: '/api/status', none: 401, full: 200, tenant: 403 },
    // The live page: a tenant's key sees its own series' names and no file traffic (key-roles.test.ts).
    { path: '/ui', none: 401, full: 200, tenant: 200 },
    { path: '/ui/app.js', none: 401, full: 200, tenant: 200 },
    { path: '/ui/series', none: 401, full: 200, tenant: 200 },
    { path: '/ui/events', none: 401, full: 200, tenant: 200 },
    { path: '/no/such/page', none: 401, full: 404, tenant: 403 },
  ];

  it.each(ROUTES)('$path: no key $none, a full key $full, a tenant key $tenant', async (route) => {
    const a = await analyzer({ apiKeys: KEYS, metricsAuth: true });
    expect((await get(a, route.path, null)).status).toBe(route.none);
    expect((await get(a, route.path, 'wrong-key-123')).status).toBe(route.none);
    expect((await get(a, route.path, 'full-key-123')).status).toBe(route.full);
    expect((await get(a, route.path, 'tenant-a-key')).status).toBe(route.tenant);
  });

  it('without --metrics-auth every route answers without a key', async () => {
    const a = await analyzer({ apiKeys: KEYS });
    for (const route of ROUTES) expect((await get(a, route.path, null)).status, route.path).toBe(route.full);
  });

  it('the live page asks a browser for the key (Basic, the key as password), and takes it', async () => {
    const a = await analyzer({ apiKeys: KEYS, metricsAuth: true });
    for (const path of ['/ui', '/metrics/series', '/metrics']) {
      const none = await get(a, path, null);
      // Basic first: Chromium does not answer Basic when a challenge it cannot take comes before.
      expect(none.res.headers.get('www-authenticate')).toBe(
        'Basic realm="log-analyzer", charset="UTF-8", Bearer realm="log-analyzer"',
      );
    }
    const basic = `Basic ${Buffer.from('anyone:full-key-123').toString('base64')}`;
    expect((await a.app.request('/ui/series', { headers: { authorization: basic } })).status).toBe(200);
  });

  it("a tenant's key reads only its tenant's series: /metrics, series, trends, aggregated", async () => {
    const a = await analyzer({ apiKeys: KEYS, metricsAuth: true });
    expect((await push(a, 'tenant-a-key', { name: 'orders', type: 'counter', value: 5 })).status).toBe(200);
    expect((await push(a, 'tenant-b-key', { name: 'orders', type: 'counter', value: 7 })).status).toBe(200);
    expect((await push(a, 'tenant-b-key', { name: 'b_secret', type: 'gauge', value: 1 })).status).toBe(200);
    expect((await push(a, 'tenant-a-key', { name: 'depth', type: 'gauge', value: 3 })).status).toBe(200);
    expect((await push(a, 'tenant-b-key', { name: 'depth', type: 'gauge', value: 9 })).status).toBe(200);
    await a.checkpoint();
    a.history.sample(Date.now());

    const mine = (await get(a, '/metrics', 'tenant-a-key')).text;
    expect(mine).toContain('orders_total{tenant_id="a"} 5');
    expect(mine).not.toContain('tenant_id="b"');
    expect(mine).not.toContain('b_secret');
    expect(mine).not.toMatch(/^log_/m); // the files' families (paths)
    expect(mine).not.toContain('log_analyzer_'); // the process's own metrics
    const om = (await get(a, '/metrics?format=openmetrics', 'tenant-a-key')).text;
    expect(om).toContain('orders_total{tenant_id="a"} 5');
    expect(om.endsWith('# EOF\n')).toBe(true);
    const all = (await get(a, '/metrics', 'full-key-123')).text;
    expect(all).toContain('orders_total{tenant_id="b"} 7');
    expect(all).toContain('log_analyzer_');

    const series = JSON.parse((await get(a, '/metrics/series?tenant=b', 'tenant-a-key')).text);
    expect(series.series.length).toBeGreaterThan(0);
    expect(series.series.every((s: { tenant_id: string }) => s.tenant_id === 'a')).toBe(true);
    const trend = JSON.parse((await get(a, '/metrics/trends/depth?labels=tenant_id=b', 'tenant-a-key')).text);
    expect(trend.data_points.map((p: { value: number }) => p.value)).toEqual([3]); // tenant a's, not b's 9
    const aggregated = (await get(a, '/metrics?aggregated=true', 'tenant-a-key')).text;
    expect(aggregated).not.toContain('tenant_id="b"');
  });

  it("a tenant's own family (its definition clashes with the one /metrics serves) is on its reads; a KEY:* key reads every tenant", async () => {
    const a = await analyzer({ apiKeys: [...KEYS, { key: 'relay-key-123', tenant: '*' }], metricsAuth: true });
    expect((await push(a, 'tenant-a-key', { name: 'depth', type: 'gauge', value: 3 })).status).toBe(200);
    // Tenant b calls the same name a histogram: a family of its own, kept off the shared /metrics.
    expect((await push(a, 'tenant-b-key', { name: 'depth', type: 'histogram', value: 9 })).status).toBe(200);
    await a.checkpoint();
    const b = (await get(a, '/metrics', 'tenant-b-key')).text;
    expect(b).toContain('# TYPE depth histogram');
    expect(b).toContain('depth_sum{tenant_id="b"} 9');
    expect(b).not.toContain('tenant_id="a"');
    const relay = (await get(a, '/metrics', 'relay-key-123')).text;
    expect(relay).toContain('depth{tenant_id="a"} 3');
    expect(relay).not.toContain('tenant_id="b"'); // b's own family is served on b's reads only
    expect(relay).toContain('log_analyzer_');
    expect((await get(a, '/api/status', 'relay-key-123')).status).toBe(200);
  });

  it('/health without a full key says what is degraded but not why (a reason may name a file)', async () => {
    const a = await analyzer({ apiKeys: KEYS, metricsAuth: true });
    const health = JSON.parse((await get(a, '/health', null)).text);
    expect(Object.values(health.dependency_details).every((d) => Object.keys(d as object).join() === 'status')).toBe(
      true,
    );
    expect(Object.values(health.dependencies).every((d) => d === 'ok' || d === 'degraded')).toBe(true);
  });
});

describe('pushes need a JSON content type', () => {
  it.each([
    { name: 'none', given: undefined, want: 415 },
    { name: 'text/plain (a cross-site form can send it)', given: 'text/plain', want: 415 },
    { name: 'a form', given: 'application/x-www-form-urlencoded', want: 415 },
    { name: 'application/json', given: 'application/json', want: 200 },
    { name: 'with a charset', given: 'application/json; charset=utf-8', want: 200 },
    { name: 'upper case', given: 'Application/JSON', want: 200 },
    { name: 'a +json type names another format', given: 'application/json-patch+json', want: 415 },
    { name: 'a vendor +json type', given: 'application/vnd.api+json', want: 415 },
    { name: 'a longer subtype', given: 'application/jsonl', want: 415 },
  ])('$name: $want', async ({ given, want }) => {
    const a = await analyzer();
    const body = new TextEncoder().encode(JSON.stringify({ name: 'g', type: 'gauge', value: 1 }));
    // A Uint8Array body: fetch adds no content type of its own.
    const res = await a.app.request('/metrics/track', {
      method: 'POST',
      headers: given ? { 'content-type': given } : {},
      body,
    });
    expect(res.status).toBe(want);
    if (want === 415) expect((await res.json()).reason).toBe('unsupported_media_type');
  });
});

describe('no framing, no inline script, no foreign Host', () => {
  it('every answer has a Content-Security-Policy without inline script, and X-Frame-Options DENY', async () => {
    const a = await analyzer();
    for (const path of ['/ui', '/', '/metrics', '/api/status']) {
      const res = await a.app.request(path);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).not.toContain('unsafe-inline');
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
    }
    // The page itself has no inline script or style to allow.
    const page = await (await a.app.request('/ui')).text();
    expect(page).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=|\son\w+=/i);
  });

  it('bound to loopback: a rebound name is answered 421, localhost and loopback addresses are not refused', async () => {
    const a = await analyzer();
    const port = await a.listen(0, '127.0.0.1');
    const at = (host: string) =>
      Promise.resolve(a.app.request('/api/status', { headers: { host } })).then((r) => r.status);
    expect(await at('evil.example:8080')).toBe(421);
    expect(await at(`localhost:${port}`)).toBe(200);
    expect(await at(`127.0.0.1:${port}`)).toBe(200);
    expect(await at(`[::1]:${port}`)).toBe(200);
  });

  it('--allowed-hosts: only the names listed, and IP addresses', async () => {
    const a = await analyzer({}, { allowedHosts: ['analyzer', '*.example.org'] });
    await a.listen(0, '0.0.0.0');
    const at = (host: string) =>
      Promise.resolve(a.app.request('/metrics', { headers: { host } })).then((r) => r.status);
    expect(await at('analyzer:8080')).toBe(200);
    expect(await at('metrics.example.org')).toBe(200);
    expect(await at('10.0.0.5:8080')).toBe(200);
    expect(await at('evil.example')).toBe(421);
  });
});
