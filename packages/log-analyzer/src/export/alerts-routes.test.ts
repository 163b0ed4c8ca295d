import { describe, expect, it } from 'vitest';
import { RuleEngine } from '../rules/rule-engine.js';
import { parseRuleFile } from '../rules/rule-file.js';
import { alertsRoutes } from './alerts-routes.js';

const RULES = `groups:
  - name: http
    interval: 10s
    rules:
      - alert: HighRatio
        expr: ratio
        for: 1m
        labels: { severity: page }
        annotations: { summary: "{{ $value | humanizePercentage }}" }
`;

describe('alerts routes', () => {
  it('answers /api/v1/alerts and /api/v1/rules in Prometheus’ shapes', async () => {
    const engine = new RuleEngine<string>({
      evaluate: () => [{ labels: { __name__: 'ratio', file: 'a.log' }, value: 0.0734 }],
      intervalMs: 15_000,
      now: () => 0,
      schedule: () => () => {},
      externalURL: () => 'http://a',
      onSend: () => {},
      onEvaluated: () => {},
    });
    engine.load(parseRuleFile(RULES, 'r.yml', (expr) => ({ ok: true, expr })));
    await engine.tick(Date.UTC(2026, 0, 1));
    const app = alertsRoutes(() => engine as RuleEngine<unknown>);
    const alert = {
      labels: { alertname: 'HighRatio', file: 'a.log', severity: 'page' },
      annotations: { summary: '7.34%' },
      state: 'pending',
      activeAt: '2026-01-01T00:00:00.000Z',
      value: '7.34e-02',
    };
    expect(await (await app.request('/api/v1/alerts')).json()).toEqual({
      status: 'success',
      data: { alerts: [alert] },
    });
    const rules = (await (await app.request('/api/v1/rules')).json()) as { data: { groups: unknown[] } };
    expect(rules.data.groups).toEqual([
      {
        name: 'http',
        file: 'r.yml',
        interval: 10,
        limit: 0,
        rules: [
          {
            state: 'pending',
            name: 'HighRatio',
            query: 'ratio',
            duration: 60,
            keepFiringFor: 0,
            labels: { severity: 'page' },
            annotations: { summary: '{{ $value | humanizePercentage }}' },
            alerts: [alert],
            health: 'ok',
            evaluationTime: expect.any(Number),
            lastEvaluation: '2026-01-01T00:00:00.000Z',
            type: 'alerting',
          },
        ],
        evaluationTime: expect.any(Number),
        lastEvaluation: '2026-01-01T00:00:00.000Z',
      },
    ]);
  });
});
