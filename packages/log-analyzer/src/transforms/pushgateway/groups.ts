// Pushgateway groups: what a push, a delete or an expiry makes of them. Pure and immutable (a new
// map and new groups on every change, so a checkpoint can hold the old ones while pushes go on).
// A group owns its series: a push REPLACES their values (PUT: the whole group; POST: the families
// it names), as pushgateway does; the additive mode adds counters, histograms and summaries instead.

import { type GroupingKey, groupId } from './grouping-key.js';
import type { FamilyType, Labels, TextFamily, TextSample } from './text-format.js';

export interface GroupFamily {
  name: string;
  help: string;
  type: FamilyType;
  /** When this family was last pushed (ms). */
  at: number;
  /** Labels with the grouping key applied and sorted. */
  samples: readonly TextSample[];
}

export interface Group {
  key: GroupingKey;
  families: ReadonlyMap<string, GroupFamily>;
  /** Last successful change (ms; 0: none yet), push_time_seconds. */
  pushedAt: number;
  /** Last failed change (ms; 0: none), push_failure_time_seconds. */
  failedAt: number;
}

export type Groups = ReadonlyMap<string, Group>;

export const PUSH_TIME = 'push_time_seconds';
export const PUSH_FAILURE_TIME = 'push_failure_time_seconds';
export const PUSH_TIME_HELP = 'Last Unix time when changing this group in the Pushgateway succeeded.';
export const PUSH_FAILURE_TIME_HELP = 'Last Unix time when changing this group in the Pushgateway failed.';

export interface PushRequest {
  key: GroupingKey;
  families: readonly TextFamily[];
  /** PUT: the whole group is replaced; POST: only the families named. */
  replace: boolean;
  /** Counters, histograms and summaries (their _sum/_count/_bucket) are added to the group's values. */
  additive: boolean;
  /** The body carried timestamps (refused, as pushgateway refuses them). */
  timestamps: boolean;
  at: number;
}

/**
 * Pure: a sample's labels with the grouping key applied as pushgateway does: a grouping label
 * overrides the body's value, and `instance=""` is added when neither has an instance.
 */
