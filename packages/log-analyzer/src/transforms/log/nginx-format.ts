// nginx's log_format syntax: `$variable` and `${variable}` between literal text, each variable given
// the meaning log-format.ts parses it with. Pure; log-format.ts builds the plan from these tokens.
// Example (nginx's `main`):
// $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" …

/** What a variable means to the parser (a subset of log-format.ts's FieldKind). */
export type NginxKind =
  | 'request'
  | 'method'
  | 'status'
  | 'size'
  | 'seconds'
  | 'time_local'
  | 'upstream_seconds'
  | 'list'
  | 'path'
  | 'opaque';

export type NginxToken = { literal: string } | { kind: NginxKind; directive: string };

/**
 * The variables that feed a metric or need their own scanner; every other variable (`$host`,
 * `$http_<name>`, `$time_iso8601`, `$msec`, …) is free text up to the byte that follows it.
 * nginx writes `-` for an unset value and escapes `"` and control bytes as `\xHH`, so a quoted
 * variable never holds a bare quote.
 */
const KINDS: Readonly<Record<string, NginxKind>> = {
  request: 'request', // "GET /x HTTP/1.1"
  request_method: 'method',
  uri: 'path', // /x (normalised by nginx, no query)
  request_uri: 'path', // /x?y=1 (as sent)
  status: 'status',
  body_bytes_sent: 'size',
  bytes_sent: 'size',
  request_length: 'size',
  request_time: 'seconds', // 0.123 (seconds, millisecond resolution)
  time_local: 'time_local', // 10/Oct/2000:13:55:36 -0700
  upstream_response_time: 'upstream_seconds', // 0.010, 0.020 : 0.005  or  -
  upstream_connect_time: 'list',
  upstream_header_time: 'list',
  upstream_status: 'list', // 502, 200
  upstream_addr: 'list', // 10.0.0.1:80, 10.0.0.2:80
  upstream_bytes_received: 'list',
  upstream_bytes_sent: 'list',
  upstream_response_length: 'list',
  upstream_cache_status: 'opaque',
};

/** A string with `$name` in it is nginx's syntax (Apache's `%` directives never use `$`). */
export function isNginxFormat(format: string): boolean {
  return /\$\{?[A-Za-z_]/.test(format);
}

/** Splits an nginx log_format into literals and variables; an unclosed `${` is an error. */
export function nginxTokens(format: string): { tokens: NginxToken[] } | { error: string } {
  const tokens: NginxToken[] = [];
  let literal = '';
  const pattern = /\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z_][A-Za-z0-9_]*))/g;
  let last = 0;
  for (const m of format.matchAll(pattern)) {
    literal += format.slice(last, m.index);
    last = m.index + m[0].length;
    if (literal) tokens.push({ literal });
    literal = '';
    const name = (m[1] ?? m[2]) as string;
    tokens.push({ kind: KINDS[name] ?? 'opaque', directive: `$${name}` });
  }
  literal += format.slice(last);
  if (/\$\{/.test(literal)) return { error: `unterminated \${…} in the nginx log_format` };
  if (literal) tokens.push({ literal });
  return { tokens };
}
