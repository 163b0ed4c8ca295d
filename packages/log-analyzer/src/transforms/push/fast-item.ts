// The fast decoder's second pass (fast-decode.ts): one scanned item's row → a sample in the batch,
// when its series is in the cache and every field is plain; otherwise the item goes to the exact
// checks (decode.ts decodeItem) on its own JSON, and a new series it brings is remembered. Pure
// apart from the caches it is given.

import type { Target } from '../../metrics/catalog.js';
import { MAX_HELP_BYTES } from '../../metrics/prom-names.js';
import type { MetricType, Rejection } from '../../store/push-batch.js';
import {
  bucketsOf,
  type DecodeLimits,
  decodeItem,
  decodeMessage,
  ItemError,
  type Sample,
  type TenantScope,
  targetsOf,
} from './decode.js';
import { ABSENT, latin1, NULL, NUMBER, numberAt, OBJECT, STRING } from './fast-json.js';
import {
  at,
  BUCKETS,
  DELEGATE,
  END,
  EPSILONS,
  FLAGS,
  HELP,
  INNER_TIMESTAMP,
  INNER_VALUE,
  LABELS,
  LABELS_HASH,
  LABELS_PLAIN,
  METRIC_TYPE,
  NAME,
  QUANTILES,
  SERVICE,
  START,
  TENANT,
  TIMESTAMP,
  TYPE,
  VALUE,
} from './fast-scan.js';
import { BatchGrouper } from './group.js';
import { type FastCaches, type Parts, type SeriesEntry, sameBytes, seriesHash } from './series-cache.js';

/** What a decode is asked under: batch.ts BatchContext, by shape (batch.ts imports the fast decoder). */
export interface BatchContext {
  limits: DecodeLimits;
  namespace: string;
  prefix: string;
  tenant: TenantScope;
}

/** Contexts (contextOf) by number, for a cheap compare in each series entry. */
const contextIds = new Map<string, number>();
let nextContext = 1;

/** What a series key was checked under besides its bytes: the tenant scope and the label limits. */
function contextOf(context: BatchContext): string {
  const { limits, tenant } = context;
  return `${tenant === null ? '\u0002' : tenant}\u0001${limits.maxLabels},${limits.maxLabelValueBytes},${limits.maxSeriesBytes}`;
}

const TYPE_NAMES: readonly MetricType[] = ['counter', 'gauge', 'histogram', 'summary'];
const TYPE_BYTES = TYPE_NAMES.map((t) => Uint8Array.from(t, (c) => c.charCodeAt(0)));

/** Pure: the metric type the bytes [start, end) spell, or null. */
export function typeAt(b: Uint8Array, start: number, end: number): MetricType | null {
  for (let t = 0; t < TYPE_BYTES.length; t++) {
    const word = TYPE_BYTES[t] as Uint8Array;
    if (word.length !== end - start) continue;
    let k = 0;
    while (k < word.length && word[k] === b[start + k]) k++;
    if (k === word.length) return TYPE_NAMES[t] as MetricType;
  }
  return null;
}

/** What the fast pass made of an item: taken; for the exact checks; for them, and remembered if kept. */
const TAKEN = 0;
const CHECK = 1;
const NEW_SERIES = 2;
type Verdict = typeof TAKEN | typeof CHECK | typeof NEW_SERIES;

/** One decode: the body, its rows, and what is made of them. */
export class Pass {
  readonly grouper: BatchGrouper;
  readonly rejected: Rejection[] = [];
  readonly rows: Int32Array;
  readonly batch: number;
  readonly seed: number;
  readonly context: number;
  readonly parts: Parts;
  /** The families found last (a batch has a few): name, type, help and layout by reference. */
  private readonly recent: { name: string; type: MetricType; help: string | null; layout: unknown; f: number }[] = [];
  /** The hash of the series take() did not find (delegate() remembers it under that). */
  private missed = 0;

  constructor(
    readonly b: Uint8Array,
    readonly caches: FastCaches,
    readonly limits: DecodeLimits,
    readonly tenant: string | null,
    context: BatchContext,
    items: number,
  ) {
    this.grouper = new BatchGrouper(context.namespace, context.prefix, items);
    this.rows = caches.table.rows;
    this.batch = caches.batches++;
    const key = contextOf(context);
    let id = contextIds.get(key);
    if (id === undefined) {
      if (contextIds.size >= 1024) contextIds.clear();
      id = nextContext++;
      contextIds.set(key, id);
    }
    this.context = id;
    this.seed = Math.imul(0x811c9dc5 ^ id, 0x01000193);
    this.parts = {
      b,
      dv: new DataView(b.buffer, b.byteOffset, b.byteLength),
      nameStart: 0,
      nameEnd: 0,
      labelsStart: 0,
      labelsEnd: 0,
      serviceStart: -1,
      serviceEnd: -1,
      tenantStart: -1,
      tenantEnd: -1,
    };
  }

