// GET /metrics/forecast/:name?hours=&horizon=&labels=: forecast-answer.ts over the history. Each
// bad parameter is answered 400 naming it; the answer is bounded: at most the `hours` of history
// (360 points or 288 rollups with the defaults) and as many forecast points. A tenant's key
// (read-auth.ts) reads its own tenant's series only.

import { Hono } from 'hono';
import type { History } from '../history/history.js';
import { forecastAnswer } from './forecast-answer.js';
import { parseSelectors } from './history-queries.js';
import type { ReadEnv } from './read-auth.js';

export const MAX_LABELS_TEXT = 2048;
export const MAX_LABELS = 32;
const NUMBER = /^(\d+(\.\d*)?|\.\d+)$/;

/** Pure: `labels` as JSON ({"k":"v"}) or as k=v,k2=v2 → labels, or why not. */
export function parseForecastLabels(text: string | undefined): Record<string, string> | string {
  if (text === undefined || text === '') return {};
  if (text.length > MAX_LABELS_TEXT) return `labels must be at most ${MAX_LABELS_TEXT} characters`;
  let labels: Record<string, string> | null;
  if (text.trimStart().startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return 'labels is not valid JSON';
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'labels must be a JSON object';
    if (!Object.values(parsed).every((v) => typeof v === 'string')) return 'labels must map names to strings';
    labels = { ...(parsed as Record<string, string>) };
  } else {
    labels = parseSelectors(text);
    if (!labels) return 'labels must be a JSON object or look like name=value,name2=value2';
  }
  if (Object.keys(labels).length > MAX_LABELS) return `labels may name at most ${MAX_LABELS} labels`;
  return labels;
}

export function forecastRoutes(history: History, now: () => number = Date.now): Hono<ReadEnv> {
  const app = new Hono<ReadEnv>();
  app.get('/metrics/forecast/:name', (c) => {
    const maxHours = history.options.rollupWindowMs / 3_600_000;
    const hoursText = c.req.query('hours') ?? '1';
    const hours = Number(hoursText);
    if (!NUMBER.test(hoursText) || !(hours > 0) || hours > maxHours) {
      return c.json({ error: `hours must be a number above 0 and at most ${maxHours}` }, 400);
    }
    const horizonText = c.req.query('horizon');
    const horizon = horizonText === undefined ? null : Number(horizonText);
    if (horizonText !== undefined && (!NUMBER.test(horizonText) || !(Number(horizon) > 0) || Number(horizon) > hours)) {
      return c.json({ error: `horizon must be a number of hours above 0 and at most hours (${hours})` }, 400);
    }
    const labels = parseForecastLabels(c.req.query('labels'));
    if (typeof labels === 'string') return c.json({ error: labels }, 400);
    const tenant = c.get('readTenant');
    if (tenant) labels.tenant_id = tenant;
    return c.json(forecastAnswer(history, c.req.param('name'), { hours, horizon, labels }, now()));
  });
  return app;
}
