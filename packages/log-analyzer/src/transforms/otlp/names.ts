// OTLP names → Prometheus names, as Prometheus' own OTLP receiver writes them (otlptranslator,
// with suffixes on): pure. A metric name's characters outside [a-zA-Z0-9:] split it into words
// joined by `_`; the unit becomes a suffix word (`s` → `seconds`, `By` → `bytes`, `m/s` →
// `meters_per_second`, `{requests}` annotations dropped); a monotonic sum ends in `_total`, a gauge
// of unit `1` in `_ratio`. Label names: other characters become `_`, a leading digit gets `key_`.

/** Units as UCUM writes them (OpenTelemetry's semantic conventions) → Prometheus' words. */
const UNITS: Record<string, string> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '%': 'percent',
};

/** The unit after `/` (a rate) → its singular word. */
const PER_UNITS: Record<string, string> = {
  s: 'second',
  m: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  mo: 'month',
  y: 'year',
};

const WORD_SPLIT = /[^a-zA-Z0-9:]+/;

/** What the name will be exposed as: how the metric is kept. */
export type NameRole = 'counter' | 'gauge' | 'other';

/** A unit's words: `By` → [bytes], `m/s` → [meters, per, second], `1` and `{x}` → none. */
export function unitWords(unit: string): string[] {
  const bare = unit.replace(/\{[^}]*\}/g, '').trim();
  if (bare === '' || bare === '1') return [];
  const [main = '', per = ''] = bare.split('/', 2);
  const words: string[] = [];
  const mainWord = UNITS[main] ?? main;
  words.push(...mainWord.split(WORD_SPLIT).filter((w) => w !== ''));
  if (per !== '') {
    const perWord = PER_UNITS[per] ?? per;
    const split = perWord.split(WORD_SPLIT).filter((w) => w !== '');
    if (split.length > 0) words.push('per', ...split);
  }
  return words;
}

/** Pure: an OTLP metric name, its unit and role → the Prometheus name (before namespace and prefix). */
export function metricName(name: string, unit: string, role: NameRole): string {
  const words = name.split(WORD_SPLIT).filter((w) => w !== '');
  // `_total` goes last, once: taken out where the name has it, put back for counters.
  const kept = role === 'counter' ? words.filter((w) => w !== 'total') : words;
  const units = unitWords(unit);
  // A unit already in the name is not repeated (`http.server.duration.seconds` + `s`).
  const tail = units.join('_');
  if (tail !== '' && !kept.join('_').endsWith(tail)) kept.push(...units);
  if (role === 'gauge' && unit.trim() === '1' && kept.at(-1) !== 'ratio') kept.push('ratio');
  if (role === 'counter') kept.push('total');
  let out = kept.join('_');
  if (out === '') return '';
  if (/^[0-9]/.test(out)) out = `_${out}`;
  return out;
}

/** Label names already made (bounded): every request repeats the same few keys. */
const made = new Map<string, string>();

/** Pure: an attribute key → a Prometheus label name ('' stays '', refused by the checks). */
export function labelName(key: string): string {
  let name = made.get(key);
  if (name === undefined) {
    if (made.size >= 10_000) made.clear();
    name = makeLabelName(key);
    made.set(key, name);
  }
  return name;
}

function makeLabelName(key: string): string {
  if (key === '') return '';
  let out = key.replace(/[^a-zA-Z0-9_]/g, '_');
  if (/^[0-9]/.test(out)) out = `key_${out}`;
  // `__` is reserved for the store's own labels: an attribute that starts so is kept apart.
  else if (out.startsWith('__')) out = `key${out}`;
  return out;
}

/**
 * Pure: attribute keys and values → label names and values, names normalised; two keys that
 * become one name keep both values joined by `;` in key order (as Prometheus does).
 */
export function labelsOf(attrs: readonly string[], out: Map<string, string>): void {
  // Usually no two keys become one name: set them as they come.
  const before = out.size;
  for (let i = 0; i + 1 < attrs.length; i += 2) out.set(labelName(attrs[i] as string), attrs[i + 1] as string);
  if (out.size - before === attrs.length >> 1) return;
  for (let i = 0; i + 1 < attrs.length; i += 2) out.delete(labelName(attrs[i] as string));
  const joined = new Map<string, [string, string][]>();
  for (let i = 0; i + 1 < attrs.length; i += 2) {
    const name = labelName(attrs[i] as string);
    let list = joined.get(name);
    if (!list) {
      list = [];
      joined.set(name, list);
    }
    list.push([attrs[i] as string, attrs[i + 1] as string]);
  }
  for (const [name, list] of joined) {
    if (list.length === 1) out.set(name, (list[0] as [string, string])[1]);
    else
      out.set(
        name,
        list
          .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
          .map((p) => p[1])
          .join(';'),
      );
  }
}

/** The resource attributes that name the target (job and instance), not put on target_info. */
export const IDENTIFYING = new Set(['service.name', 'service.namespace', 'service.instance.id']);

/** Pure: a resource's attributes → its job and instance ('' when it has none). */
export function targetOf(attrs: readonly string[]): { job: string; instance: string } {
  let name = '';
  let namespace = '';
  let instance = '';
  for (let i = 0; i + 1 < attrs.length; i += 2) {
    const k = attrs[i];
    const v = attrs[i + 1] as string;
    if (k === 'service.name') name = v;
    else if (k === 'service.namespace') namespace = v;
    else if (k === 'service.instance.id') instance = v;
  }
  return { job: namespace !== '' && name !== '' ? `${namespace}/${name}` : name, instance };
}
