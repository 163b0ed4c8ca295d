// The Prometheus text exposition format (0.0.4) → metric families, as a Pushgateway reads a push
// body. Pure. Mirrors what client_golang's expfmt text parser accepts and refuses: a refused body
// is one error line (answered 400, nothing applied).
//
//   # HELP http_requests_total Requests served.
//   # TYPE http_requests_total counter
//   http_requests_total{method="get",path="/a\"b"} 1027
//   rpc_seconds_bucket{le="0.5"} 3
//   batch_last_success 1.7e9 1712345678000      ← a timestamp: parsed, then refused by the gateway

export type FamilyType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export type Labels = readonly (readonly [string, string])[];

export interface TextSample {
  /** The sample's own name (`x_bucket`, `x_sum`, … for a histogram `x`). */
  name: string;
  /** In body order (duplicates refused); the grouping key is applied later. */
  labels: Labels;
  value: number;
}

export interface TextFamily {
  name: string;
  help: string;
  type: FamilyType;
  samples: TextSample[];
}

export interface ParsedBody {
  families: TextFamily[];
  /** Whether any sample carried a timestamp (a Pushgateway refuses the push). */
  timestamps: boolean;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES: readonly string[] = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const PLAIN_RUN = /[^"\\]*/y;
const SPECIAL = /^[+-]?(inf|infinity|nan)$/i;

/** Pure: a float as Go's strconv.ParseFloat reads it (no hex floats), or null; overflow (1e309) is null. */
export function parseFloatGo(text: string): number | null {
  if (DECIMAL.test(text)) {
    const value = Number(text);
    return Number.isFinite(value) ? value : null;
  }
  if (!SPECIAL.test(text)) return null;
  if (/nan/i.test(text)) return Number.NaN;
  return text.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
}

/** The family a sample name belongs to, given the families typed so far (histogram/summary suffixes). */
function familyOf(name: string, typed: Map<string, TextFamily>, current: TextFamily | null): TextFamily | undefined {
  const candidates = [
    current,
    ...['_bucket', '_sum', '_count'].map((s) => (name.endsWith(s) ? typed.get(name.slice(0, -s.length)) : undefined)),
  ];
  for (const family of candidates) {
    if (!family) continue;
    if (family.name === name) return family;
    const suffixes =
      family.type === 'histogram' ? ['_bucket', '_sum', '_count'] : family.type === 'summary' ? ['_sum', '_count'] : [];
    if (suffixes.some((s) => family.name + s === name)) return family;
  }
  return typed.get(name);
}

class ParseError extends Error {}

/** Pure: a push body → its families, or the first error as `text format parsing error in line N: …`. */
export function parseTextFormat(text: string): ParsedBody | { error: string } {
  const byName = new Map<string, TextFamily>();
  const order: TextFamily[] = [];
  let current: TextFamily | null = null;
  let timestamps = false;
  const lines = text.split('\n');
  const family = (name: string): TextFamily => {
    let found = byName.get(name);
    if (!found) {
      found = { name, help: '', type: 'untyped', samples: [] };
      byName.set(name, found);
      order.push(found);
    }
    return found;
  };
  const helped = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').replace(/\r$/, '');
    try {
      if (/^\s*$/.test(line)) continue;
      const trimmed = line.replace(/^[ \t]+/, '');
      if (trimmed.startsWith('#')) {
        const m = /^#[ \t]+(HELP|TYPE)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(trimmed);
        if (!m) continue; // any other comment
        const [, keyword, name = '', rest = ''] = m;
        if (!NAME.test(name)) throw new ParseError(`invalid metric name in comment: ${JSON.stringify(name)}`);
        const f = family(name);
        if (keyword === 'HELP') {
          if (helped.has(name)) throw new ParseError(`second HELP line for metric name "${name}"`);
          helped.add(name);
          f.help = unescapeHelp(rest);
        } else {
          const type = rest.trim().toLowerCase();
          if (!TYPES.includes(type)) throw new ParseError(`unknown metric type "${rest.trim()}"`);
          if (f.samples.length > 0 || f.type !== 'untyped' || (f as { typed?: boolean }).typed) {
            throw new ParseError(`second TYPE line for metric name "${name}", or TYPE reported after samples`);
          }
          f.type = type as FamilyType;
          (f as { typed?: boolean }).typed = true;
        }
        current = f;
        continue;
      }
      const sample = parseSampleLine(trimmed);
      if (sample.timestamp) timestamps = true;
      const owner: TextFamily = familyOf(sample.name, byName, current) ?? family(sample.name);
      checkSpecialLabels(owner, sample.name, sample.labels);
      owner.samples.push({ name: sample.name, labels: sample.labels, value: sample.value });
      current = owner;
    } catch (error) {
      if (error instanceof ParseError) return { error: `text format parsing error in line ${i + 1}: ${error.message}` };
      throw error;
    }
  }
  for (const f of order) delete (f as { typed?: boolean }).typed;
  // A family with a HELP or TYPE line but no sample is not a family (expfmt drops it too).
  return { families: order.filter((f) => f.samples.length > 0), timestamps };
}

function checkSpecialLabels(family: TextFamily, name: string, labels: Labels): void {
  const has = (label: string) => labels.find(([k]) => k === label);
  if (family.type === 'histogram' && name === `${family.name}_bucket`) {
    const le = has('le');
    if (!le || parseFloatGo(le[1]) === null)
      throw new ParseError(`expected float as value for 'le' label, got ${JSON.stringify(le?.[1] ?? '')}`);
  }
  if (family.type === 'summary' && name === family.name) {
    const q = has('quantile');
    if (!q || parseFloatGo(q[1]) === null)
      throw new ParseError(`expected float as value for 'quantile' label, got ${JSON.stringify(q?.[1] ?? '')}`);
  }
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(.)/g, (all, c: string) => (c === 'n' ? '\n' : c === '\\' ? '\\' : all));
}

