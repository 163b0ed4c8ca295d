// Pushed metrics: the accepted JSON shapes → one sample model. Pure; the only module that knows
// the shapes. Every item is checked on its own here (names, labels, value, layout); checks that
// need the store's state (type conflicts, layouts, series limits) happen when it is applied.
//
//   POST /api/metrics        {"metrics":[{"name","metric_type","help"?,"labels"?,"value":{"value","timestamp"?}}],"source"?}
//   POST /metrics/track      {"name","value","type","labels"?,"service"?,"tenant_id"?}
//   POST /metrics/track/batch [ …the same… ]
//   queue message (Redis)    {"type","name","value","labels"?,"buckets"?,"quantiles"?,"epsilons"?}
//   POST /update             any of the above

import type { RejectReason, Target } from '../../metrics/catalog.js';
import {
  LABEL_NAME,
  longerThan,
  MAX_HELP_BYTES,
  MAX_LABEL_NAME_BYTES,
  MAX_NAME_BYTES,
  METRIC_NAME,
  remember,
} from '../../metrics/prom-names.js';
import { type BatchShape, METRIC_TYPES, type MetricType, type Rejection } from '../../store/push-batch.js';
import { MIN_EPSILON } from '../../store/quantiles.js';
import { BodyError, parseJson } from './json-body.js';

export interface Sample {
  name: string;
  type: MetricType;
  help: string | null;
  /** The series' labels as the store's key: name NUL value NUL …, sorted by name. */
  key: string;
  /** Counter: an increment (or a running total for cumulative sources); gauge: the value; histogram/summary: one observation. */
  value: number;
  /** Milliseconds since the epoch, when the sender gave one. */
  timestamp: number | null;
  /** Histogram: upper bounds, ascending, without +Inf. */
  buckets: number[] | null;
  /** Summary: the quantiles and their rank errors. */
  targets: Target[] | null;
  /** Who sent it (the batch's `source`, or a tracked metric's `service`): stats and cumulative counters. */
  source: string;
}

export interface Decoded {
  /** The body's shape, for the answer. */
  shape: BatchShape;
  samples: { index: number; sample: Sample }[];
  rejected: Rejection[];
  total: number;
}

/**
 * Which tenant a writer's samples may carry in `tenant_id`: a tenant name (its key's: every sample
 * is that tenant's, a body naming another is refused), '' (none: a key without a tenant, a queue
 * without allow_tenant_id) or null (whatever the body says: a `KEY:*` key, push without keys, a
 * queue with allow_tenant_id). Push-log records keep it; records written before '' existed hold null.
 */
export type TenantScope = string | null;

export interface DecodeLimits {
  maxItems: number;
  maxLabels: number;
  maxLabelValueBytes: number;
  /**
   * Most UTF-8 bytes of a series' label text (its names and values summed): without it a series
   * could hold maxLabels × (MAX_LABEL_NAME_BYTES + maxLabelValueBytes) ≈ 37 KB, and 16,200 of them
   * in one family outgrew V8's longest string (the checkpoint) and the heap (/metrics).
   */
  maxSeriesBytes: number;
}

/** A tenant's name, in a key (`KEY:TENANT`) or a body's tenant_id: a scoped read can name every tenant. */
export const TENANT = /^[A-Za-z0-9_.-]{1,64}$/;
/** A lone surrogate cannot be written as UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const TYPES = new Set<string>(METRIC_TYPES);

/** One item refused (its reason and message); the fast decoder tells it from a Sample by class. */
export class ItemError extends Error {
  constructor(
    readonly reason: RejectReason,
    message: string,
  ) {
    super(message);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function timestampOf(raw: unknown): number | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'number' && Number.isFinite(raw) && raw >= 0) return raw;
  if (typeof raw === 'string') {
    const ms = Date.parse(raw);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new ItemError('invalid_value', 'timestamp must be milliseconds since the epoch or an RFC 3339 time');
}

/** Names already found valid (bounded): most pushes repeat the same few, so each is checked once. */
const validNames = new Set<string>();
const validLabelNames = new Set<string>();

/** A value for a message: short, and never walked (a body may nest 100,000 arrays deep). */
function shown(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 64 ? `${v.slice(0, 64)}…` : v);
  if (Array.isArray(v)) return 'an array';
  return v === null ? 'null' : typeof v === 'object' ? 'an object' : String(v);
}

