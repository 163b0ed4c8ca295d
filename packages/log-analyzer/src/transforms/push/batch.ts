// A push body → a compact batch grouped by series, ready for the store. Pure, so it runs on a
// decode thread (large bodies) or inline (small ones) with the same result. What crosses the
// thread boundary is the store's DecodedBatch (store/push-batch.ts): a few typed arrays and one string per series, which
// clones far faster than one object per sample would.

import type { RejectReason } from '../../metrics/catalog.js';
import type { DecodedBatch } from '../../store/push-batch.js';
import { type Decoded, type DecodeLimits, decodeBody, decodeMessages, type TenantScope } from './decode.js';
import { fastDecodeBatch, fastDecodeJoined } from './fast-decode.js';
import { BatchGrouper } from './group.js';
import { BodyError, parseJson } from './json-body.js';

export interface BatchContext {
  limits: DecodeLimits;
  /** Put before every name: `<namespace>_<prefix><name>`; a counter's name ends in `_total`. */
  namespace: string;
  prefix: string;
  /** Which tenant_id the writer may set (decode.ts TenantScope): its key's tenant, '' none, null any. */
  tenant: TenantScope;
}

export interface BatchError {
  error: { status: 400 | 413 | 503; reason: RejectReason; message: string; items: number };
}

export { exposedName } from './group.js';

/**
 * Pure: JSON text (or its UTF-8 bytes) → a batch grouped by series, or why the body is refused.
 * Bytes go through the fast decoder (fast-decode.ts) first; whatever it does not take is decoded
 * here, the slow way, with the same answer.
 */
export function decodeBatch(input: string | Uint8Array, context: BatchContext): DecodedBatch | BatchError {
  if (typeof input !== 'string') {
    const fast = fastDecodeBatch(input, context);
    if (fast !== null) return fast;
  }
  return slowDecodeBatch(input, context);
}

/** JSON text is UTF-8 (RFC 8259): other bytes are refused, never replaced by U+FFFD in a label or a service. */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

function utf8(bytes: Uint8Array): string {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    throw new BodyError(400, 'invalid_body', 'the body is not UTF-8 text', 1);
  }
}

/** decodeBatch without the fast decoder: the reference it is tested against. */
export function slowDecodeBatch(input: string | Uint8Array, context: BatchContext): DecodedBatch | BatchError {
  let decoded: Decoded;
  try {
    const text = typeof input === 'string' ? input : utf8(input);
    decoded = decodeBody(parseJson(text), context.limits, context.tenant);
  } catch (error) {
    if (!(error instanceof BodyError)) throw error;
    return { error: { status: error.status, reason: error.reason, message: error.message, items: error.items } };
  }
  return grouped(decoded, context);
}

/**
 * Pure: `count` queue messages joined by NUL bytes (which JSON text cannot hold) → a batch, as
 * decodeMessageBatch; null when the bytes do not split into `count` messages (a message held a
 * NUL: it is not JSON, and the caller decodes the messages one by one).
 */
export function decodeJoinedBatch(bytes: Uint8Array, count: number, context: BatchContext): DecodedBatch | null {
  return fastDecodeJoined(bytes, count, context);
}

/** decodeJoinedBatch without the fast decoder: the reference it is tested against. */
export function slowDecodeJoinedBatch(bytes: Uint8Array, count: number, context: BatchContext): DecodedBatch | null {
  const messages = new TextDecoder().decode(bytes).split('\0');
  return messages.length === count ? decodeMessageBatch(messages, context) : null;
}

/** Pure: queue messages (one JSON text each) → a batch grouped by series; rejections by message index. */
export function decodeMessageBatch(messages: readonly string[], context: BatchContext): DecodedBatch {
  const limits = { ...context.limits, maxItems: Math.max(context.limits.maxItems, messages.length) };
  return grouped(decodeMessages(messages, limits, context.tenant), context);
}

function grouped(decoded: Decoded, context: BatchContext): DecodedBatch {
  const grouper = new BatchGrouper(context.namespace, context.prefix, decoded.samples.length);
  for (const { index, sample } of decoded.samples) grouper.sample(index, sample);
  return grouper.finish(decoded.shape, decoded.total, decoded.rejected);
}
