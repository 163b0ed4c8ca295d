// Metrics declared in the config ([metrics] custom_gauges, custom_counters, custom_histograms):
// pushed families made at start, each with one series without labels at 0, so they are exposed
// before any push. They are pushed families like any other: pushes and /update set them, their
// type is kept (another type is type_conflict) and they are checkpointed; a restart keeps their values.

import type { FamilyInfo } from './push-batch.js';
import type { Series, Store } from './store.js';
import { createFamily, placeFamily } from './tenant-placement.js';

/** A series at 0 of a declared family's kind (a histogram's buckets from its layout). */
function zero(info: FamilyInfo, bounds: readonly number[] | undefined, now: number): Series {
  if (info.type === 'histogram') {
    return {
      labels: [],
      names: [],
      touched: now,
      buckets: new Array((bounds?.length ?? 0) + 1).fill(0),
      sum: 0,
      count: 0,
    };
  }
  return { labels: [], names: [], touched: now, value: 0 };
}

/**
 * Makes each declared family that is not there yet (a restart finds it in the checkpoint), and its
 * series without labels; returns why a declaration cannot be made (a name the analyzer serves, or
 * one a family of another type holds), or null. Call before PushedFamilies counts the store.
 */
export function declareFamilies(store: Store, declared: readonly FamilyInfo[], now: number): string | null {
  for (const info of declared) {
    const place = placeFamily(store, info, '');
    if (Array.isArray(place)) return `[metrics] ${info.name}: ${place[1]}`;
    const family = typeof place === 'string' ? createFamily(store, info, undefined) : place;
    if (!family.series.has('')) family.add('', zero(info, family.spec.bounds, now));
  }
  return null;
}
