// The HTTP surface, as a Hono app with no socket: tests call app.request('/metrics').
// GET /metrics (Prometheus text, or OpenMetrics when asked), /health, /api/health, /api/status,
// /metrics/stats, / (links), and the routes the wiring mounts (push, history, the live page).
// /metrics serves the store's *published* values (durable in a checkpoint, taken for the scrape)
// and the live self metrics. Concurrent scrapes share one render; the store's part is rendered once per
// publication. Every request passes the Host check and, with --metrics-auth, read-auth.ts's
// verdict; every answer carries a Content-Security-Policy and no framing.

import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { Registry } from 'prom-client';
import type { Published } from '../store/checkpointer.js';
import { type AggregationDefaults, exportQuery } from './export-query.js';
import { type ExpositionFamily, registryFamilies, render, storeBlocks, storeFamilies } from './exposition.js';
import type { JsonFamily } from './exposition-json.js';
import type { Aggregation } from './history-queries.js';
import { undecodableParameter } from './query-text.js';
import { presentedKey, type ReadEnv, type ReadKey, readRule, readVerdict, tenantSnapshot } from './read-auth.js';

/** The [aggregation] settings' defaults over the history's default step (10 s) and rollup window (24 h). */
const DEFAULT_AGGREGATION: AggregationDefaults = {
  types: ['avg', 'sum', 'min', 'max'],
  windowSeconds: 300,
  minWindowSeconds: 10,
  maxWindowSeconds: 86_400,
};

export interface HttpAppOptions {
  published: () => Published;
  /** Makes what is counted so far durable and published (a checkpoint); awaited before a render. */
  refresh?: () => Promise<void>;
  selfRegistry: Registry;
  version: string;
  startedAt: number;
  status: () => object | Promise<object>;
  /** The build's commit, for /health. */
  commit: string;
  /** Each source's health: `ok`, or `degraded` with why. */
  dependencies: () => Record<string, { status: 'ok' | 'degraded'; reason?: string }>;
  /** ACCESS_ENV (--env): reported in /health and /api/status, changes nothing else. */
  environment?: string;
  /** GET /metrics/stats, without the exporter part (added here). */
  stats: () => { collector: object; aggregator: object };
  /**
   * When set (--metrics-auth), reads need a key too: the presented key's tenant (null: every
   * tenant), or undefined when it matches none (export/read-auth.ts says which paths).
   */
  readAuth?: (key: string | null) => ReadKey | undefined;
  /** Whether a request's Host header is answered (export/host-check.ts); absent: any. */
  hostAllowed?: (host: string | undefined) => boolean;
  /** /metrics?aggregated=true: aggregates over a window of the history, as Prometheus text (one tenant's, or all). */
  aggregated?: (tenant: string | null, aggregation: Aggregation) => string;
  /** The aggregation's defaults and bounds ([aggregation] settings, the history's step and retention). */
  aggregation?: AggregationDefaults;
  /** /metrics?format=json: the Prometheus text it is made from, parsed into families (exposition-json.ts). */
  toJson?: (text: string) => JsonFamily[];
  /** More families in Prometheus text (a scrape target's, re-exported); not in OpenMetrics. */
  extraText?: () => string;
  /** Where the exposition is served (default /metrics). */
  metricsPath?: string;
  /** More routes (push, the history's JSON, the live page), mounted at the root in this order. */
  routes?: Hono<ReadEnv>[];
  /** Runs first on every request: its id, its log line and span (export/request-log.ts). */
  requestLog?: MiddlewareHandler;
}

