// Every HTTP request's id, its log line and its span, in one middleware that runs first and looks
// at the answer: whoever refused it (the Host check, read auth, a push route's key check, a body
// limit, a thrown error), the refusal is logged here once, with the request id, route, remote
// address and reason. The id is the client's X-Request-Id when sane, else a new UUID, and is
// echoed in the answer's X-Request-Id. Never logged: a header's value, a query string, a body.

import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Logger } from '../metrics/logger.js';
import { nowMs, type Tracing } from '../metrics/tracing.js';

/** Longest X-Request-Id kept (a UUID is 36; trace ids and ULIDs fit too). */
export const MAX_REQUEST_ID = 128;

/**
 * An incoming X-Request-Id, kept when it is 1 to 128 visible ASCII characters (no space, no
 * control character, no byte past ASCII: what a log line and a header carry unchanged); else null
 * and a new one is made. Pure.
 */
export function saneRequestId(value: string | undefined): string | null {
  if (value === undefined || value.length === 0 || value.length > MAX_REQUEST_ID) return null;
  return /^[\x21-\x7e]+$/.test(value) ? value : null;
}

/** The answers logged as refusals, at warn (5xx: error); every other answer is logged at debug. */
export function refusalLevel(status: number): 'warn' | 'error' | null {
  if (status >= 500) return 'error';
  return [401, 403, 413, 421, 429].includes(status) ? 'warn' : null;
}

/** A refusal's reason: the error thrown, else the answer's own `error` (or `reason`), else its first line. */
async function reasonOf(response: Response, error: Error | undefined): Promise<string> {
  if (error) return error.message;
  const type = response.headers.get('content-type') ?? '';
  if (!/^(application\/json|text\/)/.test(type)) return `HTTP ${response.status}`;
  let text = '';
  try {
    text = (await response.clone().text()).slice(0, 4096);
  } catch {
    return `HTTP ${response.status}`;
  }
  let said: unknown = text;
  if (type.startsWith('application/json')) {
    try {
      const body = JSON.parse(text) as { error?: unknown; reason?: unknown };
      said = body.error ?? body.reason ?? text;
    } catch {}
  }
  const line = (typeof said === 'string' ? said : JSON.stringify(said)).split('\n')[0]?.trim() ?? '';
  return line.slice(0, 300) || `HTTP ${response.status}`;
}

export interface RequestLogOptions {
  log: Logger;
  /** null: tracing is off (nothing recorded). */
  tracing?: Tracing | null;
}

export function requestLog(options: RequestLogOptions): MiddlewareHandler {
  const { log, tracing } = options;
  return async (c, next) => {
    const started = tracing ? nowMs() : 0;
    const id = saneRequestId(c.req.header('x-request-id')) ?? randomUUID();
    await next();
    c.res.headers.set('X-Request-Id', id);
    const status = c.res.status;
    const level = refusalLevel(status);
    if (!level && !tracing && !log.isLevelEnabled('debug')) return;
    // The route that answers (its pattern: /metrics/job/*), not a middleware's; none matched: unmatched.
    const route = matchedRoutes(c).findLast((r) => r.method !== 'ALL')?.path ?? 'unmatched';
    const method = c.req.method;
    const remote = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket
      ?.remoteAddress;
    const fields = { requestId: id, method, route, path: c.req.path, status, remote };
    if (level) log[level]({ ...fields, reason: await reasonOf(c.res, c.error) }, 'request refused');
    else log.debug(fields, 'request');
    tracing?.record({
      name: `${method} ${route}`,
      kind: 'server',
      startMs: started,
      endMs: nowMs(),
      parent: c.req.header('traceparent'),
      attributes: {
        'http.request.method': method,
        'http.route': route,
        'url.path': c.req.path,
        'http.response.status_code': status,
        'request.id': id,
      },
      ...(status >= 500 ? { error: c.error?.message ?? `HTTP ${status}` } : {}),
    });
  };
}