function checkLabel(k: string, v: unknown, limits: DecodeLimits): void {
  if (!validLabelNames.has(k)) {
    if (k.length > MAX_LABEL_NAME_BYTES) {
      throw new ItemError(
        'label_name_too_long',
        `a label name is ${k.length} bytes, more than ${MAX_LABEL_NAME_BYTES}`,
      );
    }
    if (!LABEL_NAME.test(k)) throw new ItemError('invalid_label', `label name "${k}" is not a Prometheus label name`);
    if (k.startsWith('__')) throw new ItemError('invalid_label', `label name "${k}" is reserved (starts with __)`);
    if (k === 'le' || k === 'quantile') throw new ItemError('invalid_label', `label name "${k}" is reserved`);
    remember(validLabelNames, k);
  }
  if (typeof v !== 'string') throw new ItemError('invalid_label', `label "${k}" must be a string`);
  if (LONE_SURROGATE.test(v) || v.includes('\u0000')) {
    throw new ItemError('invalid_label', `label "${k}" is not valid UTF-8 text (or holds NUL)`);
  }
  if (longerThan(v, limits.maxLabelValueBytes)) {
    throw new ItemError('label_too_long', `label "${k}" is longer than ${limits.maxLabelValueBytes} bytes`);
  }
}

/**
 * The series key of an item's labels (the store's pairsKey: name NUL value NUL …, sorted by name).
 * `extra` labels are added unless the labels have them; `tenant` replaces tenant_id whatever the
 * body said. Built straight from the parsed object when it is already sorted (the usual case).
 * A label with an empty value is left out (tenant_id "" too): in Prometheus it is the same series
 * as no such label, so `e` and `e{x=""}` must be one series, not two lines for one.
 */
function labelKey(raw: unknown, extra: [string, string][], tenant: string | null, limits: DecodeLimits): string {
  if (raw !== undefined && raw !== null && !isObject(raw)) {
    throw new ItemError('invalid_label', 'labels must be an object of strings');
  }
  const labels = (raw ?? {}) as Record<string, unknown>;
  let key = '';
  let previous = '';
  let n = 0;
  let sorted = true;
  for (const k in labels) {
    const v = labels[k];
    checkLabel(k, v, limits);
    if (v === '') continue;
    if (k < previous) sorted = false;
    previous = k;
    key += `${k}\u0000${v}\u0000`;
    n++;
  }
  if (sorted && extra.length === 0 && tenant === null) {
    if (n > limits.maxLabels) throw new ItemError('too_many_labels', `${n} labels, more than ${limits.maxLabels}`);
    return checkSeriesBytes(key, n, limits);
  }
  const pairs = (Object.entries(labels) as [string, string][]).filter(([, v]) => v !== '');
  for (const [k, v] of extra) {
    const own = labels[k];
    if (own === v) continue;
    if (typeof own === 'string' && own !== '') {
      // Both name it, differently: as Prometheus does with a scraped label that meets a target
      // label (honor_labels: false), the field keeps the name and the label moves to
      // exported_<name> (exported_exported_<name> while that is taken too). Both stay in the identity.
      const at = pairs.findIndex(([n]) => n === k);
      pairs[at] = [exportedName(k, labels), own];
    }
    checkLabel(k, v, limits);
    pairs.push([k, v]);
  }
  if (pairs.length > limits.maxLabels) {
    throw new ItemError('too_many_labels', `${pairs.length} labels, more than ${limits.maxLabels}`);
  }
  const all =
    tenant === null ? pairs : [...pairs.filter(([k]) => k !== 'tenant_id'), ['tenant_id', tenant] as [string, string]];
  all.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return checkSeriesBytes(all.map(([k, v]) => `${k}\u0000${v}\u0000`).join(''), all.length, limits);
}

/** Where a label clashing with the field of its name goes: exported_<name>, prefixed again while the labels have it. */
export function exportedName(name: string, labels: Readonly<Record<string, unknown>>): string {
  let renamed = `exported_${name}`;
  while (typeof labels[renamed] === 'string' && labels[renamed] !== '') renamed = `exported_${renamed}`;
  return renamed;
}

/** The key, when its label text (the key without its two NULs per label) is within maxSeriesBytes. */
function checkSeriesBytes(key: string, labels: number, limits: DecodeLimits): string {
  if (longerThan(key, limits.maxSeriesBytes + 2 * labels)) {
    throw new ItemError(
      'series_too_large',
      `the labels' names and values are ${Buffer.byteLength(key) - 2 * labels} bytes, more than ${limits.maxSeriesBytes}`,
    );
  }
  return key;
}

/** The last layout checked: a batch of one histogram repeats it in every item. */
let lastBuckets: { raw: unknown[]; bounds: number[] } | null = null;

