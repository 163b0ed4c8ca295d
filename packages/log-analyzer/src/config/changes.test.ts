import { describe, expect, it } from 'vitest';
import { authRefusal, describeReload, keysChange, redacted } from './changes.js';

describe('redacted', () => {
  it.each([
    {
      name: 'API keys: *** with their tenants',
      given: ['apiKey', ['k-1234567', 'k-7654321:a']],
      want: ['***', '***:a'],
    },
    {
      name: 'a Redis password',
      given: ['redisUrl', 'redis://:pw-secret@redis:6379/2'],
      want: 'redis://:***@redis:6379/2',
    },
    {
      name: 'a Redis user and password',
      given: ['redisUrl', 'redis://me:pw@redis:6379'],
      want: 'redis://me:***@redis:6379',
    },
    { name: 'a Redis URL without one', given: ['redisUrl', 'redis://redis:6379'], want: 'redis://redis:6379' },
    {
      name: "a scrape target's password",
      given: ['scrapeTarget', [{ name: 'a', url: 'http://u:p@a:1/m', type: 'prometheus' }]],
      want: [{ name: 'a', url: 'http://u:***@a:1/m', type: 'prometheus' }],
    },
    { name: 'anything else as it is', given: ['port', 8080], want: 8080 },
    { name: 'not set', given: ['apiKey', undefined], want: undefined },
  ] as { name: string; given: [string, unknown]; want: unknown }[])('$name', ({ given, want }) => {
    expect(redacted(...given)).toEqual(want);
  });
});

describe('authRefusal', () => {
  const base = { keysBefore: 2, keysAfter: 0, pushOpen: false, metricsAuth: false };
  it.each([
    { name: 'keys to none: refused', given: base, want: /no API key.*allow_unauthenticated = true \(--push-open\)/ },
    { name: 'keys to none with --push-open', given: { ...base, pushOpen: true }, want: null },
    { name: 'keys to fewer keys', given: { ...base, keysAfter: 1 }, want: null },
    { name: 'none to none (open from the start)', given: { ...base, keysBefore: 0 }, want: null },
    {
      name: '--metrics-auth with no key, even with --push-open',
      given: { ...base, pushOpen: true, metricsAuth: true },
      want: /--metrics-auth needs at least one API key/,
    },
  ])('$name', ({ given, want }) => {
    const got = authRefusal(given);
    if (want === null) expect(got).toBeNull();
    else expect(got).toMatch(want);
  });
});

describe('keysChange', () => {
  const k = (key: string, tenant: string | null = null) => ({ key, tenant });
  it.each([
    {
      name: 'the same keys in another order',
      given: [
        [k('a'), k('b')],
        [k('b'), k('a')],
      ],
      want: null,
    },
    { name: 'one more', given: [[k('a')], [k('a'), k('b')]], want: '1 key → 2 keys' },
    { name: 'replaced', given: [[k('a')], [k('b')]], want: '1 key (replaced)' },
    { name: 'a new tenant', given: [[k('a')], [k('a', 't')]], want: '1 key (replaced)' },
    { name: 'all gone', given: [[k('a'), k('b')], []], want: '2 keys → 0 keys' },
  ] as {
    name: string;
    given: [{ key: string; tenant: string | null }[], { key: string; tenant: string | null }[]];
    want: string | null;
  }[])('$name', ({ given, want }) => {
    expect(keysChange(...given)).toBe(want);
  });
});

describe('describeReload', () => {
  const keyOf = (o: string) => ({ pushMaxLabels: 'push.max_labels', port: 'server.port' })[o] ?? o;
  const inPlace = new Set(['pushMaxLabels', 'redisUrl']);
  it.each([
    { name: 'nothing', given: [{ port: 1 }, { port: 1 }, null], want: 'nothing changed' },
    {
      name: 'in place and at the next start, by config key',
      given: [{ port: 1, pushMaxLabels: 32 }, { port: 2, pushMaxLabels: 1 }, null],
      want: 'changed push.max_labels 32 → 1; at the next start: server.port 1 → 2',
    },
    {
      name: 'keys as counts, never the keys',
      given: [{ apiKey: ['k-1234567'] }, { apiKey: ['k-7654321'] }, '1 key (replaced)'],
      want: 'changed API keys 1 key (replaced)',
    },
    {
      name: 'a password redacted',
      given: [{ redisUrl: 'redis://:old-pw@r:1' }, { redisUrl: 'redis://:new-pw@r:1' }, null],
      want: 'changed redisUrl "redis://:***@r:1" → "redis://:***@r:1"',
    },
  ] as { name: string; given: [Record<string, unknown>, Record<string, unknown>, string | null]; want: string }[])(
    '$name',
    ({ given: [before, after, keys], want }) => {
      expect(describeReload({ before, after, inPlace, keyOf, keys })).toBe(want);
    },
  );
});
