// Pushed families in the store, and the semantics of applying a pushed sample: counters add
// (or, for cumulative sources, add the difference to the last running total), gauges set (an older
// timestamp never overwrites a newer one), histograms and summaries observe. Owns the limits
// (series per tenant and family, per tenant, in all) and expiry. Checks that need no state are the
// decoder's. Which family a tenant's (label tenant_id) samples go to, and the definitions tenants
// bind, are tenant-placement.ts's.

import type { RejectReason } from '../metrics/catalog.js';
import {
  type DecodedBatch,
  type FamilyInfo,
  type Rejection,
  STREAM_SOURCE,
  splitKey,
  type Taken,
  tenantOfKey,
} from './push-batch.js';
import { absoluteOrderVerdict, futureVerdict, holdsOrder, overflowVerdict } from './push-checks.js';
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
import {
  bindTenant,
  createFamily,
  nameConflict,
  type Outcome,
  type Placement,
  placeFamily,
  sharedConflict,
} from './tenant-placement.js';

/** Sources whose running totals one cumulative counter series remembers. */
const MAX_SOURCES_PER_SERIES = 64;
/** Distinct sets of label names shared between series; past that, a new set's series keep their own. */
const MAX_NAME_SETS = 10_000;

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

export class PushedFamilies {
  readonly stats: PushStats = { accepted: 0, rejected: new Map(), expired: 0, resets: 0 };
  /** Names served beside the store (the Pushgateway groups'): a new family may not take one. */
  takenElsewhere: (name: string) => boolean = () => false;
  private total = 0;
  /** Series per tenant ('' for none), and per tenant and name (`tenant NUL name`). */
  private readonly perTenant = new Map<string, number>();
  private readonly perTenantFamily = new Map<string, number>();
  /**
   * One label-name array per distinct set of names, shared by every series with that set (each
   * series held its own: ~150 bytes a series of three labels). Never changed once made.
   */
  private readonly nameSets = new Map<string, string[]>();

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
        if (s.names) s.names = this.sharedNames(s.names);
        this.count(family, s, 1);
        if (migrate) bindTenant(family, tenantOf(s), family.spec.help);
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
    // another tenant's series may have made it meanwhile). Series without a tenant (most) by the
    // batch family's index, the others by index and tenant.
    const placed: (Placement | undefined)[] = new Array(batch.families.length);
    const placedForTenant = new Map<string, Placement>();
    const { keys, sources, values, stamps, start } = batch;
    for (let g = 0; g < keys.length; g++) {
      const from = start[g] as number;
      const to = start[g + 1] as number;
      const f = batch.family[g] as number;
      const info = batch.families[f] as FamilyInfo;
      const key = keys[g] as string;
      const tenant = tenantOfSeriesKey(key);
      const slot = tenant === '' ? '' : `${f}\u0000${tenant}`;
      let place = tenant === '' ? placed[f] : placedForTenant.get(slot);
      if (place === undefined || typeof place === 'string') {
        place = placeFamily(this.store, info, tenant, this.takenElsewhere);
        if (tenant === '') placed[f] = place;
        else placedForTenant.set(slot, place);
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
            : (nameConflict(this.store, info, tenant) ??
              (place === 'shared' ? sharedConflict(this.store, info) : null))) ??
          this.refuseNewSeries(info.name, tenant);
        if (refused) {
          refuse(from, to, refused);
          continue;
        }
        family ??= createFamily(this.store, info, place === 'tenant' ? tenant : undefined);
        if (tenant === '') placed[f] = family;
        else placedForTenant.set(slot, family);
        const { names, values } = splitKey(key);
        s = newSeries(family, this.sharedNames(names), values, now);
        family.add(key, s);
        this.count(family, s, 1);
      }
      const refusedBefore = rejected.length;
      const source = sources[g] as string;
      for (let i = from; i < to; i++) {
        const outcome = this.update(
          family as Family,
          s,
          info.type,
          source,
          values[i] as number,
          stamps[i] as number,
          now,
          batch.shape === 'remote-write' || (batch.shape === 'otlp' && source.startsWith(STREAM_SOURCE)),
        );
        if (outcome) refuse(i, i + 1, outcome);
      }
      if (madeSeries && rejected.length - refusedBefore === to - from) {
        // Every sample of a series made for them was refused: nothing was accepted, so nothing stays
        // (no `x 0` exposed, nothing counted against the caps), nor a family made for it.
        this.forget(family as Family, key, s);
        if (madeFamily && (family as Family).series.size === 0) {
          this.store.delete(familyKey((family as Family).spec));
          if (tenant === '') placed[f] = undefined;
          else placedForTenant.delete(slot);
        }
        continue;
      }
      bindTenant(family as Family, tenant, info.help);
      s.touched = now;
      (family as Family).changed(s);
    }
    this.stats.accepted += batch.values.length - rejected.length;
    return rejected;
  }

  /** The shared array of these label names (the same names in the same order). */
  private sharedNames(names: string[]): string[] {
    const key = names.join('\u0000');
    const shared = this.nameSets.get(key);
    if (shared) return shared;
    if (this.nameSets.size < MAX_NAME_SETS) this.nameSets.set(key, names);
    return names;
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
    absolute = false,
  ): Outcome {
    const future = futureVerdict(stamp, now);
    if (future) return future;
    switch (type) {
      case 'counter': {
        const c = s as ValueSeries;
        // Remote-write: running totals too, ordered by their timestamps (the newest is kept).
        const order = absolute ? absoluteOrderVerdict(c.at, c.last?.[source], value, stamp, now) : null;
        if (order) return order;
        if (!absolute && !this.options.cumulativeSources.has(source)) {
          const overflow = overflowVerdict(c.value, value);
          if (overflow) return overflow;
          c.value += value;
          return null;
        }
        // A running total: add what it grew by since this source's last one; lower means the
        // sender restarted and counted from zero again.
        c.last ??= {};
        if (c.last[source] === undefined && source.startsWith(STREAM_SOURCE) && Object.keys(c.last).length > 0) {
          c.last = {};
          this.stats.resets++;
        }
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
        if (absolute) c.at = stamp;
        return null;
      }
      case 'gauge': {
        const g = s as ValueSeries;
        if (absolute) {
          const order = absoluteOrderVerdict(g.at, g.value, value, stamp, now);
          if (order) return order;
        } else if (!Number.isNaN(stamp) && holdsOrder(g.at, now) && stamp < g.at) {
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

/**
 * A series key's tenant (push-batch.ts tenantOfKey), without walking the key when it holds no
 * `tenant_id` at all (most keys): label names and values hold no NUL, so a key without
 * `tenant_id` followed by NUL has no label of that name.
 */
export function tenantOfSeriesKey(key: string): string {
  return key.includes('tenant_id\u0000') ? tenantOfKey(key) : '';
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
