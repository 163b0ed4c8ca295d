// Pure verdicts on a pushed sample against what the store holds: a sum that would stop being a
// finite number, a timestamp too far ahead of the clock, a new family whose exposed names would
// collide with another's. pushed-families.ts asks them; each returns null or why not.

import type { FamilyKind, RejectReason } from '../metrics/catalog.js';

export type Verdict = null | [RejectReason, string];

/**
 * How far ahead of the analyzer's clock a sample's timestamp may be (Prometheus refuses samples
 * this far ahead as out of bounds too). Past timestamps are accepted: a timestamp only orders a
 * gauge's values (nothing is exposed with it), and a queue's backlog may be hours old.
 */
export const MAX_FUTURE_SKEW_MS = 10 * 60_000;

/** A sample stamped more than MAX_FUTURE_SKEW_MS after `now` (NaN: no timestamp). */
export function futureVerdict(stamp: number, now: number): Verdict {
  if (!(stamp > now + MAX_FUTURE_SKEW_MS)) return null;
  return ['too_far_in_future', `timestamp ${stamp} is more than ${MAX_FUTURE_SKEW_MS / 60_000} minutes ahead`];
}

/**
 * Whether a stored gauge time still orders later values: one beyond the skew (written before this
 * check existed, or restored from such a checkpoint) would refuse every later value forever.
 */
export function holdsOrder(at: number | undefined, now: number): at is number {
  return at !== undefined && at <= now + MAX_FUTURE_SKEW_MS;
}

/**
 * A remote-write sample (an absolute value, always timestamped) against the newest one kept for its
 * series (`at`, `kept`): an older one is out of order; one as old is a resend (the same value:
 * nothing changes) or a second value for one time (refused, as Prometheus refuses it).
 */
export function absoluteOrderVerdict(
  at: number | undefined,
  kept: number | undefined,
  value: number,
  stamp: number,
  now: number,
): Verdict {
  if (!holdsOrder(at, now) || stamp > at || (stamp === at && value === kept)) return null;
  const newest = new Date(at).toISOString();
  return stamp === at
    ? ['out_of_order', `another value at ${newest} is already kept`]
    : ['out_of_order', `a newer sample (at ${newest}) is already kept`];
}

/** Adding `value` to a stored sum (counter, histogram or summary _sum) would leave the finite numbers. */
export function overflowVerdict(sum: number, value: number): Verdict {
  if (Number.isFinite(sum + value)) return null;
  return ['overflow', `the sum ${sum} + ${value} is not a finite number`];
}

const SUFFIXES: Record<FamilyKind, readonly string[]> = {
  counter: [],
  gauge: [],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['_sum', '_count'],
};

/**
 * Every name a family takes in the exposition: its own; a histogram's or summary's sample names;
 * a counter's name without `_total`, its family name in OpenMetrics.
 */
export function namesTaken(name: string, kind: FamilyKind): string[] {
  const names = [name, ...SUFFIXES[kind].map((suffix) => `${name}${suffix}`)];
  if (kind === 'counter' && name.endsWith('_total')) names.push(name.slice(0, -'_total'.length));
  return names;
}

/** The families that could take `name`: itself, the stem of a sample name, a counter of it + `_total`. */
function candidates(name: string): string[] {
  const out = [name, `${name}_total`];
  const suffix = /_(bucket|sum|count)$/.exec(name);
  if (suffix) out.push(name.slice(0, suffix.index));
  return out;
}

/**
 * A new family whose exposed names would meet another family's (a gauge `h_sum` beside a histogram
 * `h`, either way round; a gauge `x` beside a counter `x_total`): two TYPE blocks for one name, which
 * Prometheus's parser refuses. `kindOf` is the store's family of that name, if any.
 */
export function nameConflictVerdict(
  name: string,
  kind: FamilyKind,
  kindOf: (name: string) => FamilyKind | undefined,
): Verdict {
  for (const taken of namesTaken(name, kind)) {
    for (const other of candidates(taken)) {
      if (other === name) continue;
      const otherKind = kindOf(other);
      if (otherKind !== undefined && namesTaken(other, otherKind).includes(taken)) {
        return ['name_conflict', `${name} (${kind}) would be exposed as ${taken}, which ${other} (${otherKind}) uses`];
      }
    }
  }
  return null;
}
