// GET /api/v1/query?query=&time=: an alert-rule expression (rules/promql, the supported subset)
// evaluated at one instant, in Prometheus' HTTP API answer shape, so the same query can be put
// to this analyzer and to a Prometheus and the answers compared. Refusals answer 400 `bad_data`
// with the position; errors only the data reveals answer 422 `execution`, as Prometheus does.

import { Hono } from 'hono';
import { compileExpr } from '../rules/promql/compile.js';
import { type EvalResult, EvaluationError } from '../rules/promql/evaluate.js';
import type { SeriesSource } from '../rules/promql/series-source.js';
import type { ReadEnv } from './read-auth.js';
import { formatValue } from './series-lines.js';

/** `time` as Prometheus takes it: Unix seconds (fractions allowed) or RFC 3339; null when neither. */
export function parseTime(text: string | undefined, now: number): number | null {
  if (text === undefined || text === '') return now;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (!/^\d{4}-\d\d-\d\dT/.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

/** Prometheus' `data` for an instant query's result. */
export function queryData(result: EvalResult, atMs: number): object {
  const t = atMs / 1000;
  if (result.kind === 'scalar') return { resultType: 'scalar', result: [t, formatValue(result.value)] };
  return {
    resultType: 'vector',
    result: result.samples.map((s) => ({ metric: s.labels, value: [t, formatValue(s.value)] })),
  };
}

export function queryRoutes(source: SeriesSource, maxRangeMs: number, now: () => number = Date.now): Hono<ReadEnv> {
  const app = new Hono<ReadEnv>();
  app.get('/api/v1/query', (c) => {
    // A tenant's key reads its own series only: an expression may read every tenant's.
    if (c.get('readTenant'))
      return c.json({ status: 'error', errorType: 'forbidden', error: 'not for a tenant key' }, 403);
    const atMs = parseTime(c.req.query('time'), now());
    if (atMs === null)
      return c.json({ status: 'error', errorType: 'bad_data', error: 'invalid parameter "time"' }, 400);
    const compiled = compileExpr(c.req.query('query') ?? '', { maxRangeMs });
    if (!compiled.ok) {
      const error = `invalid parameter "query": position ${compiled.position}: ${compiled.message}`;
      return c.json({ status: 'error', errorType: 'bad_data', error }, 400);
    }
    try {
      return c.json({ status: 'success', data: queryData(compiled.expr.evaluate(source, atMs), atMs) });
    } catch (error) {
      if (!(error instanceof EvaluationError)) throw error;
      return c.json({ status: 'error', errorType: 'execution', error: error.message }, 422);
    }
  });
  return app;
}
