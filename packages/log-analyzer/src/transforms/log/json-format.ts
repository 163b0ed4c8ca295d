// JSON access logs: one object per line, the fields that feed the metrics found by path (a field
// mapping; presets for the common servers). Pure. The mapping compiles into a LineParser of the same
// contract as the Apache/nginx one, so the chunk summarizer counts JSON lines the same way.
// Example (Caddy):
// {"level":"info","logger":"http.log.access","request":{"method":"GET","uri":"/"},"size":10900,"status":200,"duration":0.00093}
//
// Bytes are scanned once, left to right, without JSON.parse and without building a string: keys are
// compared as bytes against the wanted paths only while a path can still match, every other value is
// skipped. Not a validator: a skipped scalar is taken up
// to the next `,` `}` `]`; a line that ends early (truncated), or a value of the wrong kind in a
// mapped field, is a parse failure. A key written with escapes (`"st\u0061tus"`) never matches.

import { methodIndex, OTHER } from '../../metrics/methods.js';
import { bytesEqual, numberAt } from '../push/fast-json.js';
import { type LineParser, lastNumber, type ParsedLine, scanList } from './line-parser.js';

/** The fields a line can feed, in the order of a mapping's text. */
export const JSON_FIELDS = ['status', 'method', 'request', 'bytes', 'duration', 'upstream', 'path'] as const;
export type JsonField = (typeof JSON_FIELDS)[number];
export type TimeUnit = 's' | 'ms' | 'us' | 'ns';
const PER_SECOND: Record<TimeUnit, number> = { s: 1, ms: 1e3, us: 1e6, ns: 1e9 };

/** Field → dotted path (`request.method`), and a unit for the two times. */
export type JsonMapping = Partial<Record<JsonField, string>> & { durationUnit?: TimeUnit; upstreamUnit?: TimeUnit };

/**
 * `json` alone: the plain names. `json_nginx`: the log_format escape=json example that circulates
 * in nginx guides ("status":"$status", "request":"$request", …). Caddy's and Traefik's access logs
 * as they write them (Traefik's durations in nanoseconds).
 */
export const JSON_PRESETS = {
  json: { status: 'status', method: 'method', request: 'request', bytes: 'bytes', duration: 'duration' },
  json_nginx: {
    status: 'status',
    method: 'request_method',
    request: 'request',
    bytes: 'body_bytes_sent',
    duration: 'request_time',
    upstream: 'upstream_response_time',
  },
  json_caddy: { status: 'status', method: 'request.method', bytes: 'size', duration: 'duration' },
  json_traefik: {
    status: 'DownstreamStatus',
    method: 'RequestMethod',
    bytes: 'DownstreamContentSize',
    duration: 'Duration',
    durationUnit: 'ns',
    upstream: 'OriginDuration',
    upstreamUnit: 'ns',
  },
} as const satisfies Record<string, JsonMapping>;
export type JsonPresetName = keyof typeof JSON_PRESETS;

/** A JSON format's text: a preset, then `field=path[:unit]` overrides (`json status=code duration=took:ms`). */
export function isJsonFormat(text: string): boolean {
  return Object.hasOwn(JSON_PRESETS, text.trim().split(/\s+/)[0] ?? '');
}

export interface JsonPlan {
  readonly source: string;
  readonly mapping: JsonMapping;
}

