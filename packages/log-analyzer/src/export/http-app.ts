// The HTTP surface, as a Hono app with no socket: tests call app.request('/metrics').
// GET /metrics (Prometheus text, or OpenMetrics when asked), /health, /api/status, / (links).
// /metrics serves the store's last *published* values (durable in a checkpoint) and the live
// self metrics. Concurrent scrapes share one render; the store's part is rendered once per
// publication.

import { Hono } from 'hono';
import { Registry } from 'prom-client';
import type { Published } from '../store/checkpointer.js';
import { type ExpositionFamily, registryFamilies, render, storeFamilies } from './exposition.js';

export interface HttpAppOptions {
  published: () => Published;
  selfRegistry: Registry;
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
<li><a href="/api/status">/api/status</a> — discovery, checkpoint, files, offsets, lag and pool</li>
</ul></body></html>
`;

/** One render at a time per format; callers that arrive meanwhile get the same text. */
function sharedRenderer(options: HttpAppOptions, openMetrics: boolean): () => Promise<string> {
  let storeCache: { generation: number; families: ExpositionFamily[] } | null = null;
  let inFlight: Promise<string> | null = null;
  return () => {
    if (inFlight) return inFlight;
    inFlight = (async () => {
      const published = options.published();
      if (storeCache?.generation !== published.generation) {
        storeCache = { generation: published.generation, families: storeFamilies(published.snapshot) };
      }
      const self = await registryFamilies(options.selfRegistry);
      return render([...storeCache.families, ...self], openMetrics);
    })().finally(() => {
      inFlight = null;
    });
    return inFlight;
  };
}

export function createHttpApp(options: HttpAppOptions) {
  const { version, startedAt, status } = options;
  const app = new Hono();
  const uptime = () => (Date.now() - startedAt) / 1000;
  const text = sharedRenderer(options, false);
  const openMetrics = sharedRenderer(options, true);

  app.get('/metrics', async (c) => {
    const accept = c.req.header('accept') ?? '';
    if (accept.includes('application/openmetrics-text')) {
      return c.body(await openMetrics(), 200, { 'Content-Type': Registry.OPENMETRICS_CONTENT_TYPE });
    }
    return c.body(await text(), 200, { 'Content-Type': Registry.PROMETHEUS_CONTENT_TYPE });
  });
  app.get('/health', (c) => c.json({ status: 'ok', uptimeSeconds: uptime() }));
  app.get('/api/status', async (c) => c.json({ version, uptimeSeconds: uptime(), ...(await status()) }));
  app.get('/', (c) => c.html(LANDING(version)));
  app.notFound((c) => c.json({ error: 'not found', path: c.req.path }, 404));
  return app;
}