export function sanitizeLabels(labels: Labels, key: GroupingKey): Labels {
  const out = new Map<string, string>(labels.map(([k, v]) => [k, v]));
  for (const [k, v] of Object.entries(key)) out.set(k, v);
  if (!out.has('instance')) out.set('instance', '');
  return [...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

const seriesId = (name: string, labels: Labels) =>
  `${name}\u0000${labels.map(([k, v]) => `${k}\u0001${v}`).join('\u0002')}`;

const ADDABLE: readonly FamilyType[] = ['counter', 'histogram', 'summary'];

/** Whether a sample of a family is added in the additive mode (a summary's quantiles are not). */
function addable(family: TextFamily | GroupFamily, sample: TextSample): boolean {
  if (!ADDABLE.includes(family.type)) return false;
  return !(family.type === 'summary' && sample.name === family.name);
}

/**
 * Pure: the groups after a push, or why it is refused (pushgateway's text) with the groups
 * carrying only the failure time. `taken(name)`: a family name the analyzer itself exposes.
 */
export function applyPush(
  groups: Groups,
  push: PushRequest,
  taken: (name: string) => boolean,
): { groups: Groups; error?: string } {
  const id = groupId(push.key);
  const before = groups.get(id);
  const fail = (error: string) => {
    const next = new Map(groups);
    next.set(id, {
      key: push.key,
      families: before?.families ?? new Map(),
      pushedAt: before?.pushedAt ?? 0,
      failedAt: push.at,
    });
    return { groups: next, error: `pushed metrics are invalid or inconsistent with existing metrics: ${error}` };
  };
  if (push.timestamps) return fail('pushed metrics must not have timestamps');
  const families = new Map<string, GroupFamily>(push.replace ? [] : (before?.families ?? []));
  for (const family of push.families) {
    // The gateway's own families are its own (pushgateway overwrites them too).
    if (family.name === PUSH_TIME || family.name === PUSH_FAILURE_TIME) continue;
    const old = before?.families.get(family.name);
    const previous = new Map((old?.samples ?? []).map((s) => [seriesId(s.name, s.labels), s.value]));
    const samples = family.samples.map((s) => {
      const labels = sanitizeLabels(s.labels, push.key);
      const oldValue = previous.get(seriesId(s.name, labels));
      const add = push.additive && old?.type === family.type && addable(family, s) && oldValue !== undefined;
      return { name: s.name, labels, value: add ? s.value + (oldValue ?? 0) : s.value };
    });
    families.set(family.name, { name: family.name, help: family.help, type: family.type, at: push.at, samples });
  }
  const next = new Map(groups);
  next.set(id, { key: push.key, families, pushedAt: push.at, failedAt: before?.failedAt ?? 0 });
  const inconsistent = consistencyError(next, taken);
  return inconsistent ? fail(inconsistent) : { groups: next };
}

/** Pure: the groups without one (DELETE); the same map when it was not there. */
export function removeGroup(groups: Groups, key: GroupingKey): Groups {
  const id = groupId(key);
  if (!groups.has(id)) return groups;
  const next = new Map(groups);
  next.delete(id);
  return next;
}

/** Pure: the groups whose last change (success or failure) is older than `ttlMs` before `now`, dropped. */
export function expireGroups(groups: Groups, now: number, ttlMs: number): Groups {
  const stale = [...groups].filter(([, g]) => Math.max(g.pushedAt, g.failedAt) <= now - ttlMs);
  if (stale.length === 0) return groups;
  const next = new Map(groups);
  for (const [id] of stale) next.delete(id);
  return next;
}

/**
 * Pure: what gathering every group would refuse, as client_golang's Gatherers do: one type per
 * family name, no series twice, no `_count`/`_sum`/`_bucket` family beside a summary or
 * histogram of the base name, no name the analyzer exposes itself. null: consistent.
 */
/** Pure: every name the groups expose on /metrics (a family's, its sample names, the push times). */
export function exposedNames(groups: Groups): Set<string> {
  const names = new Set<string>();
  for (const group of groups.values()) {
    for (const family of group.families.values()) {
      names.add(family.name);
      const suffixes =
        family.type === 'histogram'
          ? ['_bucket', '_sum', '_count']
          : family.type === 'summary'
            ? ['_sum', '_count']
            : [];
      for (const suffix of suffixes) names.add(family.name + suffix);
    }
  }
  if (groups.size > 0) {
    names.add(PUSH_TIME);
    names.add(PUSH_FAILURE_TIME);
  }
  return names;
}

export function consistencyError(groups: Groups, taken: (name: string) => boolean): string | null {
  const types = new Map<string, FamilyType>();
  const seen = new Set<string>();
  for (const group of groups.values()) {
    for (const family of group.families.values()) {
      const type = types.get(family.name);
      if (type !== undefined && type !== family.type) {
        return `gathered metric family ${family.name} has type ${family.type.toUpperCase()} but should have ${type.toUpperCase()}`;
      }
      types.set(family.name, family.type);
      for (const sample of family.samples) {
        const id = seriesId(sample.name, sample.labels);
        if (seen.has(id)) {
          const labels = sample.labels.map(([k, v]) => `${k}:${JSON.stringify(v)}`).join(' ');
          return `collected metric "${sample.name}" { label:{${labels}} } was collected before with the same name and label values`;
        }
        seen.add(id);
      }
    }
  }
  for (const [name, type] of types) {
    if (taken(name)) return `a metric family named ${name} is already exposed by the analyzer itself`;
    const suffixes =
      type === 'histogram' ? ['_bucket', '_sum', '_count'] : type === 'summary' ? ['_sum', '_count'] : [];
    for (const suffix of suffixes) {
      if (types.has(name + suffix)) {
        return `collected metric family "${name + suffix}" collides with previously collected ${type} named "${name}"`;
      }
    }
  }
  return null;
}
