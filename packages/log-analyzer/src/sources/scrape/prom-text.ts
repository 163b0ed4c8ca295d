// Pure: the Prometheus text format (and OpenMetrics) → families of sample lines, and those
// families written back with one more label (`target`), as a scrape target's series are re-exported.

export interface ScrapedFamily {
  name: string;
  type: string;
  help: string | null;
  /** Sample lines: the metric name (with its suffix), the labels' text inside {}, the value. */
  samples: { metric: string; labels: string; value: string }[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?\s*$/;
const SUFFIXES = ['_bucket', '_sum', '_count', '_total', '_created', '_gcount', '_gsum'];

export class ParseError extends Error {}

/** Families in order of appearance; a sample line that is not one is a ParseError naming its line. */
export function parsePromText(text: string, maxSamples: number): ScrapedFamily[] {
  const families = new Map<string, ScrapedFamily>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) {
      f = { name, type: 'untyped', help: null, samples: [] };
      families.set(name, f);
    }
    return f;
  };
  let samples = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '' || line === '# EOF') continue;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(.*)$/.exec(line);
      if (m?.[1] === 'HELP') family(m[2] as string).help = m[3] as string;
      else if (m?.[1] === 'TYPE') family(m[2] as string).type = (m[3] as string).trim() || 'untyped';
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m || !isValue(m[3] as string)) throw new ParseError(`line ${i + 1}: not a sample: ${line.slice(0, 80)}`);
    if (++samples > maxSamples) throw new ParseError(`more than ${maxSamples} samples`);
    const metric = m[1] as string;
    if (metric.endsWith('_created')) continue; // OpenMetrics' creation times: not re-exported
    const owner =
      SUFFIXES.map((s) => (metric.endsWith(s) ? metric.slice(0, -s.length) : null)).find(
        (base) => base !== null && families.has(base) && families.get(base)?.type !== 'untyped',
      ) ?? metric;
    family(owner).samples.push({ metric, labels: m[2] ?? '', value: m[3] as string });
  }
  // OpenMetrics names a counter's family without _total: expose it as Prometheus does.
  for (const f of families.values()) {
    if (f.type === 'counter' && !f.name.endsWith('_total') && f.samples.every((s) => s.metric === `${f.name}_total`)) {
      f.name = `${f.name}_total`;
    }
    if (f.type === 'unknown') f.type = 'untyped';
  }
  return [...families.values()].filter((f) => f.samples.length > 0);
}

function isValue(v: string): boolean {
  return /^[+-]?(Inf|NaN|\d+(\.\d*)?([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)$/.test(v);
}

/** The labels' text with `target="NAME"` first; a target label of the target's own becomes exported_target. */
export function withTarget(labels: string, target: string): string {
  const own = labels.replace(/(^|,)\s*target=/, '$1exported_target=');
  const escaped = target.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  return own ? `target="${escaped}",${own}` : `target="${escaped}"`;
}

/** Families of several targets written as one exposition; a name taken by `reserved` or by another type is left out. */
export function renderScraped(
  byTarget: ReadonlyMap<string, readonly ScrapedFamily[]>,
  reserved: (name: string) => boolean,
  onConflict: (target: string, name: string) => void,
): string {
  const merged = new Map<string, { type: string; help: string | null; lines: string[] }>();
  for (const [target, families] of byTarget) {
    for (const f of families) {
      const seen = merged.get(f.name);
      if (reserved(f.name) || (seen && seen.type !== f.type)) {
        onConflict(target, f.name);
        continue;
      }
      const entry = seen ?? { type: f.type, help: f.help, lines: [] };
      merged.set(f.name, entry);
      for (const s of f.samples) entry.lines.push(`${s.metric}{${withTarget(s.labels, target)}} ${s.value}`);
    }
  }
  let text = '';
  for (const [name, f] of merged) {
    text += `# HELP ${name} ${f.help ?? 'Scraped from a target (it gave no help text).'}\n`;
    text += `# TYPE ${name} ${f.type}\n${f.lines.join('\n')}\n`;
  }
  return text;
}
