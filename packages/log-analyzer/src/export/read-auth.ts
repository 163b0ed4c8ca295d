// Who may read what, with --metrics-auth: every read endpoint needs a key, as /metrics does; a
// key with a tenant reads only its tenant's pushed series (/metrics, /metrics/series, trends,
// forecasts, the live page) and nothing that shows files, other tenants or the whole process (/api/status,
// /metrics/stats). A key's role (sources/push/api-keys.ts) narrows it: write keys read nothing,
// read keys push nothing and do not see the status; admin keys and keys with no role stated do all.
// Open to anyone: the landing page, its icon and the health probes (whose error reasons need a full key).
// The verdicts are pure; http-app.ts applies them to each request.

import type { StoreSnapshot } from '../store/store.js';

/** What a presented key matched (sources/push/api-keys.ts KeyMatch): its tenant, and its role (null: not stated). */
export interface ReadKey {
  tenant: string | null;
  role: 'write' | 'read' | 'admin' | null;
}

/**
 * What a path needs: nothing, a reading key (a tenant's reads only its own; `page`: the live page,
 * whose file traffic a tenant's key does not see), an admin key without a tenant, or the push routes' own auth.
 */
export type ReadRule = 'open' | 'tenant' | 'page' | 'full' | 'push';

/** The hono context's variable: the tenant a request reads as (null: every tenant). */
export type ReadEnv = { Variables: { readTenant: string | null } };

const PUSH_PATHS = new Set([
  '/api/metrics',
  '/metrics/track',
  '/metrics/track/batch',
  '/update',
  '/v1/metrics',
  '/api/v1/write',
]);
const OPEN_PATHS = new Set(['/', '/favicon.ico', '/health', '/api/health', '/-/healthy', '/-/ready']);
/** The Pushgateway API's groups (sources/pushgateway/): checked with the push keys there. */
const PUSHGATEWAY_PATH = /^(\/add)?\/metrics\/job(@base64)?\//;

export function readRule(path: string, metricsPath: string): ReadRule {
  const p = path.length > 1 ? path.replace(/\/$/, '') : path;
  if (PUSH_PATHS.has(p) || PUSHGATEWAY_PATH.test(p)) return 'push';
  if (OPEN_PATHS.has(p)) return 'open';
  if (p === metricsPath || p === '/metrics/series' || p.startsWith('/metrics/trends/')) return 'tenant';
  if (p.startsWith('/metrics/forecast/')) return 'tenant'; // forecast-routes.ts reads the tenant's series only
  if (p === '/ui' || p.startsWith('/ui/')) return 'page';
  return 'full';
}

export type ReadVerdict = { tenant: string | null } | { status: 401 | 403; error: string };

/**
 * A request's verdict: `auth` is off (undefined), or the key it presented matched (its tenant
 * and role) or did not (null). On a push path only a read key is refused here (the push routes
 * check the key themselves).
 */
export function readVerdict(
  rule: ReadRule,
  auth: { tenant: string | null; role?: ReadKey['role'] } | null | undefined,
): ReadVerdict {
  if (rule === 'open' || auth === undefined) return { tenant: null };
  if (rule === 'push') {
    return auth?.role === 'read' ? { status: 403, error: 'this key may only read (role=read)' } : { tenant: null };
  }
  if (auth === null) return { status: 401, error: 'a valid API key is needed (--metrics-auth)' };
  if (auth.role === 'write') return { status: 403, error: 'this key may only push (role=write)' };
  if (rule === 'full' && auth.tenant !== null) {
    return {
      status: 403,
      error: "a tenant's key reads only its series: /metrics, /metrics/series, /metrics/trends, /metrics/forecast, /ui",
    };
  }
  if (rule === 'full' && auth.role === 'read') {
    return { status: 403, error: 'the status needs an admin key (role=admin)' };
  }
  return { tenant: auth.tenant };
}

/** The key a request presents: `Authorization: Bearer KEY`, `X-API-Key: KEY`, or Basic with the key as password (a browser's prompt, for /ui). */
export function presentedKey(authorization: string | undefined, apiKey: string | undefined): string | null {
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
  if (basic) {
    const text = Buffer.from(basic[1] as string, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    return colon < 0 ? null : text.slice(colon + 1) || null;
  }
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return bearer?.[1] ?? apiKey?.trim() ?? null;
}

/** A snapshot with only the series labelled tenant_id=TENANT, and only the families that have one. Pure. */
export function tenantSnapshot(snapshot: StoreSnapshot, tenant: string): StoreSnapshot {
  const families: StoreSnapshot['families'] = [];
  for (const family of snapshot.families) {
    const series = family.series.filter((s) => {
      const at = (s.names ?? family.labelNames).indexOf('tenant_id');
      return at >= 0 && s.labels[at] === tenant;
    });
    if (series.length > 0) families.push({ ...family, series });
  }
  return { families };
}
