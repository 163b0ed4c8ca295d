// One StatsD line → its samples, or why each is refused. Pure. Reads what statsd_exporter reads:
// types c, g, ms, h, d; `@rate`; DogStatsD `|#k:v` tags, `|c:container` and `|T<time>` (ignored);
// tags in the name in the InfluxDB (`,k=v`), Librato (`#k=v`) and SignalFx (`[k=v]`) styles;
// several values per line (`a:1|c:2|c`, DogStatsD's `a:1:2:3|ms`).
//
//   api.requests,region=eu:1|c|@0.5
//   api.latency:320|ms|#route:/users,method:get
//   queue.depth:-3|g

import type { StatsdReason } from '../../metrics/catalog.js';

export type StatsdType = 'c' | 'g' | 'ms' | 'h' | 'd';

export interface StatsdSample {
  /** The metric's name as sent, tags taken out (mapping globs match it). */
  name: string;
  type: StatsdType;
  /** Counter: the increment, divided by the rate; gauge: the value or delta; ms: seconds; h, d: as sent. */
  value: number;
  /** A gauge sent with a leading + or -: added to the current value. */
  relative: boolean;
  /** How many observations the value stands for (ms, h, d sent at a rate: int(1 / rate), as statsd_exporter). */
  times: number;
  /** Tags in the order sent, names escaped as label names (a later one with the same name wins). */
  tags: [string, string][];
  /** Tags skipped (no value, empty name): the sample is kept without them. */
  tagErrors: number;
  /** The sample rate it was sent at (1 when none). */
  rate: number;
}

export interface StatsdRefusal {
  reason: StatsdReason;
  message: string;
}

/** A sampled observer (1 / rate observations) more often than this is refused: one line may not become millions. */
export const MAX_OBSERVATIONS_PER_SAMPLE = 1000;

const TYPES = new Set<string>(['c', 'g', 'ms', 'h', 'd']);
const OBSERVERS = new Set<string>(['ms', 'h', 'd']);
/** A decimal float as Go's ParseFloat takes it, without Inf and NaN (which no store value may be). */
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

const refusal = (reason: StatsdReason, message: string): StatsdRefusal => ({ reason, message });

/**
 * A metric or label name as statsd_exporter escapes it: every character but [a-zA-Z0-9_] becomes
 * `_` (a run of dashes one `_`), and a leading digit gets a `_` before it.
 */
export function escapeName(name: string): string {
  if (/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) return name;
  let out = name.length > 0 && name.charCodeAt(0) >= 48 && name.charCodeAt(0) <= 57 ? '_' : '';
  let previous = '';
  for (const c of name) {
    if (/[a-zA-Z0-9_]/.test(c)) out += c;
    else if (!(c === '-' && previous === '-')) out += '_';
    previous = c;
  }
  return out;
}

/** `k<sep>v`: a tag, or null when its name or value is empty or the separator missing. */
function tag(text: string, separator: string): [string, string] | null {
  const at = text.indexOf(separator);
  if (at <= 0 || at === text.length - 1) return null;
  return [escapeName(text.slice(0, at)), text.slice(at + 1)];
}

/** Tags separated by commas into `tags`; returns how many were malformed. */
function parseTags(text: string, separator: string, dog: boolean, tags: [string, string][]): number {
  let errors = 0;
  for (const part of text.split(',')) {
    const found = tag(dog && part.startsWith('#') ? part.slice(1) : part, separator);
    if (found) tags.push(found);
    else errors++;
  }
  return errors;
}

/** The name part: the name without its tags, the tags it carries and how many were malformed. */
function nameAndTags(part: string): { name: string; tags: [string, string][]; errors: number } {
  const tags: [string, string][] = [];
  const open = part.indexOf('[');
  const close = part.indexOf(']');
  if (open >= 0 && close >= 0) {
    const errors = parseTags(part.slice(open + 1, close), '=', false, tags);
    return { name: part.slice(0, open) + part.slice(close + 1), tags, errors };
  }
  // One bracket only: the tags cannot be read, the name stays as sent.
  if (open >= 0 || close >= 0) return { name: part, tags, errors: 1 };
  for (let i = 0; i < part.length; i++) {
    const c = part[i];
    if (c === '#' || c === ',') {
      const errors = parseTags(part.slice(i + 1), '=', false, tags);
      return { name: part.slice(0, i), tags, errors };
    }
  }
  return { name: part, tags, errors: 0 };
}

/**
 * A sample's value text, its type and rate → the value to apply (a counter's over its rate, a
 * timer's in seconds) and whether it is a gauge delta; or why it is refused. Apart from the line's
 * other parts: a line seen before (same name, type, rate and tags) is read again from here alone.
 */
