// Renders families as Prometheus text 0.0.4 or OpenMetrics 1.0: the store's snapshot and the
// self registry alike, through one renderer. prom-client can render OpenMetrics only by switching
// a registry's content type, which renames its counters in place; rendering here avoids that.

import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';
import type { StoreSnapshot } from '../store/store.js';

export interface Sample {
  name: string;
  labels: readonly (readonly [string, string])[];
  value: number;
}

export interface ExpositionFamily {
  name: string;
  help: string;
  type: string;
  samples: Sample[];
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function sampleLine({ name, labels, value }: Sample): string {
  const text = labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
  return `${name}${text ? `{${text}}` : ''} ${formatValue(value)}`;
}

/** Text 0.0.4 (families apart by a blank line, as prom-client writes it) or OpenMetrics 1.0. */
export function render(families: readonly ExpositionFamily[], openMetrics: boolean): string {
  const blocks: string[] = [];
  for (const family of families) {
    // OpenMetrics names a counter family without `_total`; its samples keep it.
    const name = openMetrics && family.type === 'counter' ? family.name.replace(/_total$/, '') : family.name;
    const help = family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
    const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${family.type}`];
    for (const sample of family.samples) lines.push(sampleLine(sample));
    blocks.push(lines.join('\n'));
  }
  return openMetrics ? `${blocks.join('\n')}\n# EOF\n` : `${blocks.join('\n\n')}\n`;
}

/** The store's families, as a snapshot holds them. */
export function storeFamilies(snapshot: StoreSnapshot): ExpositionFamily[] {
  return snapshot.families.map((family) => {
    const samples: Sample[] = [];
    for (const s of family.series) {
      const labels = family.labelNames.map((k, i) => [k, s.labels[i] ?? ''] as const);
      if ('value' in s) {
        samples.push({ name: family.name, labels, value: s.value });
        continue;
      }
      let cumulative = 0;
      s.buckets.forEach((n, i) => {
        cumulative += n;
        const bound = family.bounds?.[i];
        const le = bound === undefined ? '+Inf' : String(bound);
        samples.push({ name: `${family.name}_bucket`, labels: [...labels, ['le', le]], value: cumulative });
      });
      samples.push({ name: `${family.name}_sum`, labels, value: s.sum });
      samples.push({ name: `${family.name}_count`, labels, value: s.count });
    }
    return { name: family.name, help: family.help, type: family.kind, samples };
  });
}

/** A prom-client registry's families (the self metrics). */
export async function registryFamilies(registry: Registry): Promise<ExpositionFamily[]> {
  const metrics = (await registry.getMetricsAsJSON()) as MetricObjectWithValues<MetricValue<string>>[];
  return metrics.map((metric) => ({
    name: metric.name,
    help: metric.help,
    type: String(metric.type),
    samples: metric.values.map((v) => ({
      name: (v as { metricName?: string }).metricName ?? metric.name,
      labels: Object.entries(v.labels ?? {}).map(([k, x]) => [k, String(x)] as const),
      value: v.value,
    })),
  }));
}
