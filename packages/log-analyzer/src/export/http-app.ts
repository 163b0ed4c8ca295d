// The HTTP surface, as a Hono app with no socket: tests call app.request('/metrics').
// GET /metrics (Prometheus text, or OpenMetrics when asked), /health, /api/status, / (links).
// /metrics serves the store's *published* values (durable in a checkpoint, taken for the scrape)
// and the live self metrics. Concurrent scrapes share one render; the store's part is rendered once per
// publication.

import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Hono } from 'hono';
import { Registry } from 'prom-client';
import type { Published } from '../store/checkpointer.js';
import { type ExpositionFamily, registryFamilies, render, storeFamilies } from './exposition.js';

export interface HttpAppOptions {
  published: () => Published;
  /** Makes what is counted so far durable and published (a checkpoint); awaited before a render. */
  refresh?: () => Promise<void>;
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

/** The bytes of a Buffer as a plain Uint8Array (a view, not a copy). */
const view = (b: Buffer) => new Uint8Array(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength);

/** A rendered exposition, encoded once and gzipped at most once, whoever asks. */
class Rendered {
  readonly body: Buffer;
  private zipped: Promise<Buffer> | null = null;
  constructor(text: string) {
    this.body = Buffer.from(text);
  }
  gzipped(): Promise<Buffer> {
    this.zipped ??= promisify(gzip)(this.body, { level: 1 });
    return this.zipped;
  }
}

/** How long one render serves every scrape (of the same publication): a storm costs one render a second. */
const RENDER_REUSE_MS = 1000;

/**
 * One render at a time per format; callers that arrive meanwhile, or within RENDER_REUSE_MS of it
 * for the same publication, share it (the self metrics are then up to a second old). The store's
 * part is rendered once per publication.
 */
function sharedRenderer(options: HttpAppOptions, openMetrics: boolean): () => Promise<Rendered> {
  let storeCache: { generation: number; families: ExpositionFamily[] } | null = null;
  let inFlight: Promise<Rendered> | null = null;
  let last: { rendered: Rendered; generation: number; at: number } | null = null;
  return async () => {
    if (inFlight) return inFlight;
    // Fresh and durable at once: a scrape takes a checkpoint (coalesced, skipped when nothing moved).
    await options.refresh?.();
    if (inFlight) return inFlight;
    const generation = options.published().generation;
    if (last && last.generation === generation && performance.now() - last.at < RENDER_REUSE_MS) {
      return Promise.resolve(last.rendered);
    }
    inFlight = (async () => {
      const published = options.published();
      if (storeCache?.generation !== published.generation) {
        storeCache = { generation: published.generation, families: storeFamilies(published.snapshot) };
      }
      const self = await registryFamilies(options.selfRegistry);
      const rendered = new Rendered(render([...storeCache.families, ...self], openMetrics));
      last = { rendered, generation: published.generation, at: performance.now() };
      return rendered;
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
    const om = (c.req.header('accept') ?? '').includes('application/openmetrics-text');
    const rendered = await (om ? openMetrics() : text());
    const headers: Record<string, string> = {
      'Content-Type': om ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE,
      Vary: 'Accept, Accept-Encoding',
    };
    // Prometheus asks for gzip: ten times fewer bytes to write per scrape.
    if (/\bgzip\b/.test(c.req.header('accept-encoding') ?? '')) {
      return c.body(view(await rendered.gzipped()), 200, { ...headers, 'Content-Encoding': 'gzip' });
    }
    return c.body(view(rendered.body), 200, headers);
  });
  app.get('/health', (c) => c.json({ status: 'ok', uptimeSeconds: uptime() }));
  app.get('/api/status', async (c) => c.json({ version, uptimeSeconds: uptime(), ...(await status()) }));
  app.get('/', (c) => c.html(LANDING(version)));
  app.notFound((c) => c.json({ error: 'not found', path: c.req.path }, 404));
  return app;
}
