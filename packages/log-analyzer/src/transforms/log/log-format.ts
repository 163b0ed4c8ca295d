// Compiles an Apache LogFormat string (mod_log_config syntax) into a field plan, once,
// so the per-line parser walks a short list of steps instead of matching a regex.
// Pure: shared by the analyzer's workers and by noise-maker's line formatter. An nginx log_format
// ($variables, nginx-format.ts) compiles into the same plan, so it is parsed by the same code.

import { isNginxFormat, nginxTokens } from './nginx-format.js';

/** Named formats, exactly as Apache's default httpd.conf spells them. */
export const PRESETS = {
  common: '%h %l %u %t "%r" %>s %b',
  combined: '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"',
  vhost_combined: '%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"',
  combined_duration: '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i" %D',
  // nginx's default nginx.conf `main`, and its built-in `combined` (the same line as Apache's).
  nginx_main:
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for"',
  nginx_combined:
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"',
} as const satisfies Record<string, string>;

export type PresetName = keyof typeof PRESETS;
/** Application logs counted by level (transforms/log/app-levels.ts): a format of its own, not a LogFormat. */
export const APP_FORMAT = 'app';
export const DEFAULT_FORMAT: PresetName = 'combined';

/** What a field means to us; everything we do not count is `opaque`. */
export type FieldKind =
  | 'request' // %r  "GET /x HTTP/1.1": the method is its first token
  | 'method' // %m
  | 'status' // %s %>s: three digits
  | 'size' // %b %B %O %I %S: digits, or "-" for zero
  | 'micros' // %D, %{us}T
  | 'millis' // %{ms}T
  | 'seconds' // %T, %{s}T
  | 'time' // %t: [dd/Mon/yyyy:HH:MM:SS +hhmm]
  | 'time_local' // nginx $time_local: the same without the brackets
  | 'upstream_seconds' // nginx $upstream_response_time: `0.010`, `-`, `0.010, 0.020 : 0.005`
  | 'list' // other nginx upstream lists ($upstream_status, $upstream_addr): items joined by `, ` or ` : `
  | 'path' // %U, nginx $uri $request_uri: free text, the `route` label's path when --route-label is on
  | 'opaque';

export interface LiteralStep {
  readonly kind: 'literal';
  readonly bytes: Uint8Array;
}

export interface FieldStep {
  readonly kind: 'field';
  readonly field: FieldKind;
  /** The directive as written, e.g. `%>s` or `%{Referer}i`. */
  readonly directive: string;
  /** Enclosed in double quotes: ends at the first quote not escaped by Apache's `\`. */
  readonly quoted: boolean;
  /** For unquoted fields: the byte that ends the field (first byte of the next literal), -1 = end of line. */
  readonly stop: number;
  /** This field feeds a metric (a format may log e.g. both %s and %>s; only one counts). */
  primary: boolean;
}

export type Step = LiteralStep | FieldStep;

export interface FormatPlan {
  readonly source: string;
  readonly steps: readonly Step[];
  /** Which duration directive feeds the latency histogram, if any. */
  readonly durationField: 'micros' | 'millis' | 'seconds' | null;
  /** An upstream time ($upstream_response_time) feeds the upstream histogram. */
  readonly upstream?: boolean;
  /** The `app` format: no steps, lines are counted by level instead. */
  readonly app?: true;
}

export class FormatError extends Error {
  override name = 'FormatError';
}

/** Directive letter → meaning. Letters not listed here are rejected with a clear message. */
const DIRECTIVES: Record<string, FieldKind> = {
  a: 'opaque', // client IP
  A: 'opaque', // local IP
  B: 'size',
  b: 'size',
  C: 'opaque', // cookie (needs {name})
  D: 'micros',
  e: 'opaque', // env var (needs {name})
  f: 'opaque', // filename
  h: 'opaque', // remote host (name or IPv4/IPv6)
  H: 'opaque', // protocol
  i: 'opaque', // request header (needs {name})
  I: 'size', // bytes received (mod_logio)
  k: 'opaque', // keepalive requests
  l: 'opaque', // identd
  L: 'opaque', // log id
  m: 'method',
  n: 'opaque', // note (needs {name})
  o: 'opaque', // response header (needs {name})
  O: 'size', // bytes sent incl. headers (mod_logio)
  p: 'opaque', // port
  P: 'opaque', // pid
  q: 'opaque', // query string
  r: 'request',
  R: 'opaque', // handler
  s: 'status',
  S: 'size', // bytes transferred (mod_logio)
  t: 'time',
  T: 'seconds',
  u: 'opaque', // remote user
  U: 'path', // URL path
  v: 'opaque', // canonical server name
  V: 'opaque', // server name
  X: 'opaque', // connection status
};

const NEEDS_NAME = new Set(['C', 'e', 'i', 'n', 'o']);
const QUOTE = 0x22;

/** Accepts a preset name, an Apache LogFormat or an nginx log_format string. */
export function resolveFormat(nameOrFormat: string): string {
  return Object.hasOwn(PRESETS, nameOrFormat) ? PRESETS[nameOrFormat as PresetName] : nameOrFormat;
}

type Token = { literal: string } | { letter: string; arg: string | null; directive: string };
/** A token of either syntax, its meaning decided. */
type KindToken = { literal: string } | { kind: FieldKind; directive: string };

