// Prometheus remote-write 1.0 on the push source: `POST /api/v1/write`, a snappy-compressed
// WriteRequest. The same API keys and body limit as the JSON routes, the same ingest (push log,
// then the store). Answers as the spec asks: 204 when every sample was taken; 400 (not retried by
// the sender) for a body that is not a WriteRequest or samples refused; 5xx only when a retry can
// help (the push log cannot be written: nothing was applied).
//
//   POST /api/v1/write
//   Content-Encoding: snappy
//   Content-Type: application/x-protobuf
//   X-Prometheus-Remote-Write-Version: 0.1.0

import { type Context, type Env, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { RejectReason } from '../../metrics/catalog.js';
import type { DecodedBatch, Rejection } from '../../store/push-batch.js';
import { countByReason } from '../../store/pushed-families.js';
import type { BatchError } from '../../transforms/push/batch.js';
import type { TenantScope } from '../../transforms/push/decode.js';
import { ApiKeys, tenantScope } from './api-keys.js';

export interface RemoteWriteRoutesOptions {
  maxBodyBytes: number;
  /** The keys of now (null: writes need none). */
  keys(): ApiKeys | null;
  /** A body (snappy block) → its batch, or why it is refused whole. */
  decode(body: Uint8Array, tenant: TenantScope): DecodedBatch | BatchError;
  /** As the JSON routes' ingest; `record` is what the push log keeps (remoteWriteRecord). */
  ingest(batch: DecodedBatch, record: Uint8Array, tenant: TenantScope): Promise<Rejection[] | { unavailable: string }>;
  onRefused(reason: RejectReason | 'unauthorized', n: number): void;
  onAnswered(status: number): void;
}

/**
 * A push-log record's body for a remote-write request: this mark, then the body as it came. A JSON
 * body cannot start with a NUL byte (and only bodies that decoded are logged), so the mark tells a
 * replay which decoder to run.
 */
const RECORD_MARK = Uint8Array.of(0, 0x52, 0x57, 0x31); // NUL "RW1"

/** Pure: what the push log keeps of a remote-write body. */
export function remoteWriteRecord(body: Uint8Array): Uint8Array {
  const record = new Uint8Array(RECORD_MARK.length + body.length);
  record.set(RECORD_MARK);
  record.set(body, RECORD_MARK.length);
  return record;
}

/** Pure: a push-log record's remote-write body, or null when it is a JSON push. */
export function remoteWriteBody(record: Uint8Array): Uint8Array | null {
  if (record.length < RECORD_MARK.length) return null;
  for (let i = 0; i < RECORD_MARK.length; i++) if (record[i] !== RECORD_MARK[i]) return null;
  return record.subarray(RECORD_MARK.length);
}

/**
 * Pure: whether the headers name what this endpoint reads, or what to say. Remote-write 2.0
 * (`proto=io.prometheus.write.v2.Request`) is answered 415, as its spec asks of a 1.0 receiver,
 * so a sender configured for 2.0 falls back or says why.
 */
export function headersVerdict(type: string | undefined, encoding: string | undefined): string | null {
  const media = /^application\/x-protobuf\s*(;|$)/i;
  if (type === undefined || !media.test(type)) {
    return `expected Content-Type: application/x-protobuf, not ${type ?? 'none'}`;
  }
  const proto = /;\s*proto=([^;\s]+)/i.exec(type)?.[1];
  if (proto !== undefined && proto !== 'prometheus.WriteRequest') {
    return `this receiver takes remote-write 1.0 (prometheus.WriteRequest), not ${proto}`;
  }
  if (encoding === undefined || encoding.trim().toLowerCase() !== 'snappy') {
    return `expected Content-Encoding: snappy, not ${encoding ?? 'none'}`;
  }
  return null;
}

/** Pure: the text of a 400 for refused samples: how many, by reason, and the first one's message. */
export function refusedText(rejected: readonly Rejection[], total: number): string {
  const byReason = [...countByReason(rejected)].map(([reason, n]) => `${reason}: ${n}`).join(', ');
  const first = rejected.reduce((a, b) => (b.index < a.index ? b : a));
  return `${rejected.length} of ${total} samples refused (${byReason}); the first (#${first.index}): ${first.message}\n`;
}

/** The remote-write endpoint as routes of its own; E is the environment of the app they are mounted on. */
export function remoteWriteRoutes<E extends Env>(options: RemoteWriteRoutesOptions): Hono<E> {
  const app = new Hono<E>();
  const { maxBodyBytes } = options;
  const refuse = (c: Context, status: 400 | 413 | 415, reason: RejectReason, message: string, n = 1) => {
    options.onRefused(reason, n);
    return c.text(`${message}\n`, status);
  };
  app.use('/api/v1/write', async (c, next) => {
    await next();
    if (c.req.method === 'POST') options.onAnswered(c.res.status);
  });
  const limit = bodyLimit({
    maxSize: maxBodyBytes,
    onError: (c) => refuse(c, 413, 'body_too_large', `the body is larger than ${maxBodyBytes} bytes`),
  });
  app.post('/api/v1/write', limit, async (c) => {
    let tenant: TenantScope = null;
    const keys = options.keys();
    if (keys) {
      const match = keys.check(ApiKeys.presented(c.req.header('authorization'), c.req.header('x-api-key')));
      if (!match) {
        options.onRefused('unauthorized', 0);
        c.header('WWW-Authenticate', 'Bearer');
        return c.text('a valid API key is needed (Authorization: Bearer KEY)\n', 401);
      }
      tenant = tenantScope(match);
    }
    const wrong = headersVerdict(c.req.header('content-type'), c.req.header('content-encoding'));
    if (wrong) return refuse(c, 415, 'unsupported_media_type', wrong);
    const body = new Uint8Array(await c.req.arrayBuffer());
    const decoded = options.decode(body, tenant);
    if ('error' in decoded) {
      const { status, reason, message, items } = decoded.error;
      // A 503 here would be a decode thread lost: inline decoding has none.
      return refuse(c, status === 503 ? 400 : status, reason, message, items);
    }
    const ingested = await options.ingest(decoded, remoteWriteRecord(body), tenant);
    if ('unavailable' in ingested) {
      return c.text(`${ingested.unavailable}; nothing was applied, try again\n`, 503);
    }
    if (ingested.length > 0) return c.text(refusedText(ingested, decoded.total), 400);
    return c.body(null, 204);
  });
  return app;
}