/** One sample line: `name{labels} value [timestamp]`. */
function parseSampleLine(line: string): { name: string; labels: Labels; value: number; timestamp: boolean } {
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (!nameMatch) throw new ParseError(`invalid metric name`);
  const name = nameMatch[0];
  let at = name.length;
  const labels: [string, string][] = [];
  if (line[at] === '{') {
    at++;
    for (;;) {
      while (line[at] === ' ' || line[at] === '\t') at++;
      if (line[at] === '}') {
        at++;
        break;
      }
      const labelMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(at, at + 1024));
      if (!labelMatch) throw new ParseError(`invalid label name for metric "${name}"`);
      const label = labelMatch[0];
      if (label === '__name__') throw new ParseError('label name "__name__" is reserved');
      if (labels.some(([k]) => k === label)) throw new ParseError(`duplicate label names for metric "${name}"`);
      at += label.length;
      while (line[at] === ' ' || line[at] === '\t') at++;
      if (line[at] !== '=')
        throw new ParseError(`expected '=' after label name, found ${JSON.stringify(line[at] ?? '')}`);
      at++;
      while (line[at] === ' ' || line[at] === '\t') at++;
      if (line[at] !== '"')
        throw new ParseError(`expected '"' at start of label value, found ${JSON.stringify(line[at] ?? '')}`);
      at++;
      let value = '';
      for (;;) {
        // Runs without a quote or backslash in one step: a 1 MiB value is one slice, not a million appends.
        PLAIN_RUN.lastIndex = at;
        const run = PLAIN_RUN.exec(line)?.[0] ?? '';
        value += run;
        at += run.length;
        const c = line[at];
        if (c === undefined) throw new ParseError(`unexpected end of label value`);
        at++;
        if (c === '"') break;
        if (c === '\\') {
          const e = line[at];
          at++;
          if (e === '\\') value += '\\';
          else if (e === '"') value += '"';
          else if (e === 'n') value += '\n';
          else throw new ParseError(`invalid escape sequence '\\${e ?? ''}'`);
        } else value += c;
      }
      labels.push([label, value]);
      while (line[at] === ' ' || line[at] === '\t') at++;
      if (line[at] === ',') at++;
      else if (line[at] !== '}') throw new ParseError(`unexpected end of label value ${JSON.stringify(value)}`);
    }
  }
  const rest = line.slice(at);
  if (rest !== '' && rest[0] !== ' ' && rest[0] !== '\t')
    throw new ParseError(`invalid metric name ${JSON.stringify(name + rest[0])}`);
  const fields = rest.trim().split(/[ \t]+/);
  const valueText = fields[0] ?? '';
  if (valueText === '') throw new ParseError(`expected float as value, got ""`);
  const value = parseFloatGo(valueText);
  if (value === null) throw new ParseError(`expected float as value, got ${JSON.stringify(valueText)}`);
  if (fields.length > 2) throw new ParseError(`spurious string after timestamp: ${JSON.stringify(fields[2])}`);
  const ts = fields[1];
  if (ts !== undefined && !/^-?\d+$/.test(ts))
    throw new ParseError(`expected integer as timestamp, got ${JSON.stringify(ts)}`);
  return { name, labels, value, timestamp: ts !== undefined };
}
