// Pushed families in the store, and the semantics of applying a pushed sample: counters add
// (or, for cumulative sources, add the difference to the last running total), gauges set (an older
// timestamp never overwrites a newer one), histograms and summaries observe. Owns the limits
// (series per tenant and family, per tenant, in all) and expiry. Checks that need no state are the
// decoder's. A tenant (the label tenant_id) has its own definitions: its type, help and layout of a
// name bind only it. Tenants that agree share the family served under the name; a tenant whose
// definition clashes with it gets a family of its own, served only on reads scoped to it.

import type { Target } from '../metrics/catalog.js';
import { isReservedPushName, type RejectReason } from '../metrics/catalog.js';
import { type DecodedBatch, type FamilyInfo, type Rejection, splitKey, type Taken, tenantOfKey } from './push-batch.js';
import { futureVerdict, holdsOrder, nameConflictVerdict, namesTaken, overflowVerdict } from './push-checks.js';
import { atLeastMinEpsilon, DEFAULT_TARGETS, SlidingQuantiles } from './quantiles.js';
import {
  type Family,
  familyKey,
  type HistogramSeries,
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
/**
 * Where a tenant's samples of a batch family go: a family, a family to create ('shared': none has
 * the name yet; 'tenant': the served one's definition clashes, the tenant gets its own), or why not.
 */
type Placement = Family | 'shared' | 'tenant' | [RejectReason, string];

/** Why a definition is not the family's (type, buckets, quantiles; help aside), or null. */
function differs(spec: Family['spec'], info: FamilyInfo): Outcome {
  const { name } = info;
  if (spec.kind !== info.type) return ['type_conflict', `${name} is a ${spec.kind}, not a ${info.type}`];
  if (info.buckets && !sameNumbers(spec.bounds ?? [], info.buckets)) {
    return ['bucket_mismatch', `${name} has buckets ${(spec.bounds ?? []).join(',')}`];
  }
  if (info.targets && !sameTargets(spec.targets ?? [], info.targets)) {
    return ['quantile_mismatch', `${name} has other quantiles or epsilons`];
  }
  return null;
}

const sameNumbers = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);
const sameTargets = (a: readonly Target[], b: readonly Target[]) =>
  a.length === b.length && a.every((t, i) => t.quantile === b[i]?.quantile && t.epsilon === b[i]?.epsilon);

