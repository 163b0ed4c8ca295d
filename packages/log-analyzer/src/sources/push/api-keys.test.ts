import { describe, expect, it } from 'vitest';
import { ApiKeys, parseApiKey, parseApiKeysFile, roleRefusal } from './api-keys.js';

describe('parseApiKey: KEY[:TENANT] [role=ROLE]', () => {
  it.each([
    { name: 'a key alone (no role: the old meaning)', given: 'key-12345', want: { key: 'key-12345', tenant: null } },
    { name: 'a tenant', given: 'key-12345:acme', want: { key: 'key-12345', tenant: 'acme' } },
    { name: 'any tenant', given: 'key-12345:*', want: { key: 'key-12345', tenant: '*' } },
    { name: 'a role', given: 'key-12345 role=read', want: { key: 'key-12345', tenant: null, role: 'read' } },
    {
      name: 'a tenant and a role',
      given: 'key-12345:acme   role=write',
      want: { key: 'key-12345', tenant: 'acme', role: 'write' },
    },
    { name: 'admin', given: 'key-12345 role=admin', want: { key: 'key-12345', tenant: null, role: 'admin' } },
    { name: 'an unknown role', given: 'key-12345 role=root', want: 'role must be write, read or admin, not "root"' },
    { name: 'something else after the key', given: 'key-12345 tenant=a', want: 'unknown "tenant=a" after the key' },
    { name: 'a short key', given: 'short role=read', want: 'at least 8 characters' },
  ])('$name', ({ given, want }) => {
    if (typeof want === 'string') expect(() => parseApiKey(given)).toThrow(want);
    else expect(parseApiKey(given)).toEqual(want);
  });

  it('a keys file: old lines as they were, roles beside them, a bad line named', () => {
    const keys = parseApiKeysFile('# keys\nold-key-123\nreader-123:acme role=read\n\nadmin-key-1 role=admin\n', 'k');
    expect(keys).toEqual([
      { key: 'old-key-123', tenant: null },
      { key: 'reader-123:acme'.split(':')[0], tenant: 'acme', role: 'read' },
      { key: 'admin-key-1', tenant: null, role: 'admin' },
    ]);
    expect(() => parseApiKeysFile('good-key-1\nbad-key-12 role=x\n', 'keys.txt')).toThrow(/^keys.txt:2: role must be/);
  });
});

describe('roleRefusal', () => {
  it.each([
    { name: 'no keys', given: { roles: [], auth: false }, want: null },
    {
      name: 'write and admin keys without --metrics-auth',
      given: { roles: ['write', 'admin', null], auth: false },
      want: null,
    },
    { name: 'a read key with --metrics-auth', given: { roles: ['read'], auth: true }, want: null },
    {
      name: 'a read key without --metrics-auth',
      given: { roles: ['read'], auth: false },
      want: 'needs --metrics-auth',
    },
  ] as const)('$name', ({ given, want }) => {
    const keys = given.roles.map((role, i) => ({ key: `key-${i}-12345`, tenant: null, role }));
    const got = roleRefusal(keys, given.auth);
    if (want === null) expect(got).toBeNull();
    else expect(got).toContain(want);
  });
});

describe('ApiKeys.check', () => {
  it('gives the matching key its tenant and role (null when not stated)', () => {
    const keys = new ApiKeys([
      { key: 'old-key-123', tenant: null },
      { key: 'reader-123', tenant: 'acme', role: 'read' },
    ]);
    expect(keys.check('old-key-123')).toEqual({ tenant: null, role: null });
    expect(keys.check('reader-123')).toEqual({ tenant: 'acme', role: 'read' });
    expect(keys.check('nope-nope-1')).toBeUndefined();
  });
});
