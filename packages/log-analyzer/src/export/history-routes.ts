// GET /metrics/series and GET /metrics/trends/:name: what the short-term history holds
// (history/), as JSON. Bad parameters are answered 400 naming the parameter; an answer is bounded
// (MAX_ANSWER_POINTS). A tenant's key (read-auth.ts) reads its own tenant's series only, whatever
// the query says.

import { Hono } from 'hono';
import type { History } from '../history/history.js';
import { TENANT } from '../transforms/push/decode.js';
import { parseSelectors, seriesAnswer, trendAnswer } from './history-queries.js';
import { undecodableParameter } from './query-text.js';
import type { ReadEnv } from './read-auth.js';

/** The longest `service` a query may name: a pushed label value is at most 1 KiB by default (--push-max-label-bytes). */
export const MAX_QUERY_SERVICE_BYTES = 1024;

/** The most points one series answer carries (about 25 MB of JSON): `limit` × points per series stays under it. */
export const MAX_ANSWER_POINTS = 500_000;

export function historyRoutes(history: History, now: () => number = Date.now, trendHours = 24): Hono<ReadEnv> {
  const app = new Hono<ReadEnv>();
  app.get('/metrics/series', (c) => {
    const limitText = c.req.query('limit') ?? '100';
    const limit = Number(limitText);
    const most = Math.max(1, Math.min(10_000, Math.floor(MAX_ANSWER_POINTS / history.pointsPerSeries)));
    if (!/^\d+$/.test(limitText) || limit < 1 || limit > most) {
      return c.json({ error: `limit must be a whole number from 1 to ${most}` }, 400);
    }
    const bad = undecodableParameter(c.req.url);
    if (bad) return c.json({ error: `${bad} is not percent-encoded UTF-8` }, 400);
    const q = (k: string) => c.req.query(k) || undefined;
    const service = q('service');
    if (service !== undefined && Buffer.byteLength(service) > MAX_QUERY_SERVICE_BYTES) {
      return c.json({ error: `service is longer than ${MAX_QUERY_SERVICE_BYTES} bytes` }, 400);
    }
    const asked = q('tenant');
    if (asked !== undefined && !TENANT.test(asked)) {
      return c.json({ error: 'tenant must be 1 to 64 letters, digits, _ . or -' }, 400);
    }
    const tenant = c.get('readTenant') ?? asked;
    return c.json(seriesAnswer(history, { name: q('name'), service, tenant, limit }, now()));
  });
  app.get('/metrics/trends/:name', (c) => {
    // [aggregation] trend_hours (24) when not asked, within what the rollups keep.
    const hoursText = c.req.query('hours') ?? String(Math.min(trendHours, history.options.rollupWindowMs / 3_600_000));
    const hours = Number(hoursText);
    const maxHours = history.options.rollupWindowMs / 3_600_000;
    if (!Number.isFinite(hours) || hours <= 0 || hours > maxHours) {
      return c.json({ error: `hours must be a number above 0 and at most ${maxHours}` }, 400);
    }
    const labels = parseSelectors(c.req.query('labels'));
    if (!labels) return c.json({ error: 'labels must look like name=value,name2=value2' }, 400);
    const tenant = c.get('readTenant');
    if (tenant) labels.tenant_id = tenant;
    return c.json(trendAnswer(history, c.req.param('name'), hours, labels, now()));
  });
  return app;
}