export class PushedFamilies {
  readonly stats: PushStats = { accepted: 0, rejected: new Map(), expired: 0, resets: 0 };
  private total = 0;
  /** Series per tenant ('' for none), and per tenant and name (`tenant NUL name`). */
  private readonly perTenant = new Map<string, number>();
  private readonly perTenantFamily = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly options: PushOptions,
  ) {
    // Restored from a checkpoint: count what is there; every series' time to live starts now.
    const now = Date.now();
    for (const family of this.families()) {
      // A checkpoint from before per-tenant definitions: each tenant with series here is bound to it.
      const migrate = family.spec.tenants === undefined && family.spec.tenant === undefined;
      for (const s of family.series.values()) {
        s.touched = now;
        this.count(family, s, 1);
        if (migrate) this.bind(family, tenantOf(s), family.spec.help);
      }
    }
  }

  /** Pushed families kept apart because their tenant's definition clashes with the served one. */
  get tenantFamilies(): number {
    let n = 0;
    for (const family of this.families()) if (family.spec.tenant !== undefined) n++;
    return n;
  }

  get seriesCount(): number {
    return this.total;
  }

  /** The pushed families (the store also holds the log families). */
  *families(): Generator<Family> {
    for (const family of this.store.all()) if (family.spec.pushed) yield family;
  }

  /**
   * Applies a decoded batch, counting the decoder's refusals with the store's: every item refused,
   * with its reason, and how many were accepted. Both sources that push (HTTP, queue) come here.
   */
  take(batch: DecodedBatch, now: number): Taken {
    for (const r of batch.rejected) this.reject(r.reason, 1);
    const refused = this.apply(batch, now);
    return { accepted: batch.values.length - refused.length, rejected: [...batch.rejected, ...refused] };
  }

  /**
   * Applies a decoded batch, series by series, each series' samples in body order; returns the
   * refused samples. State checks (type, help, layout, limits, timestamps) happen here.
   */
  apply(batch: DecodedBatch, now: number): Rejection[] {
    const rejected: Rejection[] = [];
    const refuse = (from: number, to: number, [reason, message]: [RejectReason, string]) => {
      for (let i = from; i < to; i++) rejected.push({ index: batch.indexes[i] as number, reason, message });
      this.reject(reason, to - from);
    };
    // Each of the batch's families, placed once per tenant (a family not made yet: again, since
    // another tenant's series may have made it meanwhile).
    const placed = new Map<string, Placement>();
    for (let g = 0; g < batch.keys.length; g++) {
      const from = batch.start[g] as number;
      const to = batch.start[g + 1] as number;
      const f = batch.family[g] as number;
      const info = batch.families[f] as FamilyInfo;
      const key = batch.keys[g] as string;
      const tenant = tenantOfKey(key);
      const slot = `${f}\u0000${tenant}`;
      let place = placed.get(slot);
      if (place === undefined || typeof place === 'string') {
        place = this.place(info, tenant);
        placed.set(slot, place);
      }
      if (Array.isArray(place)) {
        refuse(from, to, place);
        continue;
      }
      let family = typeof place === 'string' ? null : place;
      let s = family?.series.get(key);
      const madeFamily = family === null;
      const madeSeries = s === undefined;
      if (!s) {
        const refused =
          (family
            ? null
            : (this.nameConflict(info, tenant) ?? (place === 'shared' ? this.sharedConflict(info) : null))) ??
          this.refuseNewSeries(info.name, tenant);
        if (refused) {
          refuse(from, to, refused);
          continue;
        }
        family ??= this.create(info, place === 'tenant' ? tenant : undefined);
        placed.set(slot, family);
        const { names, values } = splitKey(key);
        s = newSeries(family, names, values, now);
        family.add(key, s);
        this.count(family, s, 1);
      }
      const refusedBefore = rejected.length;
      for (let i = from; i < to; i++) {
        const outcome = this.update(
          family as Family,
          s,
          info.type,
          batch.sources[g] as string,
          batch.values[i] as number,
          batch.stamps[i] as number,
          now,
        );
        if (outcome) refuse(i, i + 1, outcome);
      }
      if (madeSeries && rejected.length - refusedBefore === to - from) {
        // Every sample of a series made for them was refused: nothing was accepted, so nothing stays
        // (no `x 0` exposed, nothing counted against the caps), nor a family made for it.
        this.forget(family as Family, key, s);
        if (madeFamily && (family as Family).series.size === 0) {
          this.store.delete(familyKey((family as Family).spec));
          placed.delete(slot);
        }
        continue;
      }
      this.bind(family as Family, tenant, info.help);
      s.touched = now;
      (family as Family).changed(s);
    }
    this.stats.accepted += batch.values.length - rejected.length;
    return rejected;
  }

  /**
   * Where a tenant's samples of a batch family go. The tenant's own definition binds it (its own
   * family, or the shared one it is bound to); a tenant new to the name joins the shared family
   * when the definitions agree, or gets its own when they clash. Series without a tenant ('')
   * always use the shared definition: theirs cannot be served apart.
   */
  private place(info: FamilyInfo, tenant: string): Placement {
    const { name } = info;
    const shared = this.store.get(name);
    if (namesTaken(name, info.type).some(isReservedPushName) || (shared && !shared.spec.pushed)) {
      return ['reserved_name', `${name} is one of the analyzer's own metrics`];
    }
    const own = tenant === '' ? undefined : this.store.get(familyKey({ name, tenant }));
    if (own) return differs(own.spec, info) ?? this.helpOf(own, own.spec.help, info) ?? own;
    if (!shared) return 'shared';
    const given = shared.spec.tenants?.[tenant];
    const clash = differs(shared.spec, info);
    if (clash) return given !== undefined || tenant === '' ? clash : 'tenant';
    // Joining: the shared family now shows in this tenant's view, beside its own families.
    return this.helpOf(shared, given, info) ?? (given === undefined ? this.nameConflict(info, tenant) : null) ?? shared;
  }

  /** A help text other than the one a tenant gave before is refused (none given matches any). */
  private helpOf(family: Family, given: string | undefined, info: FamilyInfo): Outcome {
    if (!info.help || given === undefined || given === DEFAULT_HELP || info.help === given) return null;
    return ['help_conflict', `${family.spec.name} has another help text`];
  }

  /** A new family of the batch's definition: the shared one, or a tenant's own (a clash). */
  private create(info: FamilyInfo, tenant: string | undefined): Family {
    return this.store.family({
      name: info.name,
      help: info.help ?? DEFAULT_HELP,
      kind: info.type,
      labelNames: [],
      pushed: true,
      ...(info.type === 'histogram' ? { bounds: info.buckets ?? DEFAULT_BUCKETS } : {}),
      ...(info.type === 'summary' ? { targets: info.targets ?? DEFAULT_TARGETS } : {}),
      ...(tenant === undefined ? { tenants: {} } : { tenant }),
    });
  }

  /**
   * Binds a tenant to a family's definition, with its help (the first given). The served help is
   * the first one any tenant gave. Changed in place (a copy of the spec copies the map).
   */
  private bind(family: Family, tenant: string, help: string | null): void {
    const { spec } = family;
    if (help && spec.help === DEFAULT_HELP) {
      spec.help = help;
      family.version++;
    }
    if (spec.tenant !== undefined) return;
    const given = spec.tenants?.[tenant];
    if (given !== undefined && (given !== DEFAULT_HELP || !help)) return;
    spec.tenants ??= {};
    spec.tenants[tenant] = help ?? DEFAULT_HELP;
    family.version++;
  }

  /**
   * A family's exposed names would meet another's in the tenant's scoped view: its own families,
   * and the shared ones it does not override ('' : the unscoped view, shared families only).
   * Checked when a tenant creates a family or joins a shared one.
   */
  private nameConflict(info: FamilyInfo, tenant: string): Outcome {
    const kindOf = (name: string) =>
      ((tenant === '' ? undefined : this.store.get(familyKey({ name, tenant }))) ?? this.store.get(name))?.spec.kind;
    return nameConflictVerdict(info.name, info.type, kindOf);
  }

  /** A new shared family shows in every tenant's view but those that have their own of the name. */
  private sharedConflict(info: FamilyInfo): Outcome {
    const tenants = new Set<string>();
    for (const family of this.families()) if (family.spec.tenant !== undefined) tenants.add(family.spec.tenant);
    for (const tenant of tenants) {
      if (this.store.get(familyKey({ name: info.name, tenant }))) continue;
      const conflict = this.nameConflict(info, tenant);
      if (conflict) return [conflict[0], `${conflict[1]} for tenant ${tenant}`];
    }
    return null;
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
          this.forget(family, key, s);
          dropped++;
        }
      }
      if (family.series.size === 0) this.store.delete(familyKey(family.spec));
    }
    this.stats.expired += dropped;
    return dropped;
  }

  private forget(family: Family, key: string, s: Series): void {
    family.remove(key);
    this.count(family, s, -1);
  }

  private count(family: Family, s: Series, delta: 1 | -1): void {
    this.total += delta;
    const tenant = tenantOf(s);
    add(this.perTenant, tenant, delta);
    add(this.perTenantFamily, `${tenant}\u0000${family.spec.name}`, delta);
  }

  /**
   * The caps a new series must fit: in all, per tenant, and per tenant and name, so one tenant's
   * series never use up what another needs (series without a tenant: in all and per name only).
   */
  private refuseNewSeries(name: string, tenant: string): Outcome {
    const { maxSeries, maxSeriesPerFamily, maxSeriesPerTenant } = this.options;
    if (this.total >= maxSeries) return ['series_limit', `already ${maxSeries} pushed series`];
    if ((this.perTenantFamily.get(`${tenant}\u0000${name}`) ?? 0) >= maxSeriesPerFamily) {
      const whose = tenant === '' ? 'without a tenant' : `of tenant ${tenant}`;
      return ['series_limit', `${name} already has ${maxSeriesPerFamily} series ${whose}`];
    }
    if (tenant !== '' && (this.perTenant.get(tenant) ?? 0) >= maxSeriesPerTenant) {
      return ['series_limit', `tenant ${tenant} already has ${maxSeriesPerTenant} series`];
    }
    return null;
  }

  private update(
    family: Family,
    s: Series,
    type: FamilyInfo['type'],
    source: string,
    value: number,
    stamp: number,
    now: number,
  ): Outcome {
    const future = futureVerdict(stamp, now);
    if (future) return future;
    switch (type) {
      case 'counter': {
        const c = s as ValueSeries;
        if (!this.options.cumulativeSources.has(source)) {
          const overflow = overflowVerdict(c.value, value);
          if (overflow) return overflow;
          c.value += value;
          return null;
        }
        // A running total: add what it grew by since this source's last one; lower means the
        // sender restarted and counted from zero again.
        c.last ??= {};
        const last = c.last[source];
        if (last === undefined && Object.keys(c.last).length >= MAX_SOURCES_PER_SERIES) {
          return ['series_limit', `more than ${MAX_SOURCES_PER_SERIES} cumulative sources for one series`];
        }
        const increase = last === undefined || value < last ? value : value - last;
        const overflow = overflowVerdict(c.value, increase);
        if (overflow) return overflow;
        if (last !== undefined && value < last) this.stats.resets++;
        c.value += increase;
        c.last[source] = value;
        return null;
      }
      case 'gauge': {
        const g = s as ValueSeries;
        if (!Number.isNaN(stamp) && holdsOrder(g.at, now) && stamp < g.at) {
          return ['out_of_order', `a newer value (at ${new Date(g.at).toISOString()}) is already set`];
        }
        g.value = value;
        if (!Number.isNaN(stamp)) g.at = stamp;
        return null;
      }
      case 'histogram': {
        const h = s as HistogramSeries;
        const overflow = overflowVerdict(h.sum, value);
        if (overflow) return overflow;
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
        const overflow = overflowVerdict(q.sum, value);
        if (overflow) return overflow;
        q.window ??= new SlidingQuantiles(atLeastMinEpsilon(family.spec.targets ?? DEFAULT_TARGETS), now);
        q.window.observe(value, now);
        q.sum += value;
        q.count++;
        return null;
      }
    }
  }
}