const LANDING = (version: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>log-analyzer</title></head>
<body><h1>log-analyzer ${version}</h1>
<p>Apache access logs as Prometheus metrics.</p>
<ul>
<li><a href="/ui">/ui</a> — the live page: traffic, latency, errors, and every series' history</li>
<li><a href="/metrics">/metrics</a> — Prometheus exposition (<a href="/metrics?format=openmetrics">OpenMetrics</a>, <a href="/metrics?format=json">JSON</a>, <a href="/metrics?aggregated=true">aggregates over a window</a>)</li>
<li><a href="/metrics/series">/metrics/series</a> — each series' last hour; /metrics/trends/NAME?hours=24 — its trend and anomalies</li>
<li><a href="/health">/health</a> — liveness and each source's health</li>
<li><a href="/api/status">/api/status</a> (also /status) — discovery, checkpoint, files, offsets, lag, pool and ingestion</li>
<li><a href="/metrics/stats">/metrics/stats</a> — pushed points, series and exports</li>
<li>POST /api/metrics, /metrics/track, /metrics/track/batch, /update — push metrics (see the README)</li>
<li>PUT, POST, DELETE /metrics/job/… — the Pushgateway API (<a href="/api/v1/metrics">its groups</a>)</li>
</ul></body></html>
`;

/**
 * The live page's scripts and styles are files of its own origin: no inline script or style, no
 * framing (clickjacking), no plugins, no form posts elsewhere.
 */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * /health's `dependencies` as the metrics-service API's clients read them, one word per component:
 * each source's own, `collector` (what takes data in: files, push, queue), `aggregator` (the store
 * and its checkpoint) and `exporter` (this answer is proof it serves). The worst word wins.
 */
export function dependencyStrings(details: Record<string, { status: string }>): Record<string, string> {
  const worst = (...names: string[]) =>
    names.map((n) => details[n]?.status).find((s) => s !== undefined && s !== 'ok') ?? 'ok';
  const out: Record<string, string> = {};
  for (const [name, d] of Object.entries(details)) out[name] = d.status;
  out.collector = worst('files', 'push', 'queue', 'pushgateway', 'statsd');
  out.aggregator = worst('checkpoint');
  out.exporter = 'ok';
  return out;
}

/** Whether a route's path (with :params and a trailing *) matches a request's path. */
function routeMatches(route: string, path: string): boolean {
  const pattern = route
    .split('/')
    .map((part) => (part.startsWith(':') ? '[^/]+' : part === '*' ? '.*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${pattern}/?$`).test(path);
}

/** The bytes of a Buffer as a plain Uint8Array (a view, not a copy). */
const view = (b: Buffer) => new Uint8Array(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength);

/**
 * Each chunk's gzip member, made once per chunk: a gzip stream may hold several members one after
 * the other (RFC 1952), which Prometheus and every HTTP client read as one, so a scrape compresses
 * only the families that changed.
 */
const members = new WeakMap<Buffer, Promise<Buffer>>();
const gzipMember = (chunk: Buffer): Promise<Buffer> => {
  let member = members.get(chunk);
  if (!member) {
    member = promisify(gzip)(chunk, { level: 1 });
    members.set(chunk, member);
  }
  return member;
};

/** A rendered exposition: the store's families' chunks (reused while unchanged), then the rest. */
class Rendered {
  /** Its length in bytes (uncompressed). */
  readonly length: number;
  private whole: Buffer | null = null;
  private zipped: Promise<Buffer> | null = null;
  constructor(private readonly chunks: Buffer[]) {
    this.length = chunks.reduce((n, chunk) => n + chunk.length, 0);
  }
  /** The chunks as one body, joined when first asked: a gzip scrape (Prometheus) never needs it. */
  get body(): Buffer {
    this.whole ??= Buffer.concat(this.chunks, this.length);
    return this.whole;
  }
  gzipped(): Promise<Buffer> {
    this.zipped ??= Promise.all(this.chunks.map(gzipMember)).then((parts) => Buffer.concat(parts));
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
      const chunks = storeCache.families.flatMap((family) => storeBlocks(family, openMetrics));
      const extra = openMetrics ? '' : (options.extraText?.() ?? '');
      const rendered = new Rendered([
        ...chunks,
        ...(extra ? [Buffer.from(extra)] : []),
        Buffer.from(render(self, openMetrics)),
      ]);
      last = { rendered, generation: published.generation, at: performance.now() };
      return rendered;
    })().finally(() => {
      inFlight = null;
    });
    return inFlight;
  };
}

