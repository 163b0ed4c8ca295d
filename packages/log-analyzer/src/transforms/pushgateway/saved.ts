// The groups as the checkpoint keeps them (the pushgateway source's position): plain JSON, values
// that JSON cannot hold (NaN, ±Inf) written as strings. Pure; decoding checks every field, and a
// position that does not read back is treated as none.
//
//   {"groups":[{"key":{"job":"nightly"},"pushedAt":1.7e12,"failedAt":0,
//     "families":[{"name":"x","help":"","type":"gauge","at":1.7e12,"samples":[["x",[["instance",""],["job","nightly"]],"NaN"]]}]}]}

import type { GroupingKey } from './grouping-key.js';
import { groupId } from './grouping-key.js';
import type { GroupFamily, Groups } from './groups.js';
import type { FamilyType } from './text-format.js';

type SavedValue = number | 'NaN' | '+Inf' | '-Inf';

export interface SavedGroups {
  groups: {
    key: GroupingKey;
    pushedAt: number;
    failedAt: number;
    families: {
      name: string;
      help: string;
      type: FamilyType;
      at: number;
      samples: [string, [string, string][], SavedValue][];
    }[];
  }[];
}

const toSaved = (v: number): SavedValue =>
  Number.isNaN(v) ? 'NaN' : v === Number.POSITIVE_INFINITY ? '+Inf' : v === Number.NEGATIVE_INFINITY ? '-Inf' : v;
const fromSaved = (v: SavedValue): number =>
  v === 'NaN' ? Number.NaN : v === '+Inf' ? Number.POSITIVE_INFINITY : v === '-Inf' ? Number.NEGATIVE_INFINITY : v;

export const savedGroups = {
  fromGroups(groups: Groups): SavedGroups {
    return {
      groups: [...groups.values()].map((g) => ({
        key: g.key,
        pushedAt: g.pushedAt,
        failedAt: g.failedAt,
        families: [...g.families.values()].map((f) => ({
          name: f.name,
          help: f.help,
          type: f.type,
          at: f.at,
          samples: f.samples.map((s) => [
            s.name,
            s.labels.map(([k, v]) => [k, v] as [string, string]),
            toSaved(s.value),
          ]),
        })),
      })),
    };
  },
  toGroups(saved: SavedGroups): Groups {
    return new Map(
      saved.groups.map((g) => [
        groupId(g.key),
        {
          key: g.key,
          pushedAt: g.pushedAt,
          failedAt: g.failedAt,
          families: new Map<string, GroupFamily>(
            g.families.map((f) => [
              f.name,
              {
                ...f,
                samples: f.samples.map(([name, labels, value]) => ({ name, labels, value: fromSaved(value) })),
              },
            ]),
          ),
        },
      ]),
    );
  },
};

const TYPES = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];
const isString = (v: unknown): v is string => typeof v === 'string';
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isValue = (v: unknown) => isTime(v) || v === 'NaN' || v === '+Inf' || v === '-Inf';
const isPair = (v: unknown) => Array.isArray(v) && v.length === 2 && isString(v[0]) && isString(v[1]);

/** Pure: a saved position read back, or null when it is not one (absent, or written by something else). */
export function decodeSavedGroups(saved: unknown): SavedGroups | null {
  if (typeof saved !== 'object' || saved === null || !Array.isArray((saved as SavedGroups).groups)) return null;
  const ok = (saved as { groups: unknown[] }).groups.every((g) => {
    if (typeof g !== 'object' || g === null) return false;
    const { key, pushedAt, failedAt, families } = g as Record<string, unknown>;
    if (typeof key !== 'object' || key === null || !Object.values(key).every(isString)) return false;
    if (!isTime(pushedAt) || !isTime(failedAt) || !Array.isArray(families)) return false;
    return families.every((f) => {
      if (typeof f !== 'object' || f === null) return false;
      const { name, help, type, at, samples } = f as Record<string, unknown>;
      if (!isString(name) || !isString(help) || !TYPES.includes(type as string) || !isTime(at)) return false;
      return (
        Array.isArray(samples) &&
        samples.every(
          (s) =>
            Array.isArray(s) &&
            s.length === 3 &&
            isString(s[0]) &&
            Array.isArray(s[1]) &&
            s[1].every(isPair) &&
            isValue(s[2]),
        )
      );
    });
  });
  return ok ? (saved as SavedGroups) : null;
}
