// GET /api/v1/alerts and GET /api/v1/rules in Prometheus' API shapes, so tools that read a
// Prometheus' alerts (Grafana, Karma, scripts) read these too. Only alerting rules exist here.

import { Hono } from 'hono';
import { apiTime, apiValue } from '../rules/alert-labels.js';
import type { AlertInstance, RuleEngine } from '../rules/rule-engine.js';
import type { ReadEnv } from './read-auth.js';

/** An active alert as Prometheus' APIs write it. */
function alertJson(a: AlertInstance) {
  return {
    labels: a.labels,
    annotations: a.annotations,
    state: a.state,
    activeAt: apiTime(a.activeAt),
    ...(a.keepFiringSince ? { keepFiringSince: apiTime(a.keepFiringSince) } : {}),
    value: apiValue(a.value),
  };
}

const active = (a: AlertInstance) => a.state !== 'inactive';

export function alertsRoutes(engine: () => RuleEngine<unknown> | null): Hono<ReadEnv> {
  const app = new Hono<ReadEnv>();
  app.get('/api/v1/alerts', (c) => {
    const alerts = (engine()?.snapshot() ?? []).flatMap((g) =>
      g.rules.flatMap((r) => r.alerts.filter(active).map(alertJson)),
    );
    return c.json({ status: 'success', data: { alerts } });
  });
  app.get('/api/v1/rules', (c) => {
    const type = c.req.query('type');
    const groups = (engine()?.snapshot() ?? []).map((g) => ({
      name: g.name,
      file: g.file,
      interval: g.intervalMs / 1000,
      limit: 0,
      rules:
        type === 'record'
          ? []
          : g.rules.map(({ rule, status, alerts }) => {
              const shown = alerts.filter(active);
              return {
                state: shown.some((a) => a.state === 'firing') ? 'firing' : shown.length > 0 ? 'pending' : 'inactive',
                name: rule.name,
                query: rule.exprText,
                duration: rule.forMs / 1000,
                keepFiringFor: rule.keepFiringForMs / 1000,
                labels: Object.fromEntries(Object.entries(rule.labels).map(([k, v]) => [k, v.text])),
                annotations: Object.fromEntries(Object.entries(rule.annotations).map(([k, v]) => [k, v.text])),
                alerts: shown.map(alertJson),
                health: status.health,
                ...(status.lastError ? { lastError: status.lastError } : {}),
                evaluationTime: status.evaluationSeconds,
                lastEvaluation: apiTime(status.lastEvaluation),
                type: 'alerting',
              };
            }),
      evaluationTime: g.evaluationSeconds,
      lastEvaluation: apiTime(g.lastEvaluation),
    }));
    return c.json({ status: 'success', data: { groups } });
  });
  return app;
}
