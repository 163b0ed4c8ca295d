// The HTTP surface, as a Hono app with no socket: tests call app.request('/metrics').
// GET /metrics (Prometheus text, or OpenMetrics when asked), /health, /api/status, / (links).

import { Hono } from 'hono';
import { Registry } from 'prom-client';
import { renderOpenMetrics } from './open-metrics.js';

export interface HttpAppOptions {
  registry: Registry;
  version: string;
  startedAt: number;
  status: () => object | Promise<object>;
}

const LANDING = (version: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>log-analyzer</title></head>
<body><h1>log-analyzer ${version}</h1>
<p>Apache access logs as Prometheus metrics.</p>
<ul>
<li><a href="/metrics">/metrics</a> — Prometheus exposition</li>
<li><a href="/health">/health</a> — liveness</li>
<li><a href="/api/status">/api/status</a> — files, offsets, lag and pool</li>
</ul></body></html>
`;

export function createHttpApp({ registry, version, startedAt, status }: HttpAppOptions) {
  const app = new Hono();
  const uptime = () => (Date.now() - startedAt) / 1000;

  app.get('/metrics', async (c) => {
    const accept = c.req.header('accept') ?? '';
    if (accept.includes('application/openmetrics-text')) {
      return c.body(await renderOpenMetrics(registry), 200, { 'Content-Type': Registry.OPENMETRICS_CONTENT_TYPE });
    }
    return c.body(await registry.metrics(), 200, { 'Content-Type': Registry.PROMETHEUS_CONTENT_TYPE });
  });
  app.get('/health', (c) => c.json({ status: 'ok', uptimeSeconds: uptime() }));
  app.get('/api/status', async (c) => c.json({ version, uptimeSeconds: uptime(), ...(await status()) }));
  app.get('/', (c) => c.html(LANDING(version)));
  app.notFound((c) => c.json({ error: 'not found', path: c.req.path }, 404));
  return app;
}