export function readValue(
  text: string,
  type: StatsdType,
  rate: number,
): { value: number; relative: boolean } | StatsdRefusal {
  if (!FLOAT.test(text)) return refusal('statsd_malformed_value', 'the value is not a number');
  let value = Number(text);
  if (!Number.isFinite(value)) return refusal('statsd_malformed_value', 'the value is out of range');
  if (type === 'c') {
    if (value < 0) return refusal('negative_counter', 'a counter cannot go down');
    value /= rate;
    if (!Number.isFinite(value)) return refusal('statsd_malformed_value', 'the value over its rate is out of range');
  } else if (type === 'ms') {
    value /= 1000;
  }
  return { value, relative: type === 'g' && (text[0] === '+' || text[0] === '-') };
}

/** Parses one line (no newline) into samples and refusals; an empty line gives neither. */
export function parseLine(line: string): (StatsdSample | StatsdRefusal)[] {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  if (text === '') return [];
  const colon = text.indexOf(':');
  if (colon <= 0) return [refusal('statsd_malformed_line', 'no name:value')];
  const head = nameAndTags(text.slice(0, colon));
  if (head.name === '') return [refusal('statsd_malformed_line', 'an empty name')];
  const rest = text.slice(colon + 1);
  const dogTags = rest.includes('|#');
  if (dogTags && head.tags.length > 0) {
    return [refusal('statsd_mixed_tagging_styles', 'tags in the name and after |#')];
  }
  const firstBar = rest.indexOf('|');
  if (firstBar < 0) return [refusal('statsd_malformed_component', 'no |type after the value')];
  const valuePart = rest.slice(0, firstBar);
  let texts: string[];
  if (valuePart.includes(':')) {
    // DogStatsD's extended aggregation: several values of one observer, `a:1:2:3|ms`.
    const suffix = rest.slice(firstBar);
    const secondBar = rest.indexOf('|', firstBar + 1);
    const type = rest.slice(firstBar + 1, secondBar < 0 ? undefined : secondBar);
    if (!OBSERVERS.has(type)) return [refusal('statsd_invalid_type', `several values need ms, h or d, not ${type}`)];
    texts = valuePart.split(':').map((v) => v + suffix);
  } else {
    texts = dogTags ? [rest] : rest.split(':');
  }
  return texts.map((sample) => parseSample(head, sample));
}

/** One `value|type[|@rate][|#tags][|c:id][|T…]` with the name's own tags. */
function parseSample(head: { name: string; tags: [string, string][]; errors: number }, text: string) {
  const parts = text.split('|');
  if (parts.length < 2 || parts.length > 6) {
    return refusal('statsd_malformed_component', `${parts.length} |-separated parts, not 2 to 6`);
  }
  const [valueText = '', type = ''] = parts;
  if (!TYPES.has(type)) {
    const what = type === 's' ? 'sets (s) are not supported' : `unknown type ${JSON.stringify(type.slice(0, 16))}`;
    return refusal('statsd_invalid_type', what);
  }
  const tags = head.tags.slice();
  let tagErrors = head.errors;
  let rate = 1;
  for (let i = 2; i < parts.length; i++) {
    const part = parts[i] as string;
    switch (part[0]) {
      case '@':
        rate = FLOAT.test(part.slice(1)) ? Number(part.slice(1)) : Number.NaN;
        if (!(rate > 0 && rate <= 1)) return refusal('statsd_invalid_sample_rate', 'a sample rate must be in (0, 1]');
        break;
      case '#':
        tagErrors += parseTags(part.slice(1), ':', true, tags);
        break;
      case 'c':
        // DogStatsD 1.2's container id.
        if (!part.startsWith('c:') || part.length < 3) {
          return refusal('statsd_malformed_component', 'a container id is |c:ID');
        }
        tags.push(['container_id', part.slice(2)]);
        break;
      case 'T':
        // DogStatsD 1.3's timestamp: /metrics serves the newest values, so it is not used.
        break;
      default:
        return refusal('statsd_malformed_component', part === '' ? 'an empty |-part' : 'an unknown |-part');
    }
  }
  const times = type === 'ms' || type === 'h' || type === 'd' ? Math.trunc(1 / rate) : 1;
  if (times > MAX_OBSERVATIONS_PER_SAMPLE) {
    return refusal(
      'statsd_invalid_sample_rate',
      `@${rate} would be ${times} observations (at most ${MAX_OBSERVATIONS_PER_SAMPLE})`,
    );
  }
  const read = readValue(valueText, type as StatsdType, rate);
  if ('reason' in read) return read;
  const { value, relative } = read;
  return { name: head.name, type: type as StatsdType, value, relative, times, tags, tagErrors, rate };
}

export function isRefusal(r: StatsdSample | StatsdRefusal): r is StatsdRefusal {
  return 'reason' in r;
}
