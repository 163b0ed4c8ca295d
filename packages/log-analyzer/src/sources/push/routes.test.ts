import { serve } from '@hono/node-server';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeBatch } from '../../transforms/push/batch.js';
import { pushRoutes } from './routes.js';

const LIMITS = { maxItems: 100, maxLabels: 8, maxLabelValueBytes: 1024, maxSeriesBytes: 2048 };
const MAX = 200;

/** The push routes over a fake ingest: what was refused, and the bodies that reached the decoder. */
function routes() {
  const refused: string[] = [];
  const decoded: number[] = [];
  const app = pushRoutes({
    maxBodyBytes: MAX,
    keys: () => null,
    decode: async (bytes, tenant) => {
      decoded.push(bytes.length);
      return { batch: decodeBatch(bytes, { limits: LIMITS, namespace: '', prefix: '', tenant }), bytes };
    },
    ingest: async () => [],
    onRefused: (reason) => refused.push(reason),
    onAnswered: () => {},
  });
  return { app, refused, decoded };
}

const body = (pad: number) => JSON.stringify({ name: 'x', type: 'gauge', value: 1, pad: 'p'.repeat(pad) });

describe('push routes: the body size limit', () => {
  const table: { name: string; given: { body: string; headers: Record<string, string> }; want: number }[] = [
    {
      name: 'a Content-Length within the limit',
      given: { body: body(10), headers: { 'content-length': '' } },
      want: 200,
    },
    {
      name: 'a Content-Length past the limit',
      given: { body: body(300), headers: { 'content-length': '' } },
      want: 413,
    },
    { name: 'no Content-Length, within (counted)', given: { body: body(10), headers: {} }, want: 200 },
    { name: 'no Content-Length, past (counted)', given: { body: body(300), headers: {} }, want: 413 },
  ];
  for (const { name, given, want } of table) {
    it(name, async () => {
      const { app, refused, decoded } = routes();
      const headers: Record<string, string> = { 'content-type': 'application/json', ...given.headers };
      if ('content-length' in headers) headers['content-length'] = String(Buffer.byteLength(given.body));
      const res = await app.request('/metrics/track', { method: 'POST', headers, body: given.body });
      expect(res.status).toBe(want);
      expect(refused).toEqual(want === 413 ? ['body_too_large'] : []);
      expect(decoded).toEqual(want === 413 ? [] : [Buffer.byteLength(given.body)]);
    });
  }
});

describe('push routes over a socket (@hono/node-server)', () => {
  let close: (() => void) | null = null;
  afterEach(() => {
    close?.();
    close = null;
  });

  async function listen() {
    const r = routes();
    const server = serve({ fetch: r.app.fetch, port: 0, hostname: '127.0.0.1' });
    close = () => server.close();
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };
    return { ...r, url: `http://127.0.0.1:${port}/metrics/track` };
  }

  it('a body with a Content-Length is read whole, or refused by its length', async () => {
    const { url, refused, decoded } = await listen();
    const post = (text: string) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });
    expect((await post(body(10))).status).toBe(200);
    expect(decoded).toEqual([Buffer.byteLength(body(10))]);
    expect((await post(body(300))).status).toBe(413);
    expect(refused).toEqual(['body_too_large']);
    expect(decoded).toHaveLength(1);
  });

  it('a chunked body (no Content-Length) is counted as it comes, and refused past the limit', async () => {
    const { url, refused, decoded } = await listen();
    const chunked = (text: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: new Blob([text]).stream(),
        duplex: 'half',
      } as RequestInit);
    expect((await chunked(body(10))).status).toBe(200);
    expect((await chunked(body(300))).status).toBe(413);
    expect(refused).toEqual(['body_too_large']);
    expect(decoded).toEqual([Buffer.byteLength(body(10))]);
  });
});