/** Splits `%h "%r" %{Referer}i` into literals and directives. */
function tokenize(format: string): Token[] {
  const tokens: Token[] = [];
  let literal = '';
  let i = 0;
  while (i < format.length) {
    const ch = format[i] as string;
    if (ch !== '%') {
      literal += ch;
      i++;
      continue;
    }
    const start = i++;
    if (format[i] === '%') {
      literal += '%';
      i++;
      continue;
    }
    // `<` / `>` choose original or final request; only %s cares, and we want the final one.
    while (format[i] === '<' || format[i] === '>') i++;
    if (/[0-9!,]/.test(format[i] ?? '')) {
      throw new FormatError(
        `conditional directive at column ${start + 1} of the format is not supported: ${format.slice(start, start + 12)}`,
      );
    }
    let arg: string | null = null;
    if (format[i] === '{') {
      const close = format.indexOf('}', i);
      if (close < 0) throw new FormatError(`unterminated %{…} at column ${start + 1} of the format`);
      arg = format.slice(i + 1, close);
      i = close + 1;
    }
    const letter = format[i];
    if (letter === undefined) throw new FormatError('the format ends with a lone %');
    i++;
    if (literal) tokens.push({ literal });
    literal = '';
    tokens.push({ letter, arg, directive: format.slice(start, i) });
  }
  if (literal) tokens.push({ literal });
  return tokens;
}

function kindOf(letter: string, arg: string | null, directive: string): FieldKind {
  const kind = DIRECTIVES[letter];
  if (kind === undefined) throw new FormatError(`unknown format directive ${directive}`);
  if (NEEDS_NAME.has(letter) && !arg) throw new FormatError(`${directive} needs a name, as in %{Referer}${letter}`);
  if (letter === 'T' && arg !== null) {
    const unit = ({ us: 'micros', ms: 'millis', s: 'seconds' } as const)[arg];
    if (!unit) throw new FormatError(`unknown unit in ${directive}: use us, ms or s`);
    return unit;
  }
  // %{format}t is a custom strftime layout we cannot validate: keep it but do not check it.
  if (letter === 't' && arg !== null) return 'opaque';
  return kind;
}

const encoder = new TextEncoder();

export function compileFormat(nameOrFormat: string): FormatPlan {
  const source = resolveFormat(nameOrFormat);
  if (source === APP_FORMAT) return { source, steps: [], durationField: null, app: true };
  if (source.trim() === '') throw new FormatError('the format is empty');
  const nginx = isNginxFormat(source) ? nginxTokens(source) : null;
  if (nginx && 'error' in nginx) throw new FormatError(nginx.error);
  const tokens: KindToken[] = nginx
    ? nginx.tokens
    : tokenize(source).map((t) =>
        'literal' in t ? t : { kind: kindOf(t.letter, t.arg, t.directive), directive: t.directive },
      );
  const steps: Step[] = [];
  const fields: FieldStep[] = [];

  tokens.forEach((token, index) => {
    if ('literal' in token) {
      steps.push({ kind: 'literal', bytes: encoder.encode(token.literal) });
      return;
    }
    const prev = tokens[index - 1];
    const next = tokens[index + 1];
    if (next && !('literal' in next)) {
      throw new FormatError(`${token.directive} and ${next.directive} need something between them to tell them apart`);
    }
    const field = token.kind;
    const quoted = !!prev && 'literal' in prev && prev.literal.endsWith('"') && !!next && next.literal.startsWith('"');
    const stop = next ? next.literal.charCodeAt(0) : -1;
    if (stop > 0x7f) throw new FormatError(`the literal after ${token.directive} must start with an ASCII character`);
    const step: FieldStep = {
      kind: 'field',
      field,
      directive: token.directive,
      quoted,
      stop: quoted ? QUOTE : stop,
      primary: false,
    };
    steps.push(step);
    fields.push(step);
  });

  // Which field feeds each metric when a format logs more than one candidate.
  const pick = (...preferred: ((f: FieldStep) => boolean)[]) => {
    for (const test of preferred) {
      const found = fields.find(test);
      if (found) {
        found.primary = true;
        return found;
      }
    }
    return null;
  };
  const status = pick(
    (f) => f.directive.includes('>s'),
    (f) => f.field === 'status',
  );
  if (!status)
    throw new FormatError(
      'the format has no status directive (%s or %>s; nginx: $status); log-analyzer counts requests by status',
    );
  pick(
    (f) => f.field === 'method',
    (f) => f.field === 'request',
  );
  const isSize = (f: FieldStep) => f.field === 'size';
  pick(
    (f) => f.directive === '$body_bytes_sent',
    (f) => f.directive.endsWith('b'),
    (f) => f.directive.endsWith('B') || f.directive === '$bytes_sent',
    isSize,
  );
  const duration = pick(
    (f) => f.field === 'micros',
    (f) => f.field === 'millis',
    (f) => f.field === 'seconds',
  );
  const upstream = pick((f) => f.field === 'upstream_seconds');
  return {
    source,
    steps,
    durationField: (duration?.field as FormatPlan['durationField']) ?? null,
    ...(upstream ? { upstream: true } : {}),
  };
}
