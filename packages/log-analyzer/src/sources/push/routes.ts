// The push source's HTTP edge: auth, content type, body size, JSON, then the decoder and the
// ingest the wiring hands in (which answers once the store has the samples, and durably so when
// the checkpoint is configured to). Each endpoint answers in the shape its clients expect.

import { type Context, type Env, Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { RejectReason } from '../../metrics/catalog.js';
import type { DecodedBatch, Rejection } from '../../store/push-batch.js';
import type { BatchError } from '../../transforms/push/batch.js';
import type { TenantScope } from '../../transforms/push/decode.js';
import { ApiKeys, tenantScope } from './api-keys.js';

export interface PushRoutesOptions {
  maxBodyBytes: number;
  /** null: writes need no key. */
  /** The keys of now (null: pushes need none). */
  keys(): ApiKeys | null;
  /**
   * A body's bytes → a batch grouped by series, or why the body is refused (sources/push/batch.ts),
   * with the bytes (moved to a decode thread and back: use these, not the ones passed in).
   */
  decode(bytes: Uint8Array, tenant: TenantScope): Promise<{ batch: DecodedBatch | BatchError; bytes: Uint8Array }>;
  /**
   * Applies a batch (counting every refusal); resolves with every refused item once acknowledged,
   * or with `unavailable` when it could not be made durable (then nothing of it was applied).
   */
  ingest(batch: DecodedBatch, bytes: Uint8Array, tenant: TenantScope): Promise<Rejection[] | { unavailable: string }>;
  /** A whole request refused before decoding (counted as `n` refused samples, or as none for 401). */
  onRefused(reason: RejectReason | 'unauthorized', n: number): void;
  /** Every push request's status code, once answered. */
  onAnswered(status: number): void;
}

type Endpoint = 'batch' | 'track' | 'track-batch' | 'any';

// Exactly application/json (parameters allowed): the push formats are plain JSON, and a `+json`
// type (application/json-patch+json, …) names another format that a push would misread.
const JSON_TYPE = /^application\/json\s*(;|$)/i;

const EXPECTED: Record<Exclude<Endpoint, 'any'>, string> = {
  batch: 'an object {"metrics":[...],"source":...}',
  track: 'one object {"name","value","type",...}',
  'track-batch': 'an array of {"name","value","type",...}',
};

/** The push endpoints as routes of their own; E is the environment of the app they are mounted on. */
export function pushRoutes<E extends Env>(options: PushRoutesOptions): Hono<E> {
  const app = new Hono<E>();
  const { maxBodyBytes } = options;
  const tooLarge = (c: Context) => {
    options.onRefused('body_too_large', 1);
    return c.json({ error: `the body is larger than ${maxBodyBytes} bytes`, reason: 'body_too_large' }, 413);
  };
  const streamed = bodyLimit({ maxSize: maxBodyBytes, onError: tooLarge });
  // A body with a Content-Length (and no Transfer-Encoding) is judged by that header alone, as
  // bodyLimit does, but without reading `c.req.raw.body`: on @hono/node-server that turns the
  // request into a web stream, and every body then crosses it (a third of a push's HTTP cost);
  // untouched, arrayBuffer() reads it straight from the socket. Other bodies: bodyLimit counts them.
  const limit: MiddlewareHandler = (c, next) => {
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding') !== undefined) return streamed(c, next);
    return Number.parseInt(length, 10) > maxBodyBytes ? Promise.resolve(tooLarge(c)) : next();
  };

  const refuse = (c: Context, status: 400 | 413 | 415 | 503, reason: RejectReason, message: string, n = 1) => {
    options.onRefused(reason, n);
    return c.json({ success: false, error: message, reason }, status);
  };

  const handler = (endpoint: Endpoint) => async (c: Context) => {
    // Without keys anyone may push anything: tenant_id is the body's (there is no one to keep apart).
    let tenant: TenantScope = null;
    const keys = options.keys();
    if (keys) {
      const match = keys.check(ApiKeys.presented(c.req.header('authorization'), c.req.header('x-api-key')));
      if (!match) {
        options.onRefused('unauthorized', 0);
        c.header('WWW-Authenticate', 'Bearer');
        return c.json({ success: false, error: 'a valid API key is needed (Authorization: Bearer KEY)' }, 401);
      }
      tenant = tenantScope(match);
    }
    // A JSON type is required: a page elsewhere can POST text/plain or a form cross-site without
    // a preflight, but not application/json.
    const type = c.req.header('content-type');
    if (type === undefined || !JSON_TYPE.test(type)) {
      const got = type === undefined ? 'none' : type;
      return refuse(c, 415, 'unsupported_media_type', `expected Content-Type: application/json, not ${got}`);
    }
    const { batch: decoded, bytes } = await options.decode(new Uint8Array(await c.req.arrayBuffer()), tenant);
    if ('error' in decoded) {
      const { status, reason, message, items } = decoded.error;
      return refuse(c, status, reason, message, items);
    }
    if (endpoint !== 'any' && decoded.shape !== endpoint) {
      return refuse(c, 400, 'invalid_body', `expected ${EXPECTED[endpoint]}`, Math.max(1, decoded.total));
    }
    const ingested = await options.ingest(decoded, bytes, tenant);
    if ('unavailable' in ingested) {
      return c.json({ success: false, error: `${ingested.unavailable}; nothing was applied, try again` }, 503);
    }
    return answer(
      c,
      decoded,
      ingested.sort((a, b) => a.index - b.index),
    );
  };

  const paths = ['/api/metrics', '/metrics/track', '/metrics/track/batch', '/update'];
  for (const path of paths) {
    app.use(path, async (c, next) => {
      await next();
      if (c.req.method === 'POST') options.onAnswered(c.res.status);
    });
  }
  app.post('/api/metrics', limit, handler('batch'));
  app.post('/metrics/track', limit, handler('track'));
  app.post('/metrics/track/batch', limit, handler('track-batch'));
  app.post('/update', limit, handler('any'));
  return app;
}

/** The answer in the shape of the body that was sent. */
function answer(c: Context, decoded: Pick<DecodedBatch, 'shape' | 'total'>, rejected: Rejection[]) {
  const failed = rejected.length;
  const accepted = decoded.total - failed;
  const errors = rejected.map(({ index, reason, message }) => ({ index, reason, message }));
  const status = failed > 0 && accepted === 0 ? 400 : 200;
  switch (decoded.shape) {
    case 'track': {
      const first = rejected[0];
      return first
        ? c.json({ success: false, message: first.message, reason: first.reason }, 400)
        : c.json({ success: true, message: 'Metric tracked successfully' });
    }
    case 'track-batch':
      return c.json({ success: failed === 0, total: decoded.total, successful: accepted, failed, errors }, status);
    case 'batch':
      return c.json({ success: failed === 0, accepted, rejected: failed, errors }, status);
  }
}
