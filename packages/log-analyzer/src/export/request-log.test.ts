import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../metrics/logger.js';
import type { SpanRecord } from '../metrics/tracing.js';
import { MAX_REQUEST_ID, refusalLevel, requestLog, saneRequestId } from './request-log.js';

describe('an incoming X-Request-Id is kept only when sane', () => {
  const table: { name: string; given: string | undefined; want: string | null }[] = [
    { name: 'a UUID', given: '0b7f3c1e-8a5d-4f2b-9c6e-1d2a3b4c5d6e', want: '0b7f3c1e-8a5d-4f2b-9c6e-1d2a3b4c5d6e' },
    { name: 'a short token', given: 'abc_123.x:y/z', want: 'abc_123.x:y/z' },
    { name: 'absent', given: undefined, want: null },
    { name: 'empty', given: '', want: null },
    { name: 'the longest kept', given: 'a'.repeat(MAX_REQUEST_ID), want: 'a'.repeat(MAX_REQUEST_ID) },
    { name: 'one past the longest', given: 'a'.repeat(MAX_REQUEST_ID + 1), want: null },
    { name: 'huge', given: 'x'.repeat(100_000), want: null },
    { name: 'a tab', given: 'abc\tdef', want: null },
    { name: 'a newline (a forged log line)', given: 'abc\n{"level":"info"}', want: null },
    { name: 'a space', given: 'abc def', want: null },
    { name: 'bytes past ASCII (not UTF-8, read as latin1)', given: 'abc\u00ff\u00fe', want: null },
    { name: 'a DEL', given: 'abc\u007f', want: null },
  ];
  for (const { name, given, want } of table) it(name, () => expect(saneRequestId(given)).toBe(want));
});

describe('which answers are refusals', () => {
  const table: { name: string; given: number; want: 'warn' | 'error' | null }[] = [
    { name: '200', given: 200, want: null },
    { name: '400 (a bad body: debug only, its reason may quote the body)', given: 400, want: null },
    { name: '404', given: 404, want: null },
    { name: '401', given: 401, want: 'warn' },
    { name: '403', given: 403, want: 'warn' },
    { name: '413', given: 413, want: 'warn' },
    { name: '421 (a foreign Host)', given: 421, want: 'warn' },
    { name: '429', given: 429, want: 'warn' },
    { name: '500', given: 500, want: 'error' },
    { name: '503', given: 503, want: 'error' },
  ];
  for (const { name, given, want } of table) it(name, () => expect(refusalLevel(given)).toBe(want));
});

/** An app behind the middleware, and the JSON lines it logs. */
function logged(level: 'info' | 'debug' = 'info', spans: SpanRecord[] | null = null) {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ format: 'json', level, write: (line) => lines.push(JSON.parse(line)) });
  const tracing = spans && { record: (s: SpanRecord) => void spans.push(s), shutdown: async () => {} };
  const app = new Hono().use(requestLog({ log, tracing }));
  app.get('/ok', (c) => c.text('ok'));
  app.post('/push', (c) =>
    c.json({ success: false, error: 'a valid API key is needed (Authorization: Bearer KEY)' }, 401),
  );
  app.post('/big', (c) => c.text('the body is larger than 10 bytes\n', 413));
  app.get('/boom', () => {
    throw new Error('the store is gone');
  });
  app.onError((_e, c) => c.text('Internal Server Error', 500));
  return { app, lines };
}

describe('the request log', () => {
  it('is quiet on the happy path at info, and echoes a new id', async () => {
    const { app, lines } = logged();
    const res = await app.request('/ok');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines).toEqual([]);
  });

  it('logs a refusal with its id, route and reason, and never the key', async () => {
    const { app, lines } = logged();
    const res = await app.request('/push', {
      method: 'POST',
      headers: { 'X-Request-Id': 'req-1', Authorization: 'Bearer sekret-key-9' },
      body: '{"token":"sekret-body"}',
    });
    expect(res.headers.get('x-request-id')).toBe('req-1');
    expect(lines).toEqual([
      {
        level: 'warn',
        time: expect.any(String),
        msg: 'request refused',
        requestId: 'req-1',
        method: 'POST',
        route: '/push',
        path: '/push',
        status: 401,
        reason: 'a valid API key is needed (Authorization: Bearer KEY)',
      },
    ]);
    expect(JSON.stringify(lines)).not.toMatch(/sekret/);
  });

  it("takes a text answer's first line as the reason", async () => {
    const { app, lines } = logged();
    await app.request('/big', { method: 'POST', body: 'x'.repeat(20) });
    expect(lines[0]).toMatchObject({ level: 'warn', status: 413, reason: 'the body is larger than 10 bytes' });
  });

  it('logs a thrown error as a 500 at error, with its message', async () => {
    const { app, lines } = logged();
    const res = await app.request('/boom');
    expect(res.status).toBe(500);
    expect(lines[0]).toMatchObject({ level: 'error', status: 500, route: '/boom', reason: 'the store is gone' });
  });

  it('replaces a hostile id', async () => {
    const { app, lines } = logged();
    const res = await app.request('/push', { method: 'POST', headers: { 'X-Request-Id': 'x'.repeat(5000) } });
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines[0]?.requestId).toBe(id);
  });

  it('logs every request at debug', async () => {
    const { app, lines } = logged('debug');
    await app.request('/ok', { headers: { 'X-Request-Id': 'r2' } });
    expect(lines).toEqual([expect.objectContaining({ level: 'debug', msg: 'request', requestId: 'r2', status: 200 })]);
  });

  it('records a server span, the child of an incoming traceparent', async () => {
    const spans: SpanRecord[] = [];
    const { app } = logged('info', spans);
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await app.request('/push', { method: 'POST', headers: { traceparent, 'X-Request-Id': 'r3' } });
    expect(spans).toEqual([
      expect.objectContaining({
        name: 'POST /push',
        kind: 'server',
        parent: traceparent,
        attributes: expect.objectContaining({ 'http.response.status_code': 401, 'request.id': 'r3' }),
      }),
    ]);
    expect((spans[0] as SpanRecord).endMs).toBeGreaterThanOrEqual((spans[0] as SpanRecord).startMs);
  });
});
