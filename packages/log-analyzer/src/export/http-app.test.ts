import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Published } from '../store/checkpointer.js';
import { Store } from '../store/store.js';
import { createHttpApp, dependencyStrings } from './http-app.js';

function app(published: () => Published = () => ({ snapshot: { families: [] }, generation: 1, at: 1 })) {
  const selfRegistry = new Registry();
  const c = new Counter({
    name: 'demo_lines_total',
    help: 'Demo "help".',
    labelNames: ['file'],
    registers: [selfRegistry],
  });
  c.inc({ file: 'a"b\\c' }, 3);
  return createHttpApp({
    published,
    selfRegistry,
    version: '1.2.3',
    startedAt: Date.now() - 5000,
    status: () => ({ files: [] }),
    commit: 'abc123',
    dependencies: () => ({ files: { status: 'ok' } }),
    stats: () => ({ collector: {}, aggregator: {} }),
  });
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

  it('serves the published snapshot of the store, not its live values, before the self metrics', async () => {
    const store = new Store();
    const lines = store.family({ name: 'log_lines_total', help: 'Lines.', kind: 'counter', labelNames: ['file'] });
    lines.inc(['a.log'], 5);
    let published: Published = { snapshot: store.snapshot(), generation: 1, at: 1 };
    const a = app(() => published);
    lines.inc(['a.log'], 2); // live, not yet checkpointed
    const first = await (await a.request('/metrics')).text();
    expect(first).toContain('log_lines_total{file="a.log"} 5\n');
    expect(first.indexOf('log_lines_total')).toBeLessThan(first.indexOf('demo_lines_total'));
    published = { snapshot: store.snapshot(), generation: 2, at: 2 };
    expect(await (await a.request('/metrics')).text()).toContain('log_lines_total{file="a.log"} 7\n');
  });

  it('answers /health and /api/status with JSON', async () => {
    const health = (await (await app().request('/health')).json()) as { status: string; uptimeSeconds: number };
    expect(health.status).toBe('ok');
    expect(health.uptimeSeconds).toBeGreaterThanOrEqual(5);
    expect(await (await app().request('/api/status')).json()).toMatchObject({ version: '1.2.3', files: [] });
  });

  it('answers /status as /api/status (the exporter API names it so)', async () => {
    const a = app();
    const [status, api] = await Promise.all(['/status', '/api/status'].map(async (p) => (await a.request(p)).json()));
    const { uptimeSeconds: _a, ...rest } = status as Record<string, unknown>;
    const { uptimeSeconds: _b, ...apiRest } = api as Record<string, unknown>;
    expect(rest).toEqual(apiRest);
    expect(rest).toMatchObject({ version: '1.2.3', files: [], ingestion: { collector: {}, aggregator: {} } });
  });

  it('/metrics/stats has the API shape: exporter.last_export and timestamp beside the extra fields', async () => {
    const a = app();
    await a.request('/metrics');
    const stats = (await (await a.request('/metrics/stats')).json()) as Record<string, Record<string, unknown>>;
    expect(stats.exporter).toMatchObject({ total_exports: 1, last_export_bytes: expect.any(Number) });
    expect(stats.exporter?.last_export).toBe(stats.exporter?.last_export_at);
    expect(Date.parse(String(stats.timestamp))).toBeGreaterThan(0);
  });

  it('links the endpoints from /', async () => {
    const html = await (await app().request('/')).text();
    for (const path of ['/metrics', '/health', '/api/status']) expect(html).toContain(`href="${path}"`);
  });

  it.each([
    ['DELETE', '/metrics', 'GET, HEAD'],
    ['POST', '/health', 'GET, HEAD'],
    ['PUT', '/', 'GET, HEAD'],
  ])('%s %s: 405 with Allow: %s', async (method, path, allow) => {
    const res = await app().request(path, { method });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe(allow);
    expect(((await res.json()) as { error: string }).error).toContain(method);
  });

  it('every answer says nosniff, and spells its charset one way', async () => {
    for (const path of ['/', '/metrics', '/health', '/nowhere']) {
      const res = await app().request(path);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('content-type'), path).not.toMatch(/UTF-8/);
    }
  });

  it('answers unknown paths with a JSON 404', async () => {
    const res = await app().request('/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'not found', path: '/nope' });
  });
});

describe('http app gzip', () => {
  it('a gzipped answer (one member per store family) unzips to exactly the plain one', async () => {
    const { gunzipSync } = await import('node:zlib');
    const store = new Store();
    const lines = store.family({ name: 'log_lines_total', help: 'Lines.', kind: 'counter', labelNames: ['file'] });
    lines.inc(['a.log'], 3);
    store
      .family({ name: 'x_seconds', help: 'X.', kind: 'histogram', labelNames: ['f'], bounds: [1] })
      .observe(['a'], [1, 0], 0.5, 1);
    let generation = 1;
    const a = app(() => ({ snapshot: store.snapshot(), generation, at: 1 }));
    const plain = await (await a.request('/metrics')).text();
    generation++;
    const zipped = await a.request('/metrics', { headers: { 'accept-encoding': 'gzip' } });
    expect(zipped.headers.get('content-encoding')).toBe('gzip');
    const unzipped = gunzipSync(Buffer.from(await zipped.arrayBuffer())).toString();
    // The self metrics' values may move between the two; the store's part must match exactly.
    expect(unzipped.slice(0, unzipped.indexOf('# HELP demo'))).toBe(plain.slice(0, plain.indexOf('# HELP demo')));
    expect(plain).toContain('log_lines_total{file="a.log"} 3\n\n# HELP x_seconds X.');
    expect(unzipped).toMatch(/\n$/);
  });
});

describe('dependencyStrings (/health dependencies as the API reads them)', () => {
  const table: { name: string; given: Record<string, { status: string }>; want: Record<string, string> }[] = [
    {
      name: 'all ok',
      given: { files: { status: 'ok' }, checkpoint: { status: 'ok' } },
      want: { files: 'ok', checkpoint: 'ok', collector: 'ok', aggregator: 'ok', exporter: 'ok' },
    },
    {
      name: 'a degraded queue makes the collector degraded',
      given: { files: { status: 'ok' }, checkpoint: { status: 'ok' }, queue: { status: 'degraded' } },
      want: {
        files: 'ok',
        checkpoint: 'ok',
        queue: 'degraded',
        collector: 'degraded',
        aggregator: 'ok',
        exporter: 'ok',
      },
    },
    {
      name: 'a degraded checkpoint makes the aggregator degraded',
      given: { files: { status: 'ok' }, checkpoint: { status: 'degraded' } },
      want: { files: 'ok', checkpoint: 'degraded', collector: 'ok', aggregator: 'degraded', exporter: 'ok' },
    },
  ];
  for (const { name, given, want } of table) it(name, () => expect(dependencyStrings(given)).toEqual(want));
});
