import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createHttpApp } from './http-app.js';

function app() {
  const registry = new Registry();
  const c = new Counter({
    name: 'demo_lines_total',
    help: 'Demo "help".',
    labelNames: ['file'],
    registers: [registry],
  });
  c.inc({ file: 'a"b\\c' }, 3);
  return createHttpApp({ registry, version: '1.2.3', startedAt: Date.now() - 5000, status: () => ({ files: [] }) });
}

describe('http app', () => {
  it('serves Prometheus text with its exact content type', async () => {
    const res = await app().request('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await res.text()).toContain('demo_lines_total{file="a\\"b\\\\c"} 3');
  });

  it('serves OpenMetrics when the Accept header asks, and plain text again afterwards', async () => {
    const a = app();
    const om = await a.request('/metrics', { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
    expect(om.headers.get('content-type')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    const body = await om.text();
    expect(body).toContain('# TYPE demo_lines counter');
    expect(body).toContain('demo_lines_total{file="a\\"b\\\\c"} 3');
    expect(body.endsWith('# EOF\n')).toBe(true);
    expect(await (await a.request('/metrics')).text()).toContain('# TYPE demo_lines_total counter');
  });

  it('answers /health and /api/status with JSON', async () => {
    const health = (await (await app().request('/health')).json()) as { status: string; uptimeSeconds: number };
    expect(health.status).toBe('ok');
    expect(health.uptimeSeconds).toBeGreaterThanOrEqual(5);
    expect(await (await app().request('/api/status')).json()).toMatchObject({ version: '1.2.3', files: [] });
  });

  it('links the endpoints from /', async () => {
    const html = await (await app().request('/')).text();
    for (const path of ['/metrics', '/health', '/api/status']) expect(html).toContain(`href="${path}"`);
  });

  it('answers unknown paths with a JSON 404', async () => {
    const res = await app().request('/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'not found', path: '/nope' });
  });
});
