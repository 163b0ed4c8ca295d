// OTLP/HTTP metrics on the push source: `POST /v1/metrics`, an ExportMetricsServiceRequest as
// protobuf or JSON, gzip or not. The same API keys, body limit and ingest (push log, then the store)
// as the other push routes. Answers as the OTLP/HTTP spec asks, in the request's content type:
// 200 with an ExportMetricsServiceResponse (partial_success when points were refused); 400 (not
// retried by exporters) for a body that is not a request; 413, 415; 503 (retried) only when the push
// log cannot be written (nothing was applied).
//
//   POST /v1/metrics
//   Content-Type: application/x-protobuf        (or application/json)
//   Content-Encoding: gzip                      (optional)

import { gunzipSync } from 'node:zlib';
import { type Context, type Env, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { RejectReason } from '../../metrics/catalog.js';
import type { DecodedBatch, Rejection } from '../../store/push-batch.js';
import { type Encoding, exportAnswer, statusAnswer } from '../../transforms/otlp/answer.js';
import { otlpRecord } from '../../transforms/otlp/decode.js';
import type { BatchError } from '../../transforms/push/batch.js';
import type { TenantScope } from '../../transforms/push/decode.js';
import type { ApiKeys } from './api-keys.js';
import { countAnswers, presentedTenant } from './route-guards.js';

export interface OtlpRoutesOptions {
  maxBodyBytes: number;
  keys(): ApiKeys | null;
  /** A decompressed body → its batch, or why it is refused whole. */
  decode(body: Uint8Array, encoding: Encoding, tenant: TenantScope): DecodedBatch | BatchError;
  /** As the JSON routes' ingest; `record` is what the push log keeps (otlpRecord). */
  ingest(batch: DecodedBatch, record: Uint8Array, tenant: TenantScope): Promise<Rejection[] | { unavailable: string }>;
  onRefused(reason: RejectReason | 'unauthorized', n: number): void;
  onAnswered(status: number): void;
}

/** Pure: the encoding a Content-Type names, or null when it is neither OTLP encoding. */
export function encodingOf(type: string | undefined): Encoding | null {
  if (type === undefined) return null;
  if (/^application\/x-protobuf\s*(;|$)/i.test(type)) return 'protobuf';
  if (/^application\/json\s*(;|$)/i.test(type)) return 'json';
  return null;
}

const CONTENT_TYPES: Record<Encoding, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

/** gRPC status codes a google.rpc.Status carries. */
const INVALID_ARGUMENT = 3;
const UNAUTHENTICATED = 16;
const RESOURCE_EXHAUSTED = 8;
const UNAVAILABLE = 14;

/** The OTLP metrics endpoint as routes of their own; E is the environment of the app they are mounted on. */
export function otlpRoutes<E extends Env>(options: OtlpRoutesOptions): Hono<E> {
  const app = new Hono<E>();
  const { maxBodyBytes } = options;
  const answer = (c: Context, status: number, body: Uint8Array | string, encoding: Encoding) => {
    c.header('Content-Type', CONTENT_TYPES[encoding]);
    return c.body(typeof body === 'string' ? body : (body as Uint8Array<ArrayBuffer>), status as 200);
  };
  const refuse = (c: Context, status: 400 | 413 | 415, reason: RejectReason, message: string, n = 1) => {
    options.onRefused(reason, n);
    const encoding = encodingOf(c.req.header('content-type')) ?? 'json';
    const code = status === 413 ? RESOURCE_EXHAUSTED : INVALID_ARGUMENT;
    return answer(c, status, statusAnswer(code, message, encoding), encoding);
  };
  countAnswers(app, '/v1/metrics', options.onAnswered);
  const tooLarge = (c: Context) => refuse(c, 413, 'body_too_large', `the body is larger than ${maxBodyBytes} bytes`);
  app.post('/v1/metrics', bodyLimit({ maxSize: maxBodyBytes, onError: tooLarge }), async (c) => {
    const encoding = encodingOf(c.req.header('content-type'));
    const tenant = presentedTenant(c, options.keys());
    if (tenant === undefined) {
      options.onRefused('unauthorized', 0);
      c.header('WWW-Authenticate', 'Bearer');
      const message = 'a valid API key is needed (Authorization: Bearer KEY)';
      return answer(c, 401, statusAnswer(UNAUTHENTICATED, message, encoding ?? 'json'), encoding ?? 'json');
    }
    if (encoding === null) {
      const type = c.req.header('content-type') ?? 'none';
      return refuse(
        c,
        415,
        'unsupported_media_type',
        `expected application/x-protobuf or application/json, not ${type}`,
      );
    }
    const contentEncoding = (c.req.header('content-encoding') ?? 'identity').trim().toLowerCase();
    if (contentEncoding !== 'gzip' && contentEncoding !== 'identity') {
      return refuse(c, 415, 'unsupported_media_type', `Content-Encoding ${contentEncoding} is not gzip`);
    }
    let body: Uint8Array = new Uint8Array(await c.req.arrayBuffer());
    if (contentEncoding === 'gzip') {
      try {
        body = gunzipSync(body, { maxOutputLength: maxBodyBytes });
      } catch (error) {
        if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
          return refuse(c, 413, 'body_too_large', `the body decompresses to more than ${maxBodyBytes} bytes`);
        }
        return refuse(c, 400, 'invalid_body', `the body is not gzip: ${(error as Error).message}`);
      }
    }
    const decoded = options.decode(body, encoding, tenant);
    if ('error' in decoded) {
      const { status, reason, message, items } = decoded.error;
      return refuse(c, status === 503 ? 400 : status, reason, message, items);
    }
    const ingested = await options.ingest(decoded, otlpRecord(body, encoding), tenant);
    if ('unavailable' in ingested) {
      const message = `${ingested.unavailable}; nothing was applied, try again`;
      return answer(c, 503, statusAnswer(UNAVAILABLE, message, encoding), encoding);
    }
    return answer(c, 200, exportAnswer(ingested, encoding), encoding);
  });
  return app;
}
