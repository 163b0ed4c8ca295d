import { execFileSync } from 'node:child_process';
import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { BasicAuth, basicCredentials, CACHE_SIZE, MAX_AUTHORIZATION_BYTES } from './basic-auth.js';

/** Apache's htpasswd, as exporter-toolkit's docs make the hashes: $2y$. */
const htpasswd = (password: string) =>
  execFileSync('htpasswd', ['-nbBC', '4', '', password], { encoding: 'utf8' }).replace(/[:\n]/g, '');
const basic = (text: string | Buffer) => `Basic ${Buffer.from(text).toString('base64')}`;

describe('BasicAuth', () => {
  const users = new Map([
    ['alice', htpasswd('alice-pass')],
    ['bob', bcrypt.hashSync('bob-pass', 4)],
  ]);

  it.each([
    { name: 'a htpasswd ($2y$) user with the right password', given: basic('alice:alice-pass'), want: 'ok' },
    { name: 'a bcryptjs ($2b$) user with the right password', given: basic('bob:bob-pass'), want: 'ok' },
    { name: 'the wrong password', given: basic('alice:bob-pass'), want: 'denied' },
    { name: "another user's password", given: basic('bob:alice-pass'), want: 'denied' },
    { name: 'an unknown user', given: basic('carol:alice-pass'), want: 'denied' },
    { name: 'no password', given: basic('alice'), want: 'denied' },
    { name: 'an empty password', given: basic('alice:'), want: 'denied' },
    { name: 'no header', given: undefined, want: 'denied' },
    { name: 'a Bearer token', given: 'Bearer alice-pass', want: 'denied' },
    { name: 'not base64', given: 'Basic !!!!', want: 'denied' },
    {
      name: 'a password that is not UTF-8',
      given: basic(Buffer.from([0x61, 0x6c, 0x69, 0x63, 0x65, 0x3a, 0xff, 0xfe])),
      want: 'denied',
    },
    { name: 'a huge header', given: basic(`alice:${'x'.repeat(MAX_AUTHORIZATION_BYTES)}`), want: 'denied' },
  ])('$name → $want', async ({ given, want }) => {
    expect(await new BasicAuth(users).check(given)).toBe(want);
  });

  it('a password whose bytes are not UTF-8 never matches, even a hash made of those same bytes', async () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x41]);
    // bcryptjs reads a string; U+FFFD U+FFFD A is what those bytes decode to.
    const auth = new BasicAuth(new Map([['u', bcrypt.hashSync(bytes.toString('utf8'), 4)]]));
    expect(await auth.check(basic(Buffer.concat([Buffer.from('u:'), bytes])))).toBe('denied');
  });

  it('remembers a success (the next check does not run bcrypt), never a failure', async () => {
    const auth = new BasicAuth(users);
    const spy = { calls: 0 };
    const compare = bcrypt.compare;
    (bcrypt as { compare: typeof compare }).compare = ((...args: Parameters<typeof compare>) => {
      spy.calls++;
      return compare(...args);
    }) as typeof compare;
    try {
      expect(await auth.check(basic('alice:alice-pass'))).toBe('ok');
      expect(await auth.check(basic('alice:alice-pass'))).toBe('ok');
      expect(spy.calls).toBe(1);
      expect(await auth.check(basic('alice:wrong'))).toBe('denied');
      expect(await auth.check(basic('alice:wrong'))).toBe('denied');
      expect(spy.calls).toBe(3);
      // An unknown user runs bcrypt too (against a fixed hash): its time is a known user's.
      expect(await auth.check(basic('nobody:x'))).toBe('denied');
      expect(spy.calls).toBe(4);
    } finally {
      (bcrypt as { compare: typeof compare }).compare = compare;
    }
  });

  it('the cache is bounded', async () => {
    const many = new Map<string, string>();
    const hash = bcrypt.hashSync('p', 4);
    for (let i = 0; i < CACHE_SIZE + 20; i++) many.set(`u${i}`, hash);
    const auth = new BasicAuth(many);
    for (let i = 0; i < CACHE_SIZE + 20; i++) expect(await auth.check(basic(`u${i}:p`))).toBe('ok');
    expect((auth as unknown as { passed: Set<string> }).passed.size).toBe(CACHE_SIZE);
  });

  it('checks wait their turn, and past MAX_WAITING are answered busy', async () => {
    const auth = new BasicAuth(new Map([['alice', bcrypt.hashSync('p', 10)]]));
    const verdicts = await Promise.all(Array.from({ length: 70 }, () => auth.check(basic('alice:wrong'))));
    expect(verdicts.filter((v) => v === 'busy').length).toBe(6);
    expect(verdicts.filter((v) => v === 'denied').length).toBe(64);
  }, 60_000);
});

describe('basicCredentials', () => {
  it.each([
    { name: 'user and password', given: basic('a:b:c'), want: ['a', 'b:c'] },
    { name: 'lower-case scheme', given: `basic ${Buffer.from('a:b').toString('base64')}`, want: ['a', 'b'] },
    { name: 'no colon', given: basic('ab'), want: null },
    { name: 'too long', given: basic('a'.repeat(MAX_AUTHORIZATION_BYTES)), want: null },
  ])('$name', ({ given, want }) => {
    const got = basicCredentials(given);
    expect(got && [got.user.toString(), got.password.toString()]).toEqual(want);
  });
});