  /** Row r, item `index`: taken from its ranges when it is a series seen before and all is plain, else delegated. */
  item(r: number, index: number, source: string): void {
    const verdict = this.take(r, index, source);
    if (verdict === TAKEN) this.caches.taken++;
    else {
      this.caches.checked++;
      this.delegate(r, index, source, verdict === NEW_SERIES);
    }
  }

  /** An item the exact checks decide: kept or refused as decodeItem says. */
  private delegate(r: number, index: number, source: string, remember: boolean): void {
    const { rows } = this;
    let sample: Sample;
    try {
      const text = latin1(this.b, rows[r + START] as number, rows[r + END] as number);
      sample = decodeItem(JSON.parse(text), source, this.limits, this.tenant);
    } catch (error) {
      if (!(error instanceof ItemError)) throw error;
      this.rejected.push({ index, reason: error.reason, message: error.message });
      return;
    }
    if (remember) {
      const p = this.parts;
      const service = p.serviceStart < 0 ? null : latin1(this.b, p.serviceStart, p.serviceEnd);
      const name = this.caches.names.intern(sample.name);
      this.caches.series.add(this.missed, p, this.context, name, sample.key, service);
    }
    this.grouper.sample(index, sample);
  }

  /** A queue message the fast scan could not take: decoded from its own text (decode.ts decodeMessage). */
  message(text: string, index: number): void {
    try {
      this.grouper.sample(index, decodeMessage(text, this.limits, this.tenant));
    } catch (error) {
      if (!(error instanceof ItemError)) throw error;
      this.rejected.push({ index, reason: error.reason, message: error.message });
    }
  }

  /**
   * Row r from its ranges, or why not. Every check decodeItem makes is either made here the same
   * way (type, value, timestamp, help) or implied by a cache hit (name, labels, tenant: the entry
   * was made by decodeItem accepting the same bytes under the same scope and limits).
   */
  private take(r: number, index: number, source: string): Verdict {
    const { rows, b } = this;
    const flags = rows[r + FLAGS] as number;
    if (flags & DELEGATE || rows[r + at(NAME)] !== STRING) return CHECK;
    // Type: `metric_type ?? type`.
    let tf = at(METRIC_TYPE);
    if (rows[r + tf] === ABSENT || rows[r + tf] === NULL) tf = at(TYPE);
    const type =
      rows[r + tf] === STRING ? typeAt(b, (rows[r + tf + 1] as number) + 1, (rows[r + tf + 2] as number) - 1) : null;
    // Value: a number, or an object with one (whose timestamp then replaces the item's).
    let vf = at(VALUE);
    let tsf = at(TIMESTAMP);
    if (rows[r + vf] === OBJECT) {
      vf = at(INNER_VALUE);
      tsf = at(INNER_TIMESTAMP);
    }
    if (type === null || rows[r + vf] !== NUMBER) return CHECK;
    const value = numberAt(b, rows[r + vf + 1] as number, rows[r + vf + 2] as number);
    if (!Number.isFinite(value) || (type === 'counter' && value < 0)) return CHECK;
    let stamp = Number.NaN;
    const tsKind = rows[r + tsf];
    if (tsKind === NUMBER) {
      stamp = numberAt(b, rows[r + tsf + 1] as number, rows[r + tsf + 2] as number);
      if (!(Number.isFinite(stamp) && stamp >= 0)) return CHECK;
    } else if (tsKind === STRING) {
      stamp = Date.parse(latin1(b, (rows[r + tsf + 1] as number) + 1, (rows[r + tsf + 2] as number) - 1));
      if (Number.isNaN(stamp)) return CHECK;
    } else if (tsKind !== ABSENT && tsKind !== NULL) return CHECK;
    // The series: name, labels, service and tenant_id as written.
    const p = this.parts;
    p.nameStart = (rows[r + at(NAME) + 1] as number) + 1;
    p.nameEnd = (rows[r + at(NAME) + 2] as number) - 1;
    const lf = r + at(LABELS);
    const labelsKind = rows[lf];
    let labels: number;
    if (labelsKind === ABSENT) labels = 0;
    else if (labelsKind === NULL) labels = 1;
    else if (labelsKind === OBJECT && flags & LABELS_PLAIN) labels = rows[r + LABELS_HASH] as number;
    else return CHECK;
    p.labelsStart = labelsKind === ABSENT ? 0 : (rows[lf + 1] as number);
    p.labelsEnd = labelsKind === ABSENT ? 0 : (rows[lf + 2] as number);
    const sf = r + at(SERVICE);
    const plainService = rows[sf] === STRING && (rows[sf + 2] as number) - (rows[sf + 1] as number) > 2;
    p.serviceStart = plainService ? (rows[sf + 1] as number) + 1 : -1;
    p.serviceEnd = plainService ? (rows[sf + 2] as number) - 1 : -1;
    const nf = r + at(TENANT);
    const plainTenant = rows[nf] === STRING && (rows[nf + 2] as number) - (rows[nf + 1] as number) > 2;
    p.tenantStart = plainTenant ? (rows[nf + 1] as number) + 1 : -1;
    p.tenantEnd = plainTenant ? (rows[nf + 2] as number) - 1 : -1;
    const hash = seriesHash(p, this.seed, labels);
    const entry = this.caches.series.find(hash, p, this.context);
    if (entry === undefined) {
      this.missed = hash;
      return NEW_SERIES;
    }
    const help = this.help(r, entry);
    if (help === undefined) return CHECK;
    const buckets = type === 'histogram' ? this.buckets(r, entry) : null;
    const targets = type === 'summary' ? this.targets(r, entry) : null;
    if (buckets === undefined || targets === undefined) return CHECK;
    const from = entry.service ?? source;
    const grouper = this.grouper;
    let g: number;
    const layout = buckets ?? targets;
    if (
      entry.batch === this.batch &&
      entry.source === from &&
      entry.type === type &&
      entry.help === help &&
      entry.layout === layout
    ) {
      g = entry.group;
    } else {
      // Its family and group in this batch (layouts compared by reference here: equal ones that
      // are not the same array only miss this shortcut).
      g = grouper.groupIn(this.familyOf(entry.name, type, help, buckets, targets), entry.key, from);
      entry.batch = this.batch;
      entry.source = from;
      entry.type = type;
      entry.help = help;
      entry.layout = layout;
      entry.group = g;
    }
    grouper.add(g, index, value, stamp);
    return TAKEN;
  }

