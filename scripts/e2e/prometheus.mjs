// What both end-to-end checks ask of a Prometheus: instant queries, waiting until it has scraped
// enough, and every expression of the Grafana dashboard run as Grafana would send it.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, sleep } from '../../bench/lib.mjs';

/** Instant queries against the Prometheus at `base` (http://host:port). */
export function prometheus(base) {
  const query = async (expr) => {
    const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`);
    return res.json();
  };
  /** The first series' value, NaN when there is none (a missing series is not a zero). */
  const value = async (expr) => {
    try {
      const r = await query(expr);
      return Number(r.data?.result?.[0]?.value?.[1] ?? Number.NaN);
    } catch {
      return Number.NaN;
    }
  };
  return { base, query, value };
}

/** Polls `probe` each second until it returns true or `ms` pass; says whether it did. */
export async function until(ms, probe) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await sleep(1000);
  }
}

/**
 * Runs every variable and panel expression of the dashboard against `prom` (the job variable
 * set to `job`); each must succeed and return at least one series. Reports through `check`.
 */
export async function checkDashboard(prom, check, job = 'log-analyzer') {
  const dashboard = JSON.parse(readFileSync(join(ROOT, 'grafana/dashboards/log_analyzer.json'), 'utf8'));
  const substitute = (expr) =>
    expr
      .replaceAll('$__rate_interval', '20s')
      .replaceAll('$__range', '5m')
      .replaceAll('$job', job)
      .replaceAll('$instance', '.+');
  for (const variable of dashboard.templating.list) {
    const r = await prom.query(
      substitute(variable.definition).replace(/^label_values\((.*), (\w+)\)$/, 'group by ($2) ($1)'),
    );
    check(r.status === 'success' && r.data.result.length > 0, `variable $${variable.name}: ${variable.definition}`);
  }
  for (const panel of dashboard.panels) {
    for (const target of panel.targets) {
      const r = await prom.query(substitute(target.expr));
      const series = r.data?.result?.length ?? 0;
      check(
        r.status === 'success' && series > 0,
        `panel "${panel.title}" ${target.refId}: ${series} series${r.error ? ` (${r.error})` : ''}`,
      );
    }
  }
}

/** Waits until a counter has two samples in a 20 s window (a rate over it then has data). */
export function twoScrapesOf(prom, metric) {
  return until(60_000, async () => (await prom.value(`min(count_over_time(${metric}[20s]))`)) >= 2);
}
