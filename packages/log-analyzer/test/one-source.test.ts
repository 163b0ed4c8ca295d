// Issue 25 follow-up: the analyzer has ONE StoreSource, read by the rules and by /api/v1/query.
// In-process: a rule reads http_requests_total over a range; its series are recorded once, and
// the query route reads the same recording, already warm (store-source.test.ts: the cadence).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { expectSettled, lines, metricValue, useAnalyzers, WAIT } from './helpers.js';

interface QueryAnswer {
  data: { result: { metric: Record<string, string>; value: [number, string] }[] };
}

describe('one series source for rules and /api/v1/query', () => {
  const analyzers = useAnalyzers(false);

  it('records the series a rule reads once, and the query route answers from that recording', async () => {
    const rules = join(analyzers.dir(), 'rules.yml');
    writeFileSync(
      rules,
      'groups:\n  - name: http\n    rules:\n      - alert: Busy\n        expr: rate(http_requests_total[1m]) > 1e9\n',
    );
    writeFileSync(join(analyzers.dir(), 'access.log'), lines(30, 200) + lines(20, 500));
    const a = await analyzers.start(['*.log'], { alerts: { rules: [rules], evaluationIntervalMs: 100 } });
    await expectSettled(a, () => metricValue(a, 'http_requests_total'), 50);
    expect((await query(a, 'http_requests_total')).data.result).toHaveLength(2);
    // The rule's turns record its two series into the analyzer's source (the one the query route reads).
    expect(a.alerting?.source).toBe(a.seriesSource);
    await vi.waitFor(() => expect(a.seriesSource.recorded).toBe(2), WAIT);
    // The same range through the query route: answered from the rule's points (two once two turns
    // recorded), nothing recorded twice.
    await vi.waitFor(async () => {
      const answer = await query(a, 'rate(http_requests_total[1m])');
      expect(answer.data.result.map((r) => r.metric.status).sort()).toEqual(['200', '500']);
    }, WAIT);
    const turns = a.seriesSource.samples.recorded;
    await vi.waitFor(() => expect(a.seriesSource.samples.recorded).toBeGreaterThan(turns + 1), WAIT);
    expect(a.seriesSource.recorded).toBe(2);
  });
});

async function query(a: { app: { request(path: string): Response | Promise<Response> } }, expr: string) {
  const answer = await a.app.request(`/api/v1/query?query=${encodeURIComponent(expr)}`);
  expect(answer.status).toBe(200);
  return (await answer.json()) as QueryAnswer;
}
