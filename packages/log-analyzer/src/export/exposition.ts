// Renders families as Prometheus text 0.0.4 or OpenMetrics 1.0: the store's snapshot and the
// self registry alike, through one renderer. prom-client can render OpenMetrics only by switching
// a registry's content type, which renames its counters in place; rendering here avoids that.

import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';
import { chunksOf, type FamilySnapshot, familiesFor, type Series, type StoreSnapshot } from '../store/store.js';

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
  /** The sample lines already rendered (the store's families), instead of `samples`. */
  text?: string;
}

const NEEDS_ESCAPE = /[\\\n"]|(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/;

/**
 * Escaped for a label value. A file name's bytes that are not UTF-8 (held as U+DC80 + byte, see
 * tail/fs-names.ts) are written `\xNN`, since a label value must be UTF-8.
 */
export function escapeLabel(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return (
    value
      .replace(/\\/g, '\\\\')
      .replace(/\n/g, '\\n')
      .replace(/"/g, '\\"')
      // (a low surrogate after a high one is half of a valid character: left alone)
      .replace(/(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/g, (c) => `\\\\x${(c.charCodeAt(0) - 0xdc00).toString(16)}`)
  );
}

function formatValue(value: number): string {
  if (Number.isFinite(value)) return String(value);
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function sampleLine({ name, labels, value }: Sample): string {
  const text = labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
  return `${name}${text ? `{${text}}` : ''} ${formatValue(value)}`;
}

/** One family's HELP, TYPE and sample lines, without a final newline. */
function block(family: ExpositionFamily, openMetrics: boolean): string {
  // OpenMetrics names a counter family without `_total`; its samples keep it.
  const name = openMetrics && family.type === 'counter' ? family.name.replace(/_total$/, '') : family.name;
  const help = family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${family.type}`];
  if (family.text) lines.push(family.text);
  for (const sample of family.samples) lines.push(sampleLine(sample));
  return lines.join('\n');
}

/** Text 0.0.4 (families apart by a blank line, as prom-client writes it) or OpenMetrics 1.0. */
export function render(families: readonly ExpositionFamily[], openMetrics: boolean): string {
  const blocks = families.map((family) => block(family, openMetrics));
  return openMetrics ? `${blocks.join('\n')}\n# EOF\n` : `${blocks.join('\n\n')}\n`;
}

const blocks = new WeakMap<ExpositionFamily, { text?: Buffer; openMetrics?: Buffer }>();

/**
 * A store family's block as bytes, with what separates it from the next family, made once per
 * family copy: `[...storeBlock(f) for each store family, render(rest)]` is the same document as
 * render() of them all, and only the families that changed are encoded again.
 */
export function storeBlock(family: ExpositionFamily, openMetrics: boolean): Buffer {
  let cached = blocks.get(family);
  if (!cached) {
    cached = {};
    blocks.set(family, cached);
  }
  const format = openMetrics ? 'openMetrics' : 'text';
  let bytes = cached[format];
  if (!bytes) {
    bytes = Buffer.from(`${block(family, openMetrics)}${openMetrics ? '\n' : '\n\n'}`);
    cached[format] = bytes;
  }
  return bytes;
}

/**
 * The start of each exposition line of a series (`name{labels} `, per bucket `name_bucket{labels,le="b"} `,
 * per quantile, `_sum`, `_count`), escaped and built once: the store shares a series' label array
 * across snapshots, so renders after the first pay only for the numbers.
 */
const linePrefixes = new WeakMap<readonly string[], Map<string, string[]>>();

function prefixes(family: FamilySnapshot, s: Series): string[] {
  // Keyed by family too: two log families share one label array (requests and response bytes).
  let byFamily = linePrefixes.get(s.labels);
  let cached = byFamily?.get(family.name);
  if (cached) return cached;
  const names = s.names ?? family.labelNames;
  const labels = names.map((k, i) => `${k}="${escapeLabel(s.labels[i] ?? '')}"`).join(',');
  const { name } = family;
  const braces = labels ? `{${labels}} ` : ' ';
  const sep = labels ? ',' : '';
  if ('value' in s) cached = [`${name}${braces}`];
  else {
    cached =
      'buckets' in s
        ? [...(family.bounds ?? []), '+Inf'].map((b) => `${name}_bucket{${labels}${sep}le="${b}"} `)
        : (family.targets ?? []).map((t) => `${name}{${labels}${sep}quantile="${t.quantile}"} `);
    cached.push(`${name}_sum${braces}`, `${name}_count${braces}`);
  }
  if (!byFamily) {
    byFamily = new Map();
    linePrefixes.set(s.labels, byFamily);
  }
  byFamily.set(family.name, cached);
  return cached;
}

/** Each family copy's text: the store reuses a copy while its family does not change. */
const rendered = new WeakMap<FamilySnapshot, ExpositionFamily>();

/** Each chunk copy's lines (the store reuses chunk copies whose series did not change). */
const chunkText = new WeakMap<readonly Series[], string>();

function seriesLines(family: FamilySnapshot, series: readonly Series[]): string {
  const lines: string[] = [];
  for (const s of series) {
    const p = prefixes(family, s);
    if ('value' in s) {
      lines.push(p[0] + formatValue(s.value));
      continue;
    }
    let i = 0;
    if ('buckets' in s) {
      let cumulative = 0;
      for (; i < s.buckets.length; i++) {
        cumulative += s.buckets[i] as number;
        lines.push(p[i] + formatValue(cumulative));
      }
    } else {
      for (; i < s.quantiles.length; i++) lines.push(p[i] + formatValue(s.quantiles[i] ?? Number.NaN));
    }
    lines.push(p[i] + formatValue(s.sum), p[i + 1] + formatValue(s.count));
  }
  return lines.join('\n');
}

/**
 * The store's families as exposition text blocks (one per family, without HELP/TYPE), fast. A
 * tenant's own pushed families (a clashing definition) only on reads scoped to that tenant.
 */
export function storeFamilies(snapshot: StoreSnapshot, tenant: string | null = null): ExpositionFamily[] {
  return familiesFor(snapshot.families, tenant).map((family) => {
    const cached = rendered.get(family);
    if (cached) return cached;
    const chunks = chunksOf(family) ?? [family.series];
    const texts: string[] = [];
    for (const chunk of chunks) {
      if (chunk.length === 0) continue;
      let text = chunkText.get(chunk);
      if (text === undefined) {
        text = seriesLines(family, chunk);
        chunkText.set(chunk, text);
      }
      texts.push(text);
    }
    const result = { name: family.name, help: family.help, type: family.kind, samples: [], text: texts.join('\n') };
    rendered.set(family, result);
    return result;
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
