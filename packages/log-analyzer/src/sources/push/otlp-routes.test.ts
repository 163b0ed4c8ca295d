import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { DecodedBatch } from '../../store/push-batch.js';
import { ApiKeys } from './api-keys.js';
import { encodingOf, otlpRoutes } from './otlp-routes.js';

const BATCH = { shape: 'otlp', total: 0, rejected: [], values: new Float64Array(0) } as unknown as DecodedBatch;

function app(keys: ApiKeys | null = null) {
  const seen: { bodies: string[]; refused: string[]; answered: number[] } = { bodies: [], refused: [], answered: [] };
  const routes = otlpRoutes({
    maxBodyBytes: 1024,
    keys: () => keys,
    decode: (body) => {
      seen.bodies.push(Buffer.from(body).toString());
      return BATCH;
    },
    ingest: async () => [],
    onRefused: (reason) => seen.refused.push(reason),
    onAnswered: (status) => seen.answered.push(status),
  });
  return { routes, seen };
}

describe('encodingOf', () => {
  const cases = [
    { name: 'protobuf', given: 'application/x-protobuf', want: 'protobuf' },
    { name: 'JSON with a charset', given: 'application/json; charset=utf-8', want: 'json' },
    { name: 'a +json type is another format', given: 'application/merge-patch+json', want: null },
    { name: 'none', given: undefined, want: null },
  ];
  it.each(cases)('$name', ({ given, want }) => expect(encodingOf(given)).toBe(want));
});

describe('POST /v1/metrics', () => {
  it('a gzipped JSON body is decompressed; the answer is JSON', async () => {
    const { routes, seen } = app();
    const res = await routes.request('/v1/metrics', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      body: gzipSync('{"resourceMetrics":[]}'),
    });
    expect([res.status, res.headers.get('content-type'), await res.text()]).toEqual([200, 'application/json', '{}']);
    expect(seen.bodies).toEqual(['{"resourceMetrics":[]}']);
    expect(seen.answered).toEqual([200]);
  });

  it('a body that decompresses past the limit: 413, nothing decoded', async () => {
    const { routes, seen } = app();
    const res = await routes.request('/v1/metrics', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'gzip' },
      body: gzipSync(Buffer.alloc(1_000_000)),
    });
    expect(res.status).toBe(413);
    expect(seen.refused).toEqual(['body_too_large']);
    expect(seen.bodies).toEqual([]);
  });

  it('not gzip: 400; another encoding: 415', async () => {
    const { routes } = app();
    const post = (encoding: string) =>
      routes.request('/v1/metrics', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': encoding },
        body: 'plain',
      });
    expect((await post('gzip')).status).toBe(400);
    expect((await post('br')).status).toBe(415);
  });

  it('without a valid key: 401 with a google.rpc.Status in the request type', async () => {
    const { routes, seen } = app(new ApiKeys([{ key: 'secret', tenant: null }]));
    const res = await routes.request('/v1/metrics', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer wrong' },
      body: '{}',
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: number }).code).toBe(16);
    const ok = await routes.request('/v1/metrics', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer secret' },
      body: '{}',
    });
    expect(ok.status).toBe(200);
    expect(seen.bodies).toEqual(['{}']);
  });
});
