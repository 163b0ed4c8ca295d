// Pushed families in the store, and the semantics of applying a pushed sample: counters add
// (or, for cumulative sources, add the difference to the last running total), gauges set (an older
// timestamp never overwrites a newer one), histograms and summaries observe. Owns the limits
// (series per family, per tenant, in all) and expiry. Checks that need no state are the decoder's.

import { isReservedName, type RejectReason } from '../aggregate/metrics.js';
import type { Rejection, Sample } from '../sources/push/decode.js';
import { DEFAULT_TARGETS, SlidingQuantiles, type Target } from './quantiles.js';
import {
  type Family,
  type HistogramSeries,
  pairsKey,
  type Series,
  type Store,
  type SummarySeries,
  type ValueSeries,
} from './store.js';

/** Prometheus's default histogram buckets (client_golang DefBuckets), for histograms pushed without any. */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
export const DEFAULT_HELP = 'Pushed metric (no help text was given).';
/** Sources whose running totals one cumulative counter series remembers. */
const MAX_SOURCES_PER_SERIES = 64;

export interface PushOptions {
  /** Put before every pushed name: `<namespace>_<prefix><name>`. */
  namespace: string;
  prefix: string;
  /** Sources whose counter values are running totals, not increments. */
  cumulativeSources: ReadonlySet<string>;
  maxSeries: number;
  maxSeriesPerFamily: number;
  maxSeriesPerTenant: number;
  /** Series not updated for this long are dropped; null: never. */
  ttlMs: number | null;
}

export interface PushStats {
  accepted: number;
  rejected: Map<RejectReason, number>;
  expired: number;
  /** Cumulative counters that went down: a sender restarted. */
  resets: number;
}

type Outcome = null | [RejectReason, string];

const sameNumbers = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);
const sameTargets = (a: readonly Target[], b: readonly Target[]) =>
  a.length === b.length && a.every((t, i) => t.quantile === b[i]?.quantile && t.epsilon === b[i]?.epsilon);