/** Reads a JSON format's text; throws Error with what is wrong (the caller names the setting). */
export function compileJsonFormat(text: string): JsonPlan {
  const [preset, ...pairs] = text.trim().split(/\s+/);
  const mapping: JsonMapping = { ...JSON_PRESETS[preset as JsonPresetName] };
  for (const pair of pairs) {
    const m = /^([a-z]+)=([^\s:]+)(?::([a-z]+))?$/.exec(pair);
    const field = m?.[1] as JsonField | undefined;
    if (!m || !field || !(JSON_FIELDS as readonly string[]).includes(field)) {
      throw new Error(
        `"${pair}" is not a JSON field mapping: use FIELD=PATH with FIELD one of ${JSON_FIELDS.join(', ')}`,
      );
    }
    const unit = m[3] as TimeUnit | undefined;
    if (unit !== undefined && (!(unit in PER_SECOND) || (field !== 'duration' && field !== 'upstream'))) {
      throw new Error(`"${pair}": only duration and upstream take a unit (s, ms, us or ns)`);
    }
    mapping[field] = m[2] as string;
    if (unit && field === 'duration') mapping.durationUnit = unit;
    if (unit && field === 'upstream') mapping.upstreamUnit = unit;
  }
  if (!mapping.status) throw new Error('a JSON format needs a status field; log-analyzer counts requests by status');
  return { source: [preset, ...pairs].join(' '), mapping };
}

/** The canonical text of a preset with [files.fields] applied (what the config file's entries become). */
export function jsonFormatText(preset: string, fields: Readonly<Record<string, string>>): string {
  return [preset, ...Object.entries(fields).map(([field, path]) => `${field}=${path}`)].join(' ');
}

const STATUS = 0;
const METHOD = 1;
const REQUEST = 2;
const BYTES = 3;
const DURATION = 4;
const UPSTREAM = 5;
const PATH = 6;

const QUOTE = 0x22;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const OPEN_LIST = 0x5b;
const CLOSE_LIST = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const BACKSLASH = 0x5c;
const SPACE = 0x20;
const DASH = 0x2d;
/** Nesting a skipped value may have; deeper lines fail (no line can make the scan recurse without end). */
const MAX_DEPTH = 64;

const isSpace = (c: number | undefined) => c === 0x20 || c === 0x09 || c === 0x0d;

function skipSpace(buf: Uint8Array, i: number, end: number): number {
  while (i < end && isSpace(buf[i])) i++;
  return i;
}

/**
 * The closing quote of a JSON string whose text starts at `from` (a backslash escapes the next
 * byte), or -1. A plain loop: JSON keys and values are short, where a native indexOf's call costs
 * more than it saves (measured: 25 % of the line's time went to it).
 */
function stringEnd(buf: Uint8Array, from: number, end: number): number {
  for (let i = from; i < end; i++) {
    const c = buf[i];
    if (c === QUOTE) return i;
    if (c === BACKSLASH) i++;
  }
  return -1;
}

/** One wanted path: its keys as bytes, and the field it feeds. */
interface Path {
  keys: Uint8Array[];
  field: number;
}

/** Index after a skipped value at i (string, number, literal, object or array), or -1. */
function skipValue(buf: Uint8Array, i: number, end: number): number {
  const c = buf[i];
  if (c === QUOTE) {
    const q = stringEnd(buf, i + 1, end);
    return q < 0 ? -1 : q + 1;
  }
  if (c === OPEN || c === OPEN_LIST) {
    let depth = 0;
    while (i < end) {
      const b = buf[i] as number;
      if (b === QUOTE) {
        const q = stringEnd(buf, i + 1, end);
        if (q < 0) return -1;
        i = q + 1;
        continue;
      }
      if (b === OPEN || b === OPEN_LIST) {
        if (++depth > MAX_DEPTH) return -1;
      } else if (b === CLOSE || b === CLOSE_LIST) {
        if (--depth === 0) return i + 1;
      }
      i++;
    }
    return -1;
  }
  const start = i;
  while (i < end) {
    const b = buf[i] as number;
    if (b === COMMA || b === CLOSE || b === CLOSE_LIST || isSpace(b)) break;
    i++;
  }
  return i === start ? -1 : i;
}

