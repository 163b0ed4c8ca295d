// Where a tenant's pushed samples go: each tenant has its own definitions (type, help, layout of a
// name). Tenants that agree share the family served under the name; a tenant whose definition
// clashes with it gets a family of its own, served only on reads scoped to it. Decides placement,
// creates the families and binds tenants to their definitions; PushedFamilies applies the samples.

import { isReservedPushName, type RejectReason, type Target } from '../metrics/catalog.js';
import type { FamilyInfo } from './push-batch.js';
import { nameConflictVerdict, namesTaken } from './push-checks.js';
import { DEFAULT_TARGETS } from './quantiles.js';
import { type Family, familyKey, type Store } from './store.js';

/** Prometheus's default histogram buckets (client_golang DefBuckets), for histograms pushed without any. */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
export const DEFAULT_HELP = 'Pushed metric (no help text was given).';

export type Outcome = null | [RejectReason, string];
/**
 * Where a tenant's samples of a batch family go: a family, a family to create ('shared': none has
 * the name yet; 'tenant': the served one's definition clashes, the tenant gets its own), or why not.
 */
export type Placement = Family | 'shared' | 'tenant' | [RejectReason, string];

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

/**
 * Where a tenant's samples of a batch family go. The tenant's own definition binds it (its own
 * family, or the shared one it is bound to); a tenant new to the name joins the shared family
 * when the definitions agree, or gets its own when they clash. Series without a tenant ('')
 * always use the shared definition: theirs cannot be served apart. `takenElsewhere`: a name served
 * beside the store (a Pushgateway group's), which a new family may not take.
 */
export function placeFamily(
  store: Store,
  info: FamilyInfo,
  tenant: string,
  takenElsewhere: (name: string) => boolean = () => false,
): Placement {
  const { name } = info;
  const shared = store.get(name);
  const names = namesTaken(name, info.type);
  if (names.some(isReservedPushName) || (shared && !shared.spec.pushed)) {
    return ['reserved_name', `${name} is one of the analyzer's own metrics`];
  }
  if (!shared && names.some(takenElsewhere)) {
    return ['reserved_name', `${name} is already exposed by a Pushgateway group`];
  }
  const own = tenant === '' ? undefined : store.get(familyKey({ name, tenant }));
  if (own) return differs(own.spec, info) ?? helpOf(own, own.spec.help, info) ?? own;
  if (!shared) return 'shared';
  const given = shared.spec.tenants?.[tenant];
  const clash = differs(shared.spec, info);
  if (clash) return given !== undefined || tenant === '' ? clash : 'tenant';
  // Joining: the shared family now shows in this tenant's view, beside its own families.
  return helpOf(shared, given, info) ?? (given === undefined ? nameConflict(store, info, tenant) : null) ?? shared;
}

/** A help text other than the one a tenant gave before is refused (none given matches any). */
function helpOf(family: Family, given: string | undefined, info: FamilyInfo): Outcome {
  if (!info.help || given === undefined || given === DEFAULT_HELP || info.help === given) return null;
  return ['help_conflict', `${family.spec.name} has another help text`];
}

/** A new family of the batch's definition: the shared one, or a tenant's own (a clash). */
export function createFamily(store: Store, info: FamilyInfo, tenant: string | undefined): Family {
  return store.family({
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
export function bindTenant(family: Family, tenant: string, help: string | null): void {
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
export function nameConflict(store: Store, info: FamilyInfo, tenant: string): Outcome {
  const kindOf = (name: string) =>
    ((tenant === '' ? undefined : store.get(familyKey({ name, tenant }))) ?? store.get(name))?.spec.kind;
  return nameConflictVerdict(info.name, info.type, kindOf);
}

/** A new shared family shows in every tenant's view but those that have their own of the name. */
export function sharedConflict(store: Store, info: FamilyInfo): Outcome {
  const tenants = new Set<string>();
  for (const family of store.all()) {
    if (family.spec.pushed && family.spec.tenant !== undefined) tenants.add(family.spec.tenant);
  }
  for (const tenant of tenants) {
    if (store.get(familyKey({ name: info.name, tenant }))) continue;
    const conflict = nameConflict(store, info, tenant);
    if (conflict) return [conflict[0], `${conflict[1]} for tenant ${tenant}`];
  }
  return null;
}
