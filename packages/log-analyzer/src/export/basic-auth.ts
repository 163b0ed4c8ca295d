// Basic auth against the web config's bcrypt users (exporter-toolkit's basic_auth_users). A check
// that passed is remembered (a bounded set keyed by a digest of user, hash and password: a scrape
// every 15 s costs one bcrypt, not one per scrape); an unknown user is checked against a fixed hash
// so the time taken does not say which users exist; bcrypt runs one at a time (it is CPU-heavy)
// and a queue of waiting checks is bounded, so a flood of wrong passwords cannot pile up memory.

import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';

/** bcrypt of a random password no one knows, at cost 10 like the users' usual hashes. */
const FIXED_HASH = '$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi';
/** Successful checks remembered (exporter-toolkit keeps 100). */
export const CACHE_SIZE = 100;
/** Checks that may wait for bcrypt; more are answered "busy" (429) at once. */
export const MAX_WAITING = 64;
/** The longest Authorization header looked at (a user and password of a few hundred bytes fit easily). */
export const MAX_AUTHORIZATION_BYTES = 4096;

export type BasicVerdict = 'ok' | 'denied' | 'busy';

/** `Basic base64(user:password)` → its parts (bytes as given: a password need not be UTF-8), or null. Pure. */
export function basicCredentials(header: string | undefined): { user: Buffer; password: Buffer } | null {
  if (header === undefined || header.length > MAX_AUTHORIZATION_BYTES) return null;
  const m = /^Basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(header);
  if (!m) return null;
  const decoded = Buffer.from(m[1] as string, 'base64');
  const colon = decoded.indexOf(0x3a);
  if (colon < 0) return null;
  return { user: decoded.subarray(0, colon), password: decoded.subarray(colon + 1) };
}

export class BasicAuth {
  private readonly passed = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  /** users: name → bcrypt hash (web-config.ts checked each). */
  constructor(private readonly users: ReadonlyMap<string, string>) {}

  get enabled(): boolean {
    return this.users.size > 0;
  }

  /** Whether an Authorization header names a user with the right password. */
  async check(header: string | undefined): Promise<BasicVerdict> {
    const given = basicCredentials(header);
    if (!given) return 'denied';
    // A user name that is not UTF-8 matches no user (the file's names are text).
    const user = given.user.toString('utf8');
    const known = this.users.get(user);
    const hash = known ?? FIXED_HASH;
    const key = createHash('sha256')
      .update(given.user)
      .update('\0')
      .update(hash)
      .update('\0')
      .update(given.password)
      .digest('base64');
    if (known !== undefined && this.passed.has(key)) return 'ok';
    if (this.waiting >= MAX_WAITING) return 'busy';
    this.waiting++;
    const run = this.queue.then(() => compare(given.password, hash));
    this.queue = run.catch(() => false);
    let ok: boolean;
    try {
      ok = await run;
    } finally {
      this.waiting--;
    }
    if (!ok || known === undefined) return 'denied';
    if (this.passed.size >= CACHE_SIZE) this.passed.delete(this.passed.values().next().value as string);
    this.passed.add(key);
    return 'ok';
  }
}

/**
 * bcrypt over a password's bytes. bcryptjs takes a string (and hashes its UTF-8), so bytes that are
 * not UTF-8 would be changed on the way in; such a password is still run through bcrypt (the same
 * time) but never matches. Passwords past 72 bytes are cut by bcrypt itself, as everywhere.
 */
async function compare(password: Buffer, hash: string): Promise<boolean> {
  const text = password.toString('utf8');
  const exact = Buffer.from(text, 'utf8').equals(password);
  const ok = await bcrypt.compare(text, hash);
  return ok && exact;
}