export class PushedFamilies {
  readonly stats: PushStats = { accepted: 0, rejected: new Map(), expired: 0, resets: 0 };
  private total = 0;
  private readonly perTenant = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly options: PushOptions,
  ) {
    // Restored from a checkpoint: count what is there; every series' time to live starts now.
    const now = Date.now();
    for (const family of this.families()) {
      for (const s of family.series.values()) {
        s.touched = now;
        this.count(s, 1);
      }
    }
  }

  get seriesCount(): number {
    return this.total;
  }

  /** The pushed families (the store also holds the log families). */
  *families(): Generator<Family> {
    for (const family of this.store.all()) if (family.spec.pushed) yield family;
  }

  /** The exposed name: namespace and prefix put before it; a counter's ends in `_total`. */
  nameOf(sample: Sample): string {
    const { namespace, prefix } = this.options;
    let name = `${namespace ? `${namespace}_` : ''}${prefix}${sample.name}`;
    if (sample.type === 'counter' && !name.endsWith('_total')) name += '_total';
    return name;
  }

  /** Applies decoded samples in order; returns the refused ones. `tenant` comes from the API key. */
  apply(samples: readonly { index: number; sample: Sample }[], tenant: string | null, now: number): Rejection[] {
    const rejected: Rejection[] = [];
    for (const { index, sample } of samples) {
      const outcome = this.applyOne(sample, tenant, now);
      if (outcome) {
        rejected.push({ index, reason: outcome[0], message: outcome[1] });
        this.reject(outcome[0], 1);
      } else this.stats.accepted++;
    }
    return rejected;
  }

  /** Counts refusals made before the store saw the samples (decoding, whole bodies). */
  reject(reason: RejectReason, n: number): void {
    this.stats.rejected.set(reason, (this.stats.rejected.get(reason) ?? 0) + n);
  }

  /** Drops series not updated within the time to live (and families left empty). */
  expire(now: number): number {
    const { ttlMs } = this.options;
    if (ttlMs === null) return 0;
    let dropped = 0;
    for (const family of [...this.families()]) {
      for (const [key, s] of family.series) {
        if ((s.touched ?? now) <= now - ttlMs) {
          family.series.delete(key);
          this.count(s, -1);
          dropped++;
        }
      }
      if (family.series.size === 0) this.store.delete(family.spec.name);
    }
    this.stats.expired += dropped;
    return dropped;
  }

  private count(s: Series, delta: 1 | -1): void {
    this.total += delta;
    const tenant = s.names ? s.labels[s.names.indexOf('tenant_id')] : undefined;
    if (tenant !== undefined) this.perTenant.set(tenant, (this.perTenant.get(tenant) ?? 0) + delta);
  }

  private applyOne(sample: Sample, tenant: string | null, now: number): Outcome {
    const name = this.nameOf(sample);
    let family = this.store.get(name);
    if (isReservedName(name) || (family && !family.spec.pushed)) {
      return ['reserved_name', `${name} is one of the analyzer's own metrics`];
    }
    if (family) {
      const { spec } = family;
      if (spec.kind !== sample.type) return ['type_conflict', `${name} is a ${spec.kind}, not a ${sample.type}`];
      if (sample.help && sample.help !== spec.help) {
        if (spec.help !== DEFAULT_HELP) return ['help_conflict', `${name} has another help text`];
        spec.help = sample.help;
      }
      if (sample.buckets && !sameNumbers(spec.bounds ?? [], sample.buckets)) {
        return ['bucket_mismatch', `${name} has buckets ${(spec.bounds ?? []).join(',')}`];
      }
      if (sample.targets && !sameTargets(spec.targets ?? [], sample.targets)) {
        return ['quantile_mismatch', `${name} has other quantiles or epsilons`];
      }
    }

    const labels = tenant === null ? sample.labels : withTenant(sample.labels, tenant);
    const names = labels.map((l) => l[0]);
    const values = labels.map((l) => l[1]);
    const key = pairsKey(names, values);
    let s = family?.series.get(key);
    if (!s) {
      const refused = this.refuseNewSeries(name, family, tenant);
      if (refused) return refused;
      family ??= this.store.family({
        name,
        help: sample.help ?? DEFAULT_HELP,
        kind: sample.type,
        labelNames: [],
        pushed: true,
        ...(sample.type === 'histogram' ? { bounds: sample.buckets ?? DEFAULT_BUCKETS } : {}),
        ...(sample.type === 'summary' ? { targets: sample.targets ?? DEFAULT_TARGETS } : {}),
      });
      s = newSeries(family, names, values);
      family.series.set(key, s);
      this.count(s, 1);
    }
    const outcome = this.update(family as Family, s, sample, now);
    if (!outcome) s.touched = now;
    return outcome;
  }

  private refuseNewSeries(name: string, family: Family | undefined, tenant: string | null): Outcome {
    const { maxSeries, maxSeriesPerFamily, maxSeriesPerTenant } = this.options;
    if (this.total >= maxSeries) return ['series_limit', `already ${maxSeries} pushed series`];
    if ((family?.series.size ?? 0) >= maxSeriesPerFamily) {
      return ['series_limit', `${name} already has ${maxSeriesPerFamily} series`];
    }
    if (tenant !== null && (this.perTenant.get(tenant) ?? 0) >= maxSeriesPerTenant) {
      return ['series_limit', `tenant ${tenant} already has ${maxSeriesPerTenant} series`];
    }
    return null;
  }

  private update(family: Family, s: Series, sample: Sample, now: number): Outcome {
    const { value } = sample;
    switch (sample.type) {
      case 'counter': {
        const c = s as ValueSeries;
        if (!this.options.cumulativeSources.has(sample.source)) {
          c.value += value;
          return null;
        }
        // A running total: add what it grew by since this source's last one; lower means the
        // sender restarted and counted from zero again.
        c.last ??= {};
        const last = c.last[sample.source];
        if (last === undefined && Object.keys(c.last).length >= MAX_SOURCES_PER_SERIES) {
          return ['series_limit', `more than ${MAX_SOURCES_PER_SERIES} cumulative sources for one series`];
        }
        if (last !== undefined && value < last) this.stats.resets++;
        c.value += last === undefined || value < last ? value : value - last;
        c.last[sample.source] = value;
        return null;
      }
      case 'gauge': {
        const g = s as ValueSeries;
        if (sample.timestamp !== null && g.at !== undefined && sample.timestamp < g.at) {
          return ['out_of_order', `a newer value (at ${new Date(g.at).toISOString()}) is already set`];
        }
        g.value = value;
        if (sample.timestamp !== null) g.at = sample.timestamp;
        return null;
      }
      case 'histogram': {
        const h = s as HistogramSeries;
        const bounds = family.spec.bounds ?? [];
        let i = 0;
        while (i < bounds.length && value > (bounds[i] as number)) i++;
        h.buckets[i] = (h.buckets[i] as number) + 1;
        h.sum += value;
        h.count++;
        return null;
      }
      case 'summary': {
        const q = s as SummarySeries;
        q.window ??= new SlidingQuantiles(family.spec.targets ?? DEFAULT_TARGETS, now);
        q.window.observe(value, now);
        q.sum += value;
        q.count++;
        return null;
      }
    }
  }
}

function newSeries(family: Family, names: string[], labels: string[]): Series {
  switch (family.spec.kind) {
    case 'counter':
      return { labels, names, value: 0 };
    case 'gauge':
      return { labels, names, value: 0 };
    case 'histogram':
      return { labels, names, buckets: new Array((family.spec.bounds?.length ?? 0) + 1).fill(0), sum: 0, count: 0 };
    case 'summary':
      return { labels, names, sum: 0, count: 0, quantiles: (family.spec.targets ?? []).map(() => Number.NaN) };
  }
}

/** The labels with tenant_id set to the API key's tenant (whatever the body said), still sorted. */
function withTenant(labels: [string, string][], tenant: string): [string, string][] {
  const out = labels.filter(([k]) => k !== 'tenant_id');
  const at = out.findIndex(([k]) => k > 'tenant_id');
  out.splice(at < 0 ? out.length : at, 0, ['tenant_id', tenant]);
  return out;
}
