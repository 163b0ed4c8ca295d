// Renders a registry as OpenMetrics 1.0 text. prom-client can do this only by switching a
// registry's content type, and in doing so it renames counters in place (dropping `_total`),
// which would corrupt the Prometheus text served to the next scraper; so we render it here.

import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';

function escapeLabel(value: string | number): string {
  return String(value).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function sampleLine(name: string, sample: MetricValue<string> & { metricName?: string }): string {
  const labels = Object.entries(sample.labels ?? {})
    .map(([k, v]) => `${k}="${escapeLabel(v as string | number)}"`)
    .join(',');
  return `${sample.metricName ?? name}${labels ? `{${labels}}` : ''} ${formatValue(sample.value)}`;
}

export async function renderOpenMetrics(registry: Registry): Promise<string> {
  const metrics = (await registry.getMetricsAsJSON()) as MetricObjectWithValues<MetricValue<string>>[];
  const lines: string[] = [];
  for (const metric of metrics) {
    const type = String(metric.type);
    // OpenMetrics names the counter family without `_total`; its samples keep it.
    const family = type === 'counter' ? metric.name.replace(/_total$/, '') : metric.name;
    lines.push(
      `# TYPE ${family} ${type}`,
      `# HELP ${family} ${metric.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`,
    );
    for (const sample of metric.values) {
      lines.push(sampleLine(type === 'counter' ? `${family}_total` : metric.name, sample));
    }
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}