export function bucketsOf(raw: unknown): number[] | null {
  if (raw === undefined || raw === null) return null;
  if (
    lastBuckets &&
    Array.isArray(raw) &&
    raw.length === lastBuckets.raw.length &&
    raw.every((b, i) => b === lastBuckets?.raw[i])
  ) {
    return lastBuckets.bounds;
  }
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > 64) {
    throw new ItemError('invalid_layout', 'buckets must be 1 to 64 ascending numbers');
  }
  const bounds = raw.filter((b) => b !== '+Inf' && b !== Number.POSITIVE_INFINITY);
  for (let i = 0; i < bounds.length; i++) {
    const b = bounds[i];
    if (typeof b !== 'number' || !Number.isFinite(b) || (i > 0 && b <= (bounds[i - 1] as number))) {
      throw new ItemError('invalid_layout', 'buckets must be 1 to 64 ascending numbers');
    }
  }
  lastBuckets = { raw, bounds: bounds as number[] };
  return bounds as number[];
}

export function targetsOf(quantiles: unknown, epsilons: unknown): Target[] | null {
  if (quantiles === undefined || quantiles === null) return null;
  const bad = () =>
    new ItemError('invalid_layout', 'quantiles must be 1 to 16 different numbers in (0, 1), epsilons in (0, 0.5]');
  if (!Array.isArray(quantiles) || quantiles.length === 0 || quantiles.length > 16) throw bad();
  if (epsilons !== undefined && epsilons !== null && (!Array.isArray(epsilons) || epsilons.length !== quantiles.length))
    throw bad();
  const targets = quantiles.map((q, i) => {
    const e = Array.isArray(epsilons) ? epsilons[i] : defaultEpsilon(q);
    if (typeof q !== 'number' || !(q > 0 && q < 1) || typeof e !== 'number' || !(e > 0 && e <= 0.5)) throw bad();
    if (e < MIN_EPSILON) {
      // The sketch's memory and merge work grow as 1/ε (store/quantiles.ts).
      throw new ItemError('epsilon_too_small', `epsilon ${e} is below the minimum ${MIN_EPSILON}`);
    }
    return { quantile: q, epsilon: e };
  });
  targets.sort((a, b) => a.quantile - b.quantile);
  // A quantile given twice would be exposed as two lines of one series.
  if (targets.some((t, i) => i > 0 && t.quantile === targets[i - 1]?.quantile)) throw bad();
  return targets;
}

/** client_golang's objectives when only quantiles are given: a tenth of the rest of the rank, at most 5 %, at least MIN_EPSILON. */
function defaultEpsilon(q: unknown): number {
  return typeof q === 'number' ? Math.min(0.05, Math.max(MIN_EPSILON, Math.round((1 - q) * 1e5) / 1e6)) : 0;
}

function checkValue(type: MetricType, value: unknown): asserts value is number {
  if (typeof value !== 'number') throw new ItemError('invalid_value', 'value must be a number');
  // JSON has no NaN or Infinity, but 1e999 parses as Infinity.
  if (!Number.isFinite(value)) throw new ItemError('overflow', 'value is too large to be a finite number');
  if (type === 'counter' && value < 0) throw new ItemError('negative_counter', 'a counter cannot go down');
}

/** The tenant an item's labels name (`labels.tenant_id`), if any. */
function labelTenant(labels: unknown): string | null {
  const named = isObject(labels) ? labels.tenant_id : undefined;
  return typeof named === 'string' && named !== '' ? named : null;
}

/**
 * Whether the writer may name this tenant (see TenantScope): a key with a tenant writes as it
 * (naming it is fine, naming another is refused); '' names none.
 */
function checkTenant(scope: TenantScope, named: string | null): void {
  if (named === null || named === scope) return;
  if (scope === null) {
    if (!TENANT.test(named))
      throw new ItemError('invalid_label', 'tenant_id must be 1 to 64 letters, digits, _ . or -');
    return;
  }
  throw new ItemError(
    'tenant_not_allowed',
    scope === ''
      ? `tenant_id "${named}" cannot be set by this writer (a key needs :* to set it, the queue allow_tenant_id)`
      : `this key writes as tenant "${scope}", not "${named}"`,
  );
}

/**
 * One item of any shape. `service` and `tenant_id` become the labels of their names; a label of
 * the same name with another value becomes exported_<name> (exportedName). Throws ItemError
 * when refused. Exported for the fast decoder (fast-decode.ts), which asks it about every item it
 * does not take itself, so both paths answer with the same checks.
 */