/** One tenant's store families as Prometheus text or OpenMetrics (nothing of the files, the process or other tenants). */
function tenantExposition(published: Published, tenant: string, openMetrics: boolean): Buffer {
  // The tenant's own families (a definition that clashes with the one /metrics serves) included.
  const families = storeFamilies(tenantSnapshot(published.snapshot, tenant), tenant);
  return Buffer.concat([
    ...families.flatMap((f) => storeBlocks(f, openMetrics)),
    Buffer.from(openMetrics ? '# EOF\n' : ''),
  ]);
}

export function createHttpApp(options: HttpAppOptions) {
  const { version, startedAt, status } = options;
  const app = new Hono<ReadEnv>();
  const metricsPath = options.metricsPath ?? '/metrics';
  const keyOf = (c: Context) => presentedKey(c.req.header('authorization'), c.req.header('x-api-key'));
  const uptime = () => (Date.now() - startedAt) / 1000;
  const text = sharedRenderer(options, false);
  const openMetrics = sharedRenderer(options, true);
  const exports = { total: 0, lastAt: null as string | null, lastBytes: 0 };

  if (options.requestLog) app.use(options.requestLog);
  // A thrown error is a 500 that request-log.ts logs (with c.error), not Hono's console.error.
  app.onError((error, c) =>
    error instanceof HTTPException ? error.getResponse() : c.text('Internal Server Error', 500),
  );
  // Every answer: no content sniffing, and one spelling of the charset.
  app.use(async (c, next) => {
    await next();
    c.res.headers.set('X-Content-Type-Options', 'nosniff');
    c.res.headers.set('Content-Security-Policy', CSP);
    c.res.headers.set('X-Frame-Options', 'DENY');
    c.res.headers.set('Referrer-Policy', 'no-referrer');
    const type = c.res.headers.get('Content-Type');
    if (type && /charset=UTF-8/.test(type))
      c.res.headers.set('Content-Type', type.replace('charset=UTF-8', 'charset=utf-8'));
  });

  // A foreign Host (DNS rebinding) is not answered; then reads need a key when --metrics-auth.
  app.use(async (c, next) => {
    const host = c.req.header('host');
    if (options.hostAllowed && !options.hostAllowed(host)) {
      return c.json({ error: `Host ${JSON.stringify(host)} is not served here (--allowed-hosts)` }, 421);
    }
    const rule = readRule(c.req.path, metricsPath);
    // A push path is looked at only to refuse a read key (the push routes check keys themselves).
    const auth = options.readAuth && rule !== 'open' ? (options.readAuth(keyOf(c)) ?? null) : undefined;
    const verdict = readVerdict(rule, auth);
    if ('status' in verdict) {
      // Basic (any user name, the key as password) lets a browser ask once and send it again for
      // the live page's stream and JSON, which cannot carry a header of their own; Bearer for
      // programs. Basic first: Chromium does not answer Basic when a challenge it cannot take comes first.
      c.header('WWW-Authenticate', 'Basic realm="log-analyzer", charset="UTF-8"');
      c.header('WWW-Authenticate', 'Bearer realm="log-analyzer"', { append: true });
      return c.json({ error: verdict.error }, verdict.status);
    }
    c.set('readTenant', verdict.tenant);
    await next();
  });

  app.get(metricsPath, async (c) => {
    const tenant = c.get('readTenant');
    const bad = undecodableParameter(c.req.url);
    if (bad) return c.json({ error: `${bad} is not percent-encoded UTF-8` }, 400);
    const query = exportQuery(
      {
        format: c.req.query('format'),
        aggregated: c.req.query('aggregated'),
        aggregation_types: c.req.query('aggregation_types'),
        window_seconds: c.req.query('window_seconds'),
      },
      options.aggregation ?? DEFAULT_AGGREGATION,
    );
    if ('error' in query) return c.json({ error: query.error }, 400);
    const { format } = query;
    const json = (text: string) =>
      c.json({ format: 'json', timestamp: new Date().toISOString(), families: options.toJson?.(text) ?? [] });
    if (query.aggregated && options.aggregated) {
      const aggregatedText = options.aggregated(tenant, query.aggregated);
      if (format === 'json') return json(aggregatedText);
      const om = format === 'openmetrics';
      return c.body(om ? `${aggregatedText}# EOF\n` : aggregatedText, 200, {
        'Content-Type': om ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE,
      });
    }
    const om =
      format === 'openmetrics' ||
      (format === undefined && (c.req.header('accept') ?? '').includes('application/openmetrics-text'));
    const headers: Record<string, string> = {
      'Content-Type': om ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE,
      Vary: 'Accept, Accept-Encoding, Authorization',
    };
    if (tenant !== null) {
      await options.refresh?.();
      const body = tenantExposition(options.published(), tenant, om);
      return format === 'json' ? json(body.toString()) : c.body(view(body), 200, headers);
    }
    const rendered = await (om ? openMetrics() : text());
    exports.total++;
    exports.lastAt = new Date().toISOString();
    exports.lastBytes = rendered.length;
    // JSON is made from the Prometheus text itself: the same values, every family, whatever serves them.
    if (format === 'json') return json(rendered.body.toString());
    // Prometheus asks for gzip: ten times fewer bytes to write per scrape.
    if (/\bgzip\b/.test(c.req.header('accept-encoding') ?? '')) {
      return c.body(view(await rendered.gzipped()), 200, { ...headers, 'Content-Encoding': 'gzip' });
    }
    return c.body(view(rendered.body), 200, headers);
  });
  /** /health for anyone; the reasons (they may name files) only with a full key when --metrics-auth. */
  const health = (c: Context) => {
    const full = !options.readAuth || options.readAuth(keyOf(c))?.tenant === null;
    const dependencies = Object.fromEntries(
      Object.entries(options.dependencies()).map(([name, d]) => [name, full ? d : { status: d.status }]),
    );
    const degraded = Object.values(dependencies).some((d) => d.status !== 'ok');
    const seconds = uptime(); // one reading under both names
    return {
      service: 'log-analyzer',
      status: degraded ? 'degraded' : 'ok',
      uptime_seconds: seconds,
      uptimeSeconds: seconds,
      version,
      commit: options.commit,
      ...(options.environment === undefined ? {} : { environment: options.environment }),
      dependencies: dependencyStrings(dependencies),
      dependency_details: dependencies,
    };
  };
  // Degraded still answers 200: the process serves; the body says which source is in trouble.
  app.get('/health', (c) => c.json(health(c)));
  app.get('/api/health', (c) => c.json(health(c)));
  app.get('/metrics/stats', (c) =>
    c.json({
      ...options.stats(),
      exporter: {
        total_exports: exports.total,
        last_export: exports.lastAt,
        last_export_at: exports.lastAt,
        last_export_bytes: exports.lastBytes,
      },
      timestamp: new Date().toISOString(),
    }),
  );
  // /status: the exporter API's name for it.
  const statusRoute = async (c: Context) =>
    c.json({
      version,
      uptimeSeconds: uptime(),
      ...(options.environment === undefined ? {} : { environment: options.environment }),
      ...(await status()),
      ingestion: options.stats(),
    });
  app.get('/api/status', statusRoute);
  app.get('/status', statusRoute);
  for (const routes of options.routes ?? []) app.route('/', routes);
  app.get('/', (c) => c.html(LANDING(version)));
  // Browsers ask it of every page that names no icon (/metrics, a style sheet): no content, kept a day.
  app.get('/favicon.ico', (c) => c.body(null, 204, { 'Cache-Control': 'public, max-age=86400' }));
  app.notFound((c) => {
    // A known path asked with another method: 405, saying which methods it takes.
    const methods = new Set(
      app.routes.filter((r) => r.method !== 'ALL' && routeMatches(r.path, c.req.path)).map((r) => r.method),
    );
    if (methods.has('GET')) methods.add('HEAD');
    if (methods.size === 0) return c.json({ error: 'not found', path: c.req.path }, 404);
    const allow = [...methods].sort().join(', ');
    return c.json({ error: `${c.req.method} is not allowed here (${allow})`, path: c.req.path }, 405, { Allow: allow });
  });
  return app;
}
