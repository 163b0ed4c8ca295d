// Renders a Request as one log line in any LogFormat the analyzer understands, using the
// analyzer's own format compiler so that the two can never disagree on what a format means.
// Pure. Example (combined):
// 203.0.113.9 - - [22/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5120 "-" "curl/8.11.0"

import { compileFormat, type FieldStep } from 'log-analyzer/format';
import type { Request } from './traffic-model.js';

type Part = (req: Request, time: string) => string;

const decoder = new TextDecoder();

/** What nginx writes for a variable (nginx-format.ts), given the request. */
function nginxPart(variable: string): Part {
  switch (variable) {
    case 'remote_addr':
      return (r) => r.client;
    case 'remote_user':
      return (r) => r.user;
    case 'time_local':
      // With the brackets of `[$time_local]` (createLineFormatter drops the format's own): Apache's %t.
      return (_, time) => time;
    case 'request':
      return (r) => `${r.method} ${r.path} ${r.protocol}`;
    case 'request_method':
      return (r) => r.method;
    case 'request_uri':
      return (r) => r.path;
    case 'status':
      return (r) => String(r.status);
    case 'body_bytes_sent':
      return (r) => String(r.size);
    case 'bytes_sent':
      return (r) => String(r.size + 180);
    case 'request_time':
      return (r) => (r.durationUs / 1e6).toFixed(3);
    case 'upstream_response_time':
      // One upstream, or a retry after a failed one (nginx's comma list).
      return (r) => (r.status >= 500 ? `0.001, ${(r.durationUs / 1e6).toFixed(3)}` : (r.durationUs / 1e6).toFixed(3));
    case 'upstream_status':
      return (r) => (r.status >= 500 ? `502, ${r.status}` : String(r.status));
    case 'http_referer':
      return (r) => r.referer;
    case 'http_user_agent':
      return (r) => r.userAgent;
    case 'host':
    case 'server_name':
      return (r) => r.vhost;
    default:
      return () => '-';
  }
}

/** What Apache writes for a directive, given the request. */
function partFor(step: FieldStep): Part {
  const d = step.directive;
  if (d.startsWith('$')) return nginxPart(d.slice(1));
  const name = /^%[<>]*\{([^}]*)\}/.exec(d)?.[1]?.toLowerCase() ?? null;
  const letter = d[d.length - 1];
  switch (letter) {
    case 'h':
    case 'a':
      return (r) => r.client;
    case 'A':
      return () => '10.0.0.10';
    case 'l':
      return () => '-';
    case 'u':
      return (r) => r.user;
    case 't':
      return (_, time) => time;
    case 'r':
      return (r) => `${r.method} ${r.path} ${r.protocol}`;
    case 'm':
      return (r) => r.method;
    case 'U':
      return (r) => {
        const q = r.path.indexOf('?');
        return q < 0 ? r.path : r.path.slice(0, q);
      };
    case 'q':
      return (r) => {
        const q = r.path.indexOf('?');
        return q < 0 ? '' : r.path.slice(q);
      };
    case 'H':
      return (r) => r.protocol;
    case 's':
      return (r) => String(r.status);
    case 'b':
      return (r) => (r.size === 0 ? '-' : String(r.size));
    case 'B':
    case 'O':
    case 'S':
      return (r) => String(r.size);
    case 'I':
      return (r) => String(200 + (r.size % 700));
    case 'D':
      return (r) => String(r.durationUs);
    case 'T':
      if (name === 'ms') return (r) => String(Math.round(r.durationUs / 1000));
      if (name === 'us') return (r) => String(r.durationUs);
      return (r) => String(Math.floor(r.durationUs / 1e6));
    case 'i':
      if (name === 'referer') return (r) => r.referer;
      if (name === 'user-agent') return (r) => r.userAgent;
      if (name === 'host') return (r) => r.vhost;
      return () => '-';
    case 'v':
    case 'V':
      return (r) => r.vhost;
    case 'p':
      return (r) => String(r.port);
    case 'P':
      return () => '4242';
    case 'k':
      return () => '0';
    case 'X':
      return () => '+';
    default:
      return () => '-';
  }
}

/**
 * JSON access lines, written as nginx writes them with `log_format … escape=json` (an nginx
 * log_format whose literals are JSON): what the analyzer reads with `--format json_nginx`. No
 * time field: the analyzer does not check one in JSON, so a broken time would not make a line malformed.
 */
export const JSON_LOG_FORMATS: Readonly<Record<string, string>> = {
  json_nginx:
    '{"remote_addr":"$remote_addr","remote_user":"$remote_user","request":"$request","status":"$status","body_bytes_sent":"$body_bytes_sent","request_time":"$request_time","upstream_response_time":"$upstream_response_time","http_referrer":"$http_referer","http_user_agent":"$http_user_agent"}',
};

/** A --format value: a JSON preset's log_format, or the value itself. */
export function noiseFormat(value: string): string {
  return JSON_LOG_FORMATS[value] ?? value;
}

export type LineFormatter = (req: Request, time: string) => string;

/** Compiles a preset or LogFormat string into a function that renders one line (without "\n"). */
export function createLineFormatter(format: string): LineFormatter {
  const parts: (string | Part)[] = compileFormat(format).steps.map((step) =>
    step.kind === 'literal' ? decoder.decode(step.bytes) : partFor(step),
  );
  // nginx's `[$time_local]`: the time is rendered bracketed (one slot for the whole timestamp).
  compileFormat(format).steps.forEach((step, i) => {
    if (step.kind !== 'field' || step.directive !== '$time_local') return;
    const before = parts[i - 1];
    const after = parts[i + 1];
    if (typeof before === 'string' && before.endsWith('[') && typeof after === 'string' && after.startsWith(']')) {
      parts[i - 1] = before.slice(0, -1);
      parts[i + 1] = after.slice(1);
    }
  });
  return (req, time) => {
    let line = '';
    for (const part of parts) line += typeof part === 'string' ? part : part(req, time);
    return line;
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => (n < 10 ? `0${n}` : String(n));

/** Apache's %t for a time in ms, in UTC: [10/Oct/2000:13:55:36 +0000]. */
export function apacheTime(ms: number): string {
  const d = new Date(ms);
  return `[${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000]`;
}