/** A series' tenant: its tenant_id, or '' when none. */
function tenantOf(s: Series): string {
  return (s.names ? s.labels[s.names.indexOf('tenant_id')] : undefined) ?? '';
}

/** Adds to a count, forgetting it at zero (the maps stay as small as what is held). */
function add(counts: Map<string, number>, key: string, delta: number): void {
  const n = (counts.get(key) ?? 0) + delta;
  if (n === 0) counts.delete(key);
  else counts.set(key, n);
}

/** A new series, `touched` set from the start (one object shape per kind: property reads stay fast). */
function newSeries(family: Family, names: string[], labels: string[], now: number): Series {
  switch (family.spec.kind) {
    case 'counter':
    case 'gauge':
      return { labels, names, touched: now, value: 0 };
    case 'histogram': {
      const buckets = new Array((family.spec.bounds?.length ?? 0) + 1).fill(0);
      return { labels, names, touched: now, buckets, sum: 0, count: 0 };
    }
    case 'summary': {
      const quantiles = (family.spec.targets ?? []).map(() => Number.NaN);
      return { labels, names, touched: now, sum: 0, count: 0, quantiles };
    }
  }
}

/** How many items were refused for each reason. */
export function countByReason(rejected: readonly Rejection[]): Map<RejectReason, number> {
  const counts = new Map<RejectReason, number>();
  for (const r of rejected) counts.set(r.reason, (counts.get(r.reason) ?? 0) + 1);
  return counts;
}
