// API keys for writes: `KEY`, `KEY:TENANT` or `KEY:*` (may write any tenant's series), from flags
// or a file (one per line, # comments).
// Keys are kept only as SHA-256 digests and compared in constant time against all of them, so
// neither timing nor a heap dump gives one away; a key is never logged.

import { createHash, timingSafeEqual } from 'node:crypto';
import { TENANT, type TenantScope } from '../../transforms/push/decode.js';

export interface ApiKey {
  key: string;
  /** The key's tenant; ANY_TENANT: the body's tenant_id is honoured; null: no tenant_id at all. */
  tenant: string | null;
}

/** `KEY:*`: a key that may set any tenant_id (a trusted relay, an operator's tool). */
export const ANY_TENANT = '*';

/** Which tenant_id a matching key's pushes may carry (decode.ts TenantScope). */
export function tenantScope(key: { tenant: string | null }): TenantScope {
  return key.tenant === ANY_TENANT ? null : (key.tenant ?? '');
}

/** Pure: `KEY[:TENANT]` → its parts; throws with a one-line reason. */
export function parseApiKey(text: string): ApiKey {
  const at = text.indexOf(':');
  const key = (at < 0 ? text : text.slice(0, at)).trim();
  const tenant = at < 0 ? null : text.slice(at + 1).trim();
  if (key.length < 8) throw new Error('an API key must be at least 8 characters');
  if (/\s/.test(key)) throw new Error('an API key cannot contain spaces');
  if (tenant !== null && tenant !== ANY_TENANT && !TENANT.test(tenant)) {
    throw new Error('a tenant must be 1 to 64 letters, digits, _ . or - (or * for any)');
  }
  return { key, tenant };
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
  private readonly keys: { digest: Buffer; tenant: string | null }[];

  constructor(keys: readonly ApiKey[]) {
    this.keys = keys.map((k) => ({ digest: digest(k.key), tenant: k.tenant }));
  }

  get size(): number {
    return this.keys.length;
  }

  /** The key from `Authorization: Bearer KEY` or `X-API-Key: KEY`. */
  static presented(authorization: string | undefined, apiKey: string | undefined): string | null {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    return bearer?.[1] ?? apiKey?.trim() ?? null;
  }

  /** The key's tenant (null for a key without one), or undefined when no key matches. */
  check(presented: string | null): { tenant: string | null } | undefined {
    if (presented === null) return undefined;
    const given = digest(presented);
    let found: { tenant: string | null } | undefined;
    // Every key is compared, match or not: the time does not say which one matched.
    for (const k of this.keys) if (timingSafeEqual(k.digest, given) && !found) found = { tenant: k.tenant };
    return found;
  }
}