/** Builds the parser for a mapping. */
export function jsonLineParser(plan: JsonPlan, withPath = false): LineParser {
  const { mapping } = plan;
  const encoder = new TextEncoder();
  const paths: Path[] = [];
  const fields: [JsonField, number][] = [
    ['status', STATUS],
    ['method', METHOD],
    ['request', REQUEST],
    ['bytes', BYTES],
    ['duration', DURATION],
    ['upstream', UPSTREAM],
    ['path', PATH],
  ];
  for (const [name, field] of fields) {
    const path = mapping[name];
    if (path) paths.push({ keys: path.split('.').map((k) => encoder.encode(k)), field });
  }
  // Per depth, per key length: the wanted paths whose key there has that length, a bit each. Most
  // keys of a line are wanted by no path; one lookup by length rejects them before any byte compare.
  const longestKey = Math.max(0, ...paths.flatMap((p) => p.keys.map((k) => k.length)));
  const deepest = Math.max(0, ...paths.map((p) => p.keys.length));
  const lengthMasks = Array.from({ length: deepest }, (_, depth) => {
    const masks = new Uint32Array(longestKey + 1);
    for (const [p, path] of paths.entries()) {
      const key = path.keys[depth];
      if (key) masks[key.length] = (masks[key.length] as number) | (1 << p);
    }
    return masks;
  });
  const durationScale = PER_SECOND[mapping.durationUnit ?? 's'];
  const upstreamScale = PER_SECOND[mapping.upstreamUnit ?? 's'];
  let out: ParsedLine;
  let sawStatus = false;
  let sawMethod = false;
  let sawPath = false;

  /** A number, or a string holding one (nginx escape=json writes "200"); `-`, "" and null: NaN. Returns the index after, or -1. */
  let value = 0;
  function readNumber(buf: Uint8Array, i: number, end: number): number {
    let from = i;
    let to: number;
    let after: number;
    if (buf[i] === QUOTE) {
      to = stringEnd(buf, i + 1, end);
      if (to < 0) return -1;
      from = i + 1;
      after = to + 1;
    } else {
      after = skipValue(buf, i, end);
      if (after < 0) return -1;
      to = after;
    }
    if (to === from || (to - from === 1 && buf[from] === DASH) || buf[from] === 0x6e /* null */) {
      value = Number.NaN;
      return after;
    }
    const c = buf[from] as number;
    if (c !== DASH && (c < 0x30 || c > 0x39)) return -1;
    for (let k = from + 1; k < to; k++) {
      const d = buf[k] as number;
      if (!((d >= 0x30 && d <= 0x39) || d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === DASH)) return -1;
    }
    value = numberAt(buf, from, to);
    return Number.isNaN(value) ? -1 : after;
  }

  /** The mapped field's value at i; the index after it, or -1. */
  function readField(buf: Uint8Array, i: number, end: number, field: number): number {
    switch (field) {
      case STATUS: {
        i = readNumber(buf, i, end);
        if (i < 0 || !Number.isInteger(value) || value < 100 || value > 599) return -1;
        out.status = value;
        sawStatus = true;
        return i;
      }
      case PATH: {
        // The `route` label's path (--route-label), as a string: "/users/42?x=1".
        if (buf[i] !== QUOTE) return skipValue(buf, i, end);
        const q = stringEnd(buf, i + 1, end);
        if (q < 0) return -1;
        if (withPath) {
          out.pathStart = i + 1;
          out.pathEnd = q;
          sawPath = true;
        }
        return q + 1;
      }
      case METHOD:
      case REQUEST: {
        if (buf[i] !== QUOTE) return skipValue(buf, i, end);
        const q = stringEnd(buf, i + 1, end);
        if (q < 0) return -1;
        // The request line's second word is the path, unless a path field says it.
        if (withPath && field === REQUEST && !sawPath) {
          let s = i + 1;
          while (s < q && buf[s] !== SPACE) s++;
          if (s < q) {
            let t = s + 1;
            while (t < q && buf[t] !== SPACE) t++;
            out.pathStart = s + 1;
            out.pathEnd = t;
          }
        }
        // An explicit method wins over the request line's first word, wherever it comes.
        if (field === METHOD || !sawMethod) {
          let e = q;
          if (field === REQUEST) for (e = i + 1; e < q && buf[e] !== SPACE; e++);
          out.method = methodIndex(buf, i + 1, e);
          sawMethod = field === METHOD;
        }
        return q + 1;
      }
      case BYTES: {
        i = readNumber(buf, i, end);
        if (i >= 0 && !Number.isNaN(value)) {
          if (value < 0 || !Number.isInteger(value)) return -1;
          out.bytes = value;
        }
        return i;
      }
      case DURATION: {
        i = readNumber(buf, i, end);
        if (i >= 0 && !Number.isNaN(value)) {
          if (value < 0) return -1;
          out.seconds = value / durationScale;
        }
        return i;
      }
      default: {
        // nginx writes several upstream times as one string: "0.010, 0.020 : 0.005".
        if (buf[i] === QUOTE) {
          const q = stringEnd(buf, i + 1, end);
          if (q < 0) return -1;
          if (q > i + 1) {
            if (scanList(buf, i + 1, q, true, QUOTE) !== q) return -1;
            const sum = lastNumber();
            if (!Number.isNaN(sum)) out.upstream = sum / upstreamScale;
          }
          return q + 1;
        }
        i = readNumber(buf, i, end);
        if (i >= 0 && !Number.isNaN(value)) out.upstream = value / upstreamScale;
        return i;
      }
    }
  }

  /** The object at i (`{`), keys at `depth` matched against the paths in `alive`; the index after `}`, or -1. */
  function scanObject(buf: Uint8Array, i: number, end: number, depth: number, alive: number): number {
    i = skipSpace(buf, i + 1, end);
    if (buf[i] === CLOSE) return i + 1;
    for (;;) {
      if (buf[i] !== QUOTE) return -1;
      const keyEnd = stringEnd(buf, i + 1, end);
      if (keyEnd < 0) return -1;
      const keyStart = i + 1;
      i = skipSpace(buf, keyEnd + 1, end);
      if (buf[i] !== COLON) return -1;
      i = skipSpace(buf, i + 1, end);
      let target = -1;
      let next = 0;
      const keyLength = keyEnd - keyStart;
      // The paths still alive whose key at this depth has this key's length; only those are compared.
      let candidates =
        keyLength <= longestKey && depth < lengthMasks.length
          ? alive & ((lengthMasks[depth] as Uint32Array)[keyLength] as number)
          : 0;
      for (let p = 0; candidates !== 0; p++, candidates >>>= 1) {
        if ((candidates & 1) === 0) continue;
        const path = paths[p] as Path;
        if (!bytesEqual(buf, keyStart, keyEnd, path.keys[depth] as Uint8Array)) continue;
        if (depth === path.keys.length - 1) target = path.field;
        else next |= 1 << p;
      }
      if (target >= 0) i = readField(buf, i, end, target);
      else if (next !== 0 && buf[i] === OPEN && depth < MAX_DEPTH) i = scanObject(buf, i, end, depth + 1, next);
      else i = skipValue(buf, i, end);
      if (i < 0) return -1;
      i = skipSpace(buf, i, end);
      if (buf[i] === COMMA) i = skipSpace(buf, i + 1, end);
      else if (buf[i] === CLOSE) return i + 1;
      else return -1;
    }
  }

  const all = (1 << paths.length) - 1;
  return (buf, start, end, line) => {
    out = line;
    line.method = OTHER;
    line.status = 0;
    line.bytes = 0;
    line.seconds = Number.NaN;
    line.upstream = Number.NaN;
    sawStatus = false;
    sawMethod = false;
    if (withPath) {
      sawPath = false;
      line.pathStart = -1;
      line.pathEnd = -1;
    }
    const i = skipSpace(buf, start, end);
    if (buf[i] !== OPEN) return false;
    const after = scanObject(buf, i, end, 0, all);
    return after >= 0 && skipSpace(buf, after, end) === end && sawStatus;
  };
}
