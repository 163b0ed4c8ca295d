// Renders families as Prometheus text 0.0.4 or OpenMetrics 1.0: the store's snapshot and the
// self registry alike, through one renderer. prom-client can render OpenMetrics only by switching
// a registry's content type, which renames its counters in place; rendering here avoids that.

import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';
import { chunksOf, type FamilySnapshot, familiesFor, type Series, type StoreSnapshot } from '../store/store.js';
import { formatValue, seriesLines } from './series-lines.js';

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
  /** The sample lines already rendered as bytes, each ending in a newline (the store's families), instead of `samples`. */
  lines?: Buffer[];
  /** Those lines as text, without the last newline (made when asked: renders use the bytes). */
  readonly text?: string;
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

function sampleLine({ name, labels, value }: Sample): string {
  const text = labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
  return `${name}${text ? `{${text}}` : ''} ${formatValue(value)}`;
}

/** A family's HELP and TYPE lines, without a final newline. */
function header(family: ExpositionFamily, openMetrics: boolean): string {
  // OpenMetrics names a counter family without `_total`; its samples keep it.
  const name = openMetrics && family.type === 'counter' ? family.name.replace(/_total$/, '') : family.name;
  const help = family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return `# HELP ${name} ${help}\n# TYPE ${name} ${family.type}`;
}

/** One family's HELP, TYPE and sample lines, without a final newline. */
function block(family: ExpositionFamily, openMetrics: boolean): string {
  const lines = [header(family, openMetrics)];
  if (family.text) lines.push(family.text);
  for (const sample of family.samples) lines.push(sampleLine(sample));
  return lines.join('\n');
}

/** Text 0.0.4 (families apart by a blank line, as prom-client writes it) or OpenMetrics 1.0. */
export function render(families: readonly ExpositionFamily[], openMetrics: boolean): string {
  const blocks = families.map((family) => block(family, openMetrics));
  return openMetrics ? `${blocks.join('\n')}\n# EOF\n` : `${blocks.join('\n\n')}\n`;
}

const headers = new WeakMap<ExpositionFamily, { text?: Buffer; openMetrics?: Buffer }>();

/**
 * A store family's block as pieces of bytes: its HELP and TYPE lines (made once per family copy
 * and format), its chunks' sample lines (shared by both formats and by later copies while their
 * series do not change), and what separates it from the next family. `[...storeBlocks(f) for
 * each store family, render(rest)]` is the same document as render() of them all; only the
 * chunks that changed are rendered (and gzipped: http-app.ts) again.
 */
export function storeBlocks(family: ExpositionFamily, openMetrics: boolean): Buffer[] {
  let cached = headers.get(family);
  if (!cached) {
    cached = {};
    headers.set(family, cached);
  }
  const format = openMetrics ? 'openMetrics' : 'text';
  let head = cached[format];
  if (!head) {
    head = Buffer.from(`${header(family, openMetrics)}\n`);
    cached[format] = head;
  }
  // Text 0.0.4: a blank line after each family, as prom-client writes it.
  return openMetrics ? [head, ...(family.lines ?? [])] : [head, ...(family.lines ?? []), BLANK];
}

const BLANK = Buffer.from('\n');

/** Each family copy's text: the store reuses a copy while its family does not change. */
const rendered = new WeakMap<FamilySnapshot, ExpositionFamily>();

/** Each chunk copy's lines (the store reuses chunk copies whose series did not change). */
const chunkLines = new WeakMap<readonly Series[], Buffer>();

/**
 * The store's families as exposition text blocks (one per family, without HELP/TYPE), fast. A
 * tenant's own pushed families (a clashing definition) only on reads scoped to that tenant.
 */
export function storeFamilies(snapshot: StoreSnapshot, tenant: string | null = null): ExpositionFamily[] {
  return familiesFor(snapshot.families, tenant).map((family) => {
    const cached = rendered.get(family);
    if (cached) return cached;
    const chunks = chunksOf(family) ?? [family.series];
    const lines: Buffer[] = [];
    for (const chunk of chunks) {
      if (chunk.length === 0) continue;
      let bytes = chunkLines.get(chunk);
      if (bytes === undefined) {
        bytes = seriesLines(family, chunk, escapeLabel);
        chunkLines.set(chunk, bytes);
      }
      lines.push(bytes);
    }
    const result = {
      name: family.name,
      help: family.help,
      type: family.kind,
      samples: [],
      lines,
      get text() {
        return Buffer.concat(lines).toString().slice(0, -1);
      },
    };
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
