// API keys: `KEY`, `KEY:TENANT` or `KEY:*` (may write any tenant's series), from flags or a file
// (one per line, # comments), each optionally followed by `role=write|read|admin`: write pushes
// only, read reads only (metrics, series, trends, the page), admin both plus the status; a key
// with no role stated keeps its old meaning (it pushes, and reads too with --metrics-auth).
// Keys are kept only as SHA-256 digests and compared in constant time against all of them, so
// neither timing nor a heap dump gives one away; a key is never logged.

import { createHash, timingSafeEqual } from 'node:crypto';
import { TENANT, type TenantScope } from '../../transforms/push/decode.js';

/** What a key may do; null: not stated (pushes, and reads as well under --metrics-auth). */
export type Role = 'write' | 'read' | 'admin';
export const ROLES: readonly Role[] = ['write', 'read', 'admin'];

export interface ApiKey {
  key: string;
  /** The key's tenant; ANY_TENANT: the body's tenant_id is honoured; null: no tenant_id at all. */
  tenant: string | null;
  role?: Role | null;
}

/** What a presented key matched: its tenant and role. */
export interface KeyMatch {
  tenant: string | null;
  role: Role | null;
}

/** Whether a key may push. */
export const mayWrite = (k: { role?: Role | null }): boolean => k.role !== 'read';

/**
 * Why a set of keys cannot run: a read key without --metrics-auth would guard nothing (reads are
 * open without it). Null: fine. Pure.
 */
export function roleRefusal(keys: readonly ApiKey[], metricsAuth: boolean): string | null {
  if (!metricsAuth && keys.some((k) => k.role === 'read')) {
    return 'a key with role=read needs --metrics-auth (without it reading needs no key)';
  }
  return null;
}

/** `KEY:*`: a key that may set any tenant_id (a trusted relay, an operator's tool). */
export const ANY_TENANT = '*';

/** Which tenant_id a matching key's pushes may carry (decode.ts TenantScope). */
export function tenantScope(key: { tenant: string | null }): TenantScope {
  return key.tenant === ANY_TENANT ? null : (key.tenant ?? '');
}

/** Pure: `KEY[:TENANT] [role=ROLE]` → its parts; throws with a one-line reason. */
export function parseApiKey(given: string): ApiKey {
  const [text = '', ...attributes] = given.trim().split(/[ \t]+/);
  let role: Role | null = null;
  for (const attribute of attributes) {
    const m = /^role=(.*)$/.exec(attribute);
    if (!m) throw new Error(`unknown "${attribute.slice(0, 40)}" after the key (role=write, role=read or role=admin)`);
    if (!ROLES.includes(m[1] as Role))
      throw new Error(`role must be write, read or admin, not "${(m[1] ?? '').slice(0, 40)}"`);
    role = m[1] as Role;
  }
  const at = text.indexOf(':');
  const key = (at < 0 ? text : text.slice(0, at)).trim();
  const tenant = at < 0 ? null : text.slice(at + 1).trim();
  if (key.length < 8) throw new Error('an API key must be at least 8 characters');
  if (/\s/.test(key)) throw new Error('an API key cannot contain spaces');
  if (tenant !== null && tenant !== ANY_TENANT && !TENANT.test(tenant)) {
    throw new Error('a tenant must be 1 to 64 letters, digits, _ . or - (or * for any)');
  }
  return role ? { key, tenant, role } : { key, tenant };
}

/** Pure: a keys file's text → keys, with the line number of a bad one. */
export function parseApiKeysFile(text: string, file: string): ApiKey[] {
  const keys: ApiKey[] = [];
  text.split('\n').forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    try {
      keys.push(parseApiKey(trimmed));
    } catch (error) {
      throw new Error(`${file}:${i + 1}: ${(error as Error).message}`);
    }
  });
  return keys;
}

const digest = (key: string) => createHash('sha256').update(key).digest();

export class ApiKeys {
  private readonly keys: { digest: Buffer; tenant: string | null; role: Role | null }[];

  constructor(keys: readonly ApiKey[]) {
    this.keys = keys.map((k) => ({ digest: digest(k.key), tenant: k.tenant, role: k.role ?? null }));
  }

  get size(): number {
    return this.keys.length;
  }

  /** The key from `Authorization: Bearer KEY` or `X-API-Key: KEY`. */
  static presented(authorization: string | undefined, apiKey: string | undefined): string | null {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    return bearer?.[1] ?? apiKey?.trim() ?? null;
  }

  /** The key's tenant (null for a key without one) and role, or undefined when no key matches. */
  check(presented: string | null): KeyMatch | undefined {
    if (presented === null) return undefined;
    const given = digest(presented);
    let found: KeyMatch | undefined;
    // Every key is compared, match or not: the time does not say which one matched.
    for (const k of this.keys)
      if (timingSafeEqual(k.digest, given) && !found) found = { tenant: k.tenant, role: k.role };
    return found;
  }
}
