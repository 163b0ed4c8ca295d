// A push body → a compact batch grouped by series, ready for the store. Pure, so it runs on a
// decode thread (large bodies) or inline (small ones) with the same result. What crosses the
// thread boundary is the store's DecodedBatch (store/push-batch.ts): a few typed arrays and one string per series, which
// clones far faster than one object per sample would.

import type { RejectReason } from '../../metrics/catalog.js';
import type { DecodedBatch, FamilyInfo } from '../../store/push-batch.js';
import {
  type Decoded,
  type DecodeLimits,
  decodeBody,
  decodeMessages,
  type Sample,
  type TenantScope,
} from './decode.js';
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

/** The exposed name: namespace and prefix put before it; a counter's ends in `_total`. */
export function exposedName(sample: Pick<Sample, 'name' | 'type'>, namespace: string, prefix: string): string {
  let name = `${namespace ? `${namespace}_` : ''}${prefix}${sample.name}`;
  if (sample.type === 'counter' && !name.endsWith('_total')) name += '_total';
  return name;
}

const SEP = '\u0001';

/** Pure: JSON text (or its UTF-8 bytes) → a batch grouped by series, or why the body is refused. */
export function decodeBatch(input: string | Uint8Array, context: BatchContext): DecodedBatch | BatchError {
  let decoded: Decoded;
  try {
    const text = typeof input === 'string' ? input : new TextDecoder().decode(input);
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
  const messages = new TextDecoder().decode(bytes).split('\0');
  return messages.length === count ? decodeMessageBatch(messages, context) : null;
}

/** Pure: queue messages (one JSON text each) → a batch grouped by series; rejections by message index. */
export function decodeMessageBatch(messages: readonly string[], context: BatchContext): DecodedBatch {
  const limits = { ...context.limits, maxItems: Math.max(context.limits.maxItems, messages.length) };
  return grouped(decodeMessages(messages, limits, context.tenant), context);
}

function grouped(decoded: Decoded, context: BatchContext): DecodedBatch {
  const { samples } = decoded;
  const families: FamilyInfo[] = [];
  const family: number[] = [];
  const keys: string[] = [];
  const sources: string[] = [];
  const groupOf = new Int32Array(samples.length);
  const counts: number[] = [];
  // Families by raw name, then type, help and layout compared (a batch repeats the same few).
  const byName = new Map<string, number[]>();
  // Series per family; a series pushed by another source than the batch's first is a group apart.
  const groupAt: Map<string, number>[] = [];
  const firstSource = samples[0]?.sample.source;
  for (let i = 0; i < samples.length; i++) {
    const { sample } = samples[i] as { sample: Sample };
    let candidates = byName.get(sample.name);
    if (!candidates) {
      candidates = [];
      byName.set(sample.name, candidates);
    }
    let f = candidates.find((at) => sameFamily(families[at] as FamilyInfo, sample));
    if (f === undefined) {
      f = families.length;
      candidates.push(f);
      const name = exposedName(sample, context.namespace, context.prefix);
      families.push({ name, type: sample.type, help: sample.help, buckets: sample.buckets, targets: sample.targets });
      groupAt.push(new Map());
    }
    const series = groupAt[f] as Map<string, number>;
    const groupKey = sample.source === firstSource ? sample.key : `${sample.key}${SEP}${sample.source}`;
    let g = series.get(groupKey);
    if (g === undefined) {
      g = keys.length;
      series.set(groupKey, g);
      family.push(f);
      keys.push(sample.key);
      sources.push(sample.source);
      counts.push(0);
    }
    groupOf[i] = g;
    counts[g] = (counts[g] as number) + 1;
  }
  const start = new Int32Array(keys.length + 1);
  for (let g = 0; g < keys.length; g++) start[g + 1] = (start[g] as number) + (counts[g] as number);
  const fill = start.slice(0, keys.length);
  const values = new Float64Array(samples.length);
  const stamps = new Float64Array(samples.length);
  const indexes = new Int32Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const { index, sample } = samples[i] as { index: number; sample: Sample };
    const g = groupOf[i] as number;
    const at = fill[g] as number;
    fill[g] = at + 1;
    values[at] = sample.value;
    stamps[at] = sample.timestamp ?? Number.NaN;
    indexes[at] = index;
  }
  return {
    shape: decoded.shape,
    total: decoded.total,
    rejected: decoded.rejected,
    families,
    family: Int32Array.from(family),
    keys,
    sources,
    start,
    values,
    stamps,
    indexes,
  };
}

function sameFamily(info: FamilyInfo, sample: Sample): boolean {
  if (info.type !== sample.type || info.help !== sample.help) return false;
  const a = info.buckets;
  const b = sample.buckets;
  if (a !== b && (a === null || b === null || a.length !== b.length || a.some((x, i) => x !== b[i]))) return false;
  const p = info.targets;
  const q = sample.targets;
  return (
    p === q ||
    (p !== null &&
      q !== null &&
      p.length === q.length &&
      p.every((t, i) => t.quantile === q[i]?.quantile && t.epsilon === q[i]?.epsilon))
  );
}