  /** grouper.familyOf, asked only when this family is not among the few found last. */
  private familyOf(
    name: string,
    type: MetricType,
    help: string | null,
    buckets: number[] | null,
    targets: Target[] | null,
  ): number {
    const layout = buckets ?? targets;
    const { recent } = this;
    for (let k = 0; k < recent.length; k++) {
      const m = recent[k] as (typeof recent)[number];
      if (m.name === name && m.type === type && m.help === help && m.layout === layout) return m.f;
    }
    const f = this.grouper.familyOf(name, type, help, buckets, targets);
    if (recent.length >= 8) recent.shift();
    recent.push({ name, type, help, layout, f });
    return f;
  }

  /** The help text (null: none, or ''), or undefined when the exact checks must decide. */
  private help(r: number, entry: SeriesEntry): string | null | undefined {
    const { rows, b } = this;
    const f = r + at(HELP);
    const kind = rows[f];
    if (kind === ABSENT || kind === NULL) return null;
    if (kind !== STRING) return undefined;
    const start = (rows[f + 1] as number) + 1;
    const end = (rows[f + 2] as number) - 1;
    if (end === start) return null;
    if (end - start > MAX_HELP_BYTES) return undefined;
    const last = entry.helpMemo;
    if (last !== null && sameBytes(last, b, start, end)) return last.value;
    const memo = this.caches.help.find(b, start, end) ?? this.caches.help.add(b, latin1(b, start, end), start, end);
    entry.helpMemo = memo;
    return memo.value;
  }

  /** A histogram's bounds as bucketsOf makes them, or undefined when it refuses them. */
  private buckets(r: number, entry: SeriesEntry): number[] | null | undefined {
    const { rows, b } = this;
    const f = r + at(BUCKETS);
    const kind = rows[f];
    if (kind === ABSENT || kind === NULL) return null;
    const start = rows[f + 1] as number;
    const end = rows[f + 2] as number;
    const last = entry.bucketsMemo;
    if (last !== null && sameBytes(last, b, start, end)) return last.value;
    let memo = this.caches.buckets.find(b, start, end);
    if (memo === undefined) {
      const bounds = refusedAs(() => bucketsOf(JSON.parse(latin1(b, start, end))));
      if (bounds === undefined) return undefined;
      memo = this.caches.buckets.add(b, bounds, start, end);
    }
    entry.bucketsMemo = memo;
    return memo.value;
  }

  /** A summary's targets as targetsOf makes them, or undefined when it refuses them. */
  private targets(r: number, entry: SeriesEntry): Target[] | null | undefined {
    const { rows, b } = this;
    const q = r + at(QUANTILES);
    const kind = rows[q];
    if (kind === ABSENT || kind === NULL) return null;
    const e = r + at(EPSILONS);
    const qs = rows[q + 1] as number;
    const qe = rows[q + 2] as number;
    const es = rows[e] === ABSENT ? 0 : (rows[e + 1] as number);
    const ee = rows[e] === ABSENT ? 0 : (rows[e + 2] as number);
    const last = entry.targetsMemo;
    if (last !== null && sameBytes(last, b, qs, qe, es, ee)) return last.value;
    let memo = this.caches.targets.find(b, qs, qe, es, ee);
    if (memo === undefined) {
      const targets = refusedAs(() =>
        targetsOf(JSON.parse(latin1(b, qs, qe)), ee === es ? undefined : JSON.parse(latin1(b, es, ee))),
      );
      if (targets === undefined) return undefined;
      memo = this.caches.targets.add(b, targets, qs, qe, es, ee);
    }
    entry.targetsMemo = memo;
    return memo.value;
  }
}

/** What `check` returns, or undefined when it refuses (ItemError). */
function refusedAs<T>(check: () => T): T | undefined {
  try {
    return check();
  } catch (error) {
    if (error instanceof ItemError) return undefined;
    throw error;
  }
}
