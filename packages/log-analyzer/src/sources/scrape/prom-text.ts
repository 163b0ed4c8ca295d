// Pure: the Prometheus text format (and OpenMetrics) → families of samples, checked line by line
// as pushed text is (names against the grammar, label values unescaped, TYPE from the known set
// and once per family, HELP escapes), and those families written back with one more label
// (`target`), escaped again, as a scrape target's series are re-exported. A line that fails a
// check is dropped and counted, never copied: one bad target cannot make /metrics unparseable.

export interface ScrapedSample {
  /** The metric name (with its suffix). */
  metric: string;
  /** Label names and values, unescaped, in the target's order. */
  labels: [string, string][];
  value: string;
}

export interface ScrapedFamily {
  name: string;
  type: string;
  /** Unescaped. */
  help: string | null;
  samples: ScrapedSample[];
}

export interface ParsedText {
  families: ScrapedFamily[];
  /** Lines dropped because they failed a check. */
  dropped: number;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const VALUE = /^[+-]?(Inf|NaN|\d+(\.\d*)?([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)$/;
const TIMESTAMP = /^-?\d+(\.\d+)?$/;
/** The TYPE values /metrics may carry (text format 0.0.4); OpenMetrics' unknown is untyped there. */
const TYPES: Record<string, string> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  summary: 'summary',
  untyped: 'untyped',
  unknown: 'untyped',
};
/** The suffixed sample names each type's family owns besides its own name. */
const SUFFIXES: Record<string, readonly string[]> = {
  counter: ['_total', '_created'],
  histogram: ['_bucket', '_sum', '_count', '_created'],
  summary: ['_sum', '_count', '_created'],
};

const ALL_SUFFIXES = [...new Set(Object.values(SUFFIXES).flat())];

export class ParseError extends Error {}

/**
 * `{a="x",b="y\"z"}` from position `at` (its `{`) → label pairs, unescaped, and the position after
 * the `}`; null when it breaks the grammar (a bad name or escape, a duplicate, `__name__`).
 */
export function parseLabels(line: string, at: number): { labels: [string, string][]; end: number } | null {
  const labels: [string, string][] = [];
  let i = at + 1;
  const skip = () => {
    while (line[i] === ' ' || line[i] === '\t') i++;
  };
  for (;;) {
    skip();
    if (line[i] === '}') return { labels, end: i + 1 };
    const eq = line.indexOf('=', i);
    if (eq < 0) return null;
    const name = line.slice(i, eq).trim();
    if (!LABEL_NAME.test(name) || name.startsWith('__') || labels.some(([n]) => n === name)) return null;
    i = eq + 1;
    skip();
    if (line[i] !== '"') return null;
    let value = '';
    for (i++; line[i] !== '"'; i++) {
      if (i >= line.length) return null;
      if (line[i] !== '\\') {
        value += line[i];
        continue;
      }
      const next = line[++i];
      if (next === '\\' || next === '"') value += next;
      else if (next === 'n') value += '\n';
      else return null;
    }
    i++;
    labels.push([name, value]);
    skip();
    if (line[i] === ',') i++;
    else if (line[i] !== '}') return null;
  }
}

/**
 * One sample line → its metric name, labels and value (the timestamp is checked, then dropped);
 * null when it is not one. Example: `http_requests_total{code="200",path="/a\"b"} 1027 1395066363000`
 */
export function parseSample(line: string): ScrapedSample | null {
  const metric = METRIC_NAME.exec(line)?.[0];
  if (!metric) return null;
  let labels: [string, string][] = [];
  let i = metric.length;
  if (line[i] === '{') {
    const parsed = parseLabels(line, i);
    if (!parsed) return null;
    labels = parsed.labels;
    i = parsed.end;
  }
  const rest = line.slice(i);
  if (!/^\s/.test(rest)) return null;
  const [value, timestamp, extra] = rest.trim().split(/\s+/);
  if (!value || !VALUE.test(value) || extra !== undefined) return null;
  if (timestamp !== undefined && !TIMESTAMP.test(timestamp)) return null;
  return { metric, labels, value };
}

/** A HELP text as written (only `\\` and `\n` are escapes) → the text; null for another escape. */
export function unescapeHelp(text: string): string | null {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '\\') {
      out += text[i];
      continue;
    }
    const next = text[++i];
    if (next === '\\') out += '\\';
    else if (next === 'n') out += '\n';
    else return null;
  }
  return out;
}

/** The typed family a suffixed sample name belongs to (`h_bucket` → histogram `h`), if any. */
function ownerOf(families: ReadonlyMap<string, ScrapedFamily>, metric: string): ScrapedFamily | undefined {
  for (const suffix of ALL_SUFFIXES) {
    if (!metric.endsWith(suffix)) continue;
    const f = families.get(metric.slice(0, -suffix.length));
    if (f && SUFFIXES[f.type]?.includes(suffix)) return f;
  }
  return undefined;
}

