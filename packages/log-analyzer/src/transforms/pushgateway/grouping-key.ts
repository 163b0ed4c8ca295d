// A Pushgateway push path → its grouping key, decoded as pushgateway decodes it. Pure.
//
//   /metrics/job/nightly/instance/db1          → {job:"nightly", instance:"db1"}
//   /metrics/job@base64/bmlnaHRseQ/path@base64/L3Zhci90bXA=  → {job:"nightly", path:"/var/tmp"}
//   /metrics/job/x/empty@base64/=              → {job:"x", empty:""}
// The part after `/metrics/job` is passed in percent-decoded by segment (a `/` inside a value must
// come base64url-encoded, which is why the encoding exists).

import { LABEL_NAME } from './text-format.js';

export type GroupingKey = Record<string, string>;

/** Pure: base64url with or without padding (trailing `=` ignored, as pushgateway does); null when not base64url. */
export function decodeBase64Url(text: string): string | null {
  const bare = text.replace(/=+$/, '');
  if (!/^[A-Za-z0-9_-]*$/.test(bare) || bare.length % 4 === 1) return null;
  const bytes = Buffer.from(bare, 'base64url');
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}

/**
 * Pure: the segments after `/metrics/job` (`["@base64"?…]` as raw path segments, each
 * percent-decoded) → the grouping key, or pushgateway's error text. `rest` is the path after
 * `/metrics/job`, e.g. `@base64/Zm9v/a/b` or `/foo/a/b`.
 */
export function groupingKeyFromPath(rest: string): GroupingKey | { error: string } {
  const jobBase64 = rest.startsWith('@base64/');
  const tail = jobBase64 ? rest.slice('@base64'.length) : rest;
  if (!tail.startsWith('/')) return { error: 'job name is required' };
  const segments = tail.slice(1).split('/').map(percentDecode);
  if (segments.some((s) => s === null)) return { error: 'invalid percent-encoding in the path' };
  const [rawJob = '', ...labelParts] = segments as string[];
  let job = rawJob;
  if (jobBase64) {
    const decoded = decodeBase64Url(rawJob);
    if (decoded === null) return { error: `invalid base64 encoding in job name "${rawJob}"` };
    job = decoded;
  }
  const key: GroupingKey = {};
  // A trailing slash alone (`/metrics/job/x/`) names no label, as pushgateway's router reads it.
  const parts = labelParts.length === 1 && labelParts[0] === '' ? [] : labelParts;
  if (parts.length % 2 !== 0) return { error: `odd number of components in label string "/${parts.join('/')}"` };
  for (let i = 0; i < parts.length; i += 2) {
    const rawName = parts[i] ?? '';
    const value = parts[i + 1] ?? '';
    const base64 = rawName.endsWith('@base64');
    const name = base64 ? rawName.slice(0, -'@base64'.length) : rawName;
    if (!LABEL_NAME.test(name) || name.startsWith('__')) return { error: `improper label name "${name}"` };
    if (!base64) {
      key[name] = value;
      continue;
    }
    const decoded = decodeBase64Url(value);
    if (decoded === null) return { error: `invalid base64 encoding for label ${name}="${value}"` };
    key[name] = decoded;
  }
  if (job === '') return { error: 'job name is required' };
  key.job = job;
  return key;
}

function percentDecode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** Pure: one string naming a grouping key (sorted names), for a map of groups. */
export function groupId(key: GroupingKey): string {
  return Object.keys(key)
    .sort()
    .map((name) => `${name}\u0000${key[name]}`)
    .join('\u0001');
}