export function decodeItem(raw: unknown, source: string, limits: DecodeLimits, tenant: TenantScope): Sample {
  if (!isObject(raw)) throw new ItemError('invalid_body', 'an item must be an object');
  const { name } = raw;
  if (typeof name === 'string' && name.length > MAX_NAME_BYTES) {
    throw new ItemError('name_too_long', `a name is ${name.length} bytes, more than ${MAX_NAME_BYTES}`);
  }
  if (typeof name !== 'string' || !(validNames.has(name) || METRIC_NAME.test(name))) {
    throw new ItemError('invalid_name', `name ${shown(name)} is not a Prometheus metric name`);
  }
  remember(validNames, name);
  const type = raw.metric_type ?? raw.type;
  if (typeof type !== 'string' || !TYPES.has(type)) {
    throw new ItemError('invalid_type', `type ${shown(type)} is not one of ${METRIC_TYPES.join(', ')}`);
  }
  let value = raw.value;
  let timestamp = raw.timestamp;
  if (isObject(value)) {
    timestamp = value.timestamp;
    value = value.value;
  }
  checkValue(type as MetricType, value);
  const help = raw.help;
  if (help !== undefined && help !== null && typeof help !== 'string') {
    throw new ItemError('invalid_body', 'help must be a string');
  }
  if (typeof help === 'string' && longerThan(help, MAX_HELP_BYTES)) {
    throw new ItemError('help_too_long', `help is more than ${MAX_HELP_BYTES} bytes`);
  }
  const service = typeof raw.service === 'string' && raw.service !== '' ? raw.service : null;
  const bodyTenant = typeof raw.tenant_id === 'string' && raw.tenant_id !== '' ? raw.tenant_id : null;
  checkTenant(tenant, bodyTenant);
  checkTenant(tenant, labelTenant(raw.labels));
  const extra: [string, string][] = [];
  if (service) extra.push(['service', service]);
  if (bodyTenant) extra.push(['tenant_id', bodyTenant]);
  return {
    name,
    type: type as MetricType,
    help: help || null,
    key: labelKey(raw.labels, extra, tenant || null, limits),
    value,
    timestamp: timestampOf(timestamp),
    buckets: type === 'histogram' ? bucketsOf(raw.buckets) : null,
    targets: type === 'summary' ? targetsOf(raw.quantiles, raw.epsilons) : null,
    source: service ?? source,
  };
}

function decodeItems(
  items: readonly unknown[],
  source: string,
  shape: Decoded['shape'],
  limits: DecodeLimits,
  tenant: string | null,
): Decoded {
  if (items.length > limits.maxItems) {
    throw new BodyError(413, 'too_many_items', `${items.length} items, more than ${limits.maxItems}`, items.length);
  }
  const decoded: Decoded = { shape, samples: [], rejected: [], total: items.length };
  for (let index = 0; index < items.length; index++) {
    try {
      decoded.samples.push({ index, sample: decodeItem(items[index], source, limits, tenant) });
    } catch (error) {
      if (!(error instanceof ItemError)) throw error;
      decoded.rejected.push({ index, reason: error.reason, message: error.message });
    }
  }
  return decoded;
}

/** Pure: a parsed JSON body → samples and rejections. Throws BodyError when the body is not one of the shapes. */
export function decodeBody(
  body: unknown,
  limits: DecodeLimits,
  tenant: string | null = null,
  defaultSource = 'unknown',
): Decoded {
  if (Array.isArray(body)) return decodeItems(body, defaultSource, 'track-batch', limits, tenant);
  if (!isObject(body)) throw new BodyError(400, 'invalid_body', 'the body must be a JSON object or array');
  if ('metrics' in body) {
    if (!Array.isArray(body.metrics)) throw new BodyError(400, 'invalid_body', '"metrics" must be an array');
    const source = typeof body.source === 'string' && body.source !== '' ? body.source : defaultSource;
    return decodeItems(body.metrics, source, 'batch', limits, tenant);
  }
  return decodeItems([body], defaultSource, 'track', limits, tenant);
}

/**
 * Pure: queue messages, one JSON text each (the queue message shape, or any push item) → samples
 * and rejections by message index. A message that is not JSON is one rejection, like any other.
 */
export function decodeMessages(messages: readonly string[], limits: DecodeLimits, tenant: TenantScope = null): Decoded {
  const decoded: Decoded = { shape: 'queue', samples: [], rejected: [], total: messages.length };
  for (let index = 0; index < messages.length; index++) {
    try {
      decoded.samples.push({ index, sample: decodeMessage(messages[index] as string, limits, tenant) });
    } catch (error) {
      if (!(error instanceof ItemError)) throw error;
      decoded.rejected.push({ index, reason: error.reason, message: error.message });
    }
  }
  return decoded;
}

export function decodeMessage(text: string, limits: DecodeLimits, tenant: TenantScope): Sample {
  let raw: unknown;
  try {
    raw = parseJson(text);
  } catch (error) {
    throw new ItemError('invalid_json', (error as Error).message);
  }
  return decodeItem(raw, 'unknown', limits, tenant);
}