/** Whether a family of `type` may hold a sample named `metric` with these labels (le, quantile). */
function fits(family: ScrapedFamily, sample: ScrapedSample): boolean {
  const label = (name: string) => sample.labels.find(([n]) => n === name)?.[1];
  const suffix = sample.metric.slice(family.name.length);
  if (family.type === 'histogram') {
    if (suffix === '') return false;
    return suffix !== '_bucket' || VALUE.test(label('le') ?? '');
  }
  if (family.type === 'summary' && suffix === '') return VALUE.test(label('quantile') ?? '');
  return true;
}

/** Families in order of appearance, and how many lines were dropped; more than `maxSamples` is a ParseError. */
export function parsePromText(text: string, maxSamples: number): ParsedText {
  const families = new Map<string, ScrapedFamily>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) {
      f = { name, type: 'untyped', help: null, samples: [] };
      families.set(name, f);
    }
    return f;
  };
  const typed = new Set<string>();
  const helped = new Set<string>();
  const series = new Set<string>();
  let samples = 0;
  let dropped = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line === '# EOF') continue;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)(?:\s+(\S+))?(?:\s(.*))?$/.exec(line);
      if (!m) continue; // any other comment
      const name = m[2] ?? '';
      const rest = m[3] ?? '';
      const seen = families.get(name);
      if (METRIC_NAME.exec(name)?.[0] !== name) dropped++;
      else if (m[1] === 'HELP') {
        const help = unescapeHelp(rest.trimStart());
        if (help === null || helped.has(name)) dropped++;
        else {
          helped.add(name);
          family(name).help = help;
        }
      } else {
        const type = TYPES[rest.trim()];
        // One TYPE per family, before its samples (what a parser of /metrics demands).
        if (!type || typed.has(name) || (seen && seen.samples.length > 0)) dropped++;
        else {
          typed.add(name);
          family(name).type = type;
        }
      }
      continue;
    }
    const sample = parseSample(line);
    if (!sample) {
      dropped++;
      continue;
    }
    if (++samples > maxSamples) throw new ParseError(`more than ${maxSamples} samples`);
    const { metric } = sample;
    if (metric.endsWith('_created')) continue; // OpenMetrics' creation times: not re-exported
    const owner = ownerOf(families, metric) ?? family(metric);
    const key = `${metric}{${JSON.stringify(sample.labels)}`;
    if (!fits(owner, sample) || series.has(key)) {
      dropped++;
      continue;
    }
    series.add(key);
    owner.samples.push(sample);
  }
  // OpenMetrics names a counter's family without _total: expose it as Prometheus does.
  for (const f of families.values()) {
    if (f.type === 'counter' && !f.name.endsWith('_total') && f.samples.every((s) => s.metric === `${f.name}_total`)) {
      f.name = `${f.name}_total`;
    }
  }
  return { families: [...families.values()].filter((f) => f.samples.length > 0), dropped };
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** The labels' text with `target="NAME"` first; a target label of the target's own becomes exported_target. */
export function withTarget(labels: readonly [string, string][], target: string): string {
  const own = labels.map(([n, v]) => `${n === 'target' ? 'exported_target' : n}="${escapeLabel(v)}"`);
  return [`target="${escapeLabel(target)}"`, ...own].join(',');
}

/**
 * Families of several targets written as one exposition. A family is left out (onConflict) when
 * its name is `reserved`, taken by another type, or when it or one of its sample names is
 * another family's (a gauge `h_sum` beside a histogram `h` would make two TYPE blocks for h_sum).
 */
export function renderScraped(
  byTarget: ReadonlyMap<string, readonly ScrapedFamily[]>,
  reserved: (name: string) => boolean,
  onConflict: (target: string, name: string) => void,
): string {
  const merged = new Map<string, { type: string; help: string | null; lines: string[] }>();
  /** Every name written (families' and samples'), and the family it belongs to. */
  const owners = new Map<string, string>();
  for (const [target, families] of byTarget) {
    for (const f of families) {
      const seen = merged.get(f.name);
      const names = [f.name, ...f.samples.map((s) => s.metric)];
      const taken = names.some((n) => reserved(n) || (owners.get(n) ?? f.name) !== f.name);
      if (taken || (seen && seen.type !== f.type)) {
        onConflict(target, f.name);
        continue;
      }
      for (const n of names) owners.set(n, f.name);
      const entry = seen ?? { type: f.type, help: f.help, lines: [] };
      merged.set(f.name, entry);
      for (const s of f.samples) entry.lines.push(`${s.metric}{${withTarget(s.labels, target)}} ${s.value}`);
    }
  }
  let text = '';
  for (const [name, f] of merged) {
    text += `# HELP ${name} ${f.help === null ? 'Scraped from a target (it gave no help text).' : escapeHelp(f.help)}\n`;
    text += `# TYPE ${name} ${f.type}\n${f.lines.join('\n')}\n`;
  }
  return text;
}
