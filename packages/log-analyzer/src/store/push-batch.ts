// What a push transform hands the store: one batch of decoded samples, grouped by series. The store
// owns these types (it applies them); the decoders in transforms/push build them. A batch crosses
// the decode thread boundary as is: a few typed arrays and one string per series.

import type { RejectReason, Target } from '../metrics/catalog.js';

export const METRIC_TYPES = ['counter', 'gauge', 'histogram', 'summary'] as const;
export type MetricType = (typeof METRIC_TYPES)[number];

/**
 * The body's shape, for the answer. `remote-write`: absolute values of scraped series (a counter's
 * running total, every sample timestamped): the store keeps the newest per series.
 */
export type BatchShape = 'batch' | 'track' | 'track-batch' | 'queue' | 'remote-write' | 'statsd' | 'otlp';

/**
 * A source `otlp@<start time>`: one OTLP stream's running totals since that start (absolute, as
 * remote-write's). A series follows one stream: a new start time means the sender restarted, so
 * its totals replace the older stream's and count from zero.
 */
export const STREAM_SOURCE = 'otlp@';

export interface Rejection {
  index: number;
  reason: RejectReason;
  message: string;
}

/** What the store made of a batch: the samples it accepted, and every item refused (the decoder's first). */
export interface Taken {
  accepted: number;
  rejected: Rejection[];
}

/** One distinct (name, type, help, layout) in the batch, in order of first appearance. */
export interface FamilyInfo {
  name: string;
  type: MetricType;
  help: string | null;
  buckets: number[] | null;
  targets: Target[] | null;
}

export interface DecodedBatch {
  shape: BatchShape;
  total: number;
  /** Items refused by the decoder. */
  rejected: Rejection[];
  families: FamilyInfo[];
  /** Per group (one series of one source): its family, series key (pairsKey) and source. */
  family: Int32Array;
  keys: string[];
  sources: string[];
  /** Group g's samples are [start[g], start[g + 1]) of the arrays below, in body order. */
  start: Int32Array;
  values: Float64Array;
  /** Sample times (ms since the epoch), NaN when none was given. */
  stamps: Float64Array;
  /** Each sample's index in the body, for the answer. */
  indexes: Int32Array;
}

/** A series key (pairsKey) back into label names and values: only for a series seen the first time. */
export function splitKey(key: string): { names: string[]; values: string[] } {
  const parts = key.split('\u0000');
  const names: string[] = [];
  const values: string[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    names.push(parts[i] as string);
    values.push(parts[i + 1] as string);
  }
  return { names, values };
}

/** The tenant of a series key (pairsKey, sorted by name): its tenant_id, or '' when none. */
export function tenantOfKey(key: string): string {
  for (let at = 0; at < key.length; ) {
    const nameEnd = key.indexOf('\u0000', at);
    const valueEnd = key.indexOf('\u0000', nameEnd + 1);
    if (nameEnd < 0 || valueEnd < 0) return '';
    if (key.slice(at, nameEnd) === 'tenant_id') return key.slice(nameEnd + 1, valueEnd);
    at = valueEnd + 1;
  }
  return '';
}

/** A batch for a push source's sink, and the time it is applied at (a replay: the time it first came). */
export interface TimedBatch {
  batch: DecodedBatch;
  at: number;
}
