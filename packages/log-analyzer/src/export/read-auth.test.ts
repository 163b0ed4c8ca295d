import { describe, expect, it } from 'vitest';
import type { StoreSnapshot } from '../store/store.js';
import { presentedKey, readRule, readVerdict, tenantSnapshot } from './read-auth.js';

describe('readRule', () => {
  it.each([
    { name: 'the landing page', given: '/', want: 'open' },
    { name: 'the probes', given: '/health', want: 'open' },
    { name: 'the probes (API name)', given: '/api/health', want: 'open' },
    { name: 'the exposition', given: '/metrics', want: 'tenant' },
    { name: 'the exposition at its own path', given: '/prom', want: 'tenant' },
    { name: 'the series', given: '/metrics/series', want: 'tenant' },
    { name: 'a trend', given: '/metrics/trends/x_total', want: 'tenant' },
    { name: 'a forecast', given: '/metrics/forecast/x_total', want: 'tenant' },
    { name: 'the stats (every tenant)', given: '/metrics/stats', want: 'full' },
    { name: 'the status (file paths)', given: '/api/status', want: 'full' },
    { name: 'the live page', given: '/ui', want: 'page' },
    { name: 'its stream', given: '/ui/events', want: 'page' },
    { name: 'OTLP on the main port (a push)', given: '/v1/metrics', want: 'push' },
    { name: 'remote-write (a push)', given: '/api/v1/write', want: 'push' },
    { name: 'an unknown path', given: '/nope', want: 'full' },
    { name: 'a push path', given: '/metrics/track', want: 'push' },
    { name: 'a push path with a slash', given: '/update/', want: 'push' },
    { name: 'a Pushgateway group', given: '/metrics/job/nightly/instance/a', want: 'push' },
    { name: 'a Pushgateway group, base64 job, additive', given: '/add/metrics/job@base64/bmlnaHRseQ', want: 'push' },
    { name: 'the Pushgateway probes', given: '/-/ready', want: 'open' },
    { name: 'the Pushgateway groups listed (every tenant)', given: '/api/v1/metrics', want: 'full' },
  ])('$name', ({ given, want }) => {
    expect(readRule(given, given === '/prom' ? '/prom' : '/metrics')).toBe(want);
  });
});

describe('readVerdict', () => {
  const full = { tenant: null };
  const a = { tenant: 'a' };
  it.each([
    { name: 'auth off: anything', given: ['full', undefined], want: { tenant: null } },
    { name: 'open: no key needed', given: ['open', null], want: { tenant: null } },
    { name: 'push: its own auth', given: ['push', null], want: { tenant: null } },
    { name: 'no valid key', given: ['tenant', null], want: 401 },
    { name: 'a full key reads all', given: ['full', full], want: { tenant: null } },
    { name: "a tenant's key reads its tenant", given: ['tenant', a], want: { tenant: 'a' } },
    { name: "a tenant's key and the whole process", given: ['full', a], want: 403 },
    { name: 'a write key reads nothing', given: ['tenant', { tenant: null, role: 'write' }], want: 403 },
    { name: 'a write key and the page', given: ['page', { tenant: null, role: 'write' }], want: 403 },
    {
      name: 'a write key pushes (the routes check it)',
      given: ['push', { tenant: null, role: 'write' }],
      want: { tenant: null },
    },
    { name: 'a read key reads', given: ['tenant', { tenant: null, role: 'read' }], want: { tenant: null } },
    { name: 'a read key and the page', given: ['page', { tenant: null, role: 'read' }], want: { tenant: null } },
    {
      name: "a tenant's read key and the page: its tenant",
      given: ['page', { tenant: 'a', role: 'read' }],
      want: { tenant: 'a' },
    },
    { name: 'a read key cannot push', given: ['push', { tenant: null, role: 'read' }], want: 403 },
    { name: 'a read key and the status', given: ['full', { tenant: null, role: 'read' }], want: 403 },
    { name: 'an admin key and the status', given: ['full', { tenant: null, role: 'admin' }], want: { tenant: null } },
    {
      name: "an admin key with a tenant: its tenant's reads",
      given: ['tenant', { tenant: 'a', role: 'admin' }],
      want: { tenant: 'a' },
    },
    { name: 'no key on a push path: the routes answer', given: ['push', null], want: { tenant: null } },
  ] as { name: string; given: Parameters<typeof readVerdict>; want: unknown }[])('$name', ({ given, want }) => {
    const verdict = readVerdict(...given);
    expect('status' in verdict ? verdict.status : verdict).toEqual(want);
  });
});

describe('presentedKey', () => {
  const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;
  it.each([
    { name: 'bearer', given: ['Bearer k-123456', undefined], want: 'k-123456' },
    { name: 'X-API-Key', given: [undefined, ' k-123456 '], want: 'k-123456' },
    { name: 'basic: the password', given: [basic('me:k-123456'), undefined], want: 'k-123456' },
    { name: 'basic: a password with a colon', given: [basic(':k:1234567'), undefined], want: 'k:1234567' },
    { name: 'basic without a password', given: [basic('me'), undefined], want: null },
    { name: 'nothing', given: [undefined, undefined], want: null },
  ] as { name: string; given: [string | undefined, string | undefined]; want: string | null }[])(
    '$name',
    ({ given, want }) => {
      expect(presentedKey(...given)).toBe(want);
    },
  );
});

describe('tenantSnapshot', () => {
  it("keeps only the tenant's series, and only families that have one", () => {
    const snapshot: StoreSnapshot = {
      families: [
        {
          name: 'log_lines_total',
          help: '',
          kind: 'counter',
          labelNames: ['file'],
          series: [{ labels: ['/var/log/a.log'], value: 1 }],
        },
        {
          name: 'orders_total',
          help: '',
          kind: 'counter',
          labelNames: [],
          pushed: true,
          series: [
            { names: ['tenant_id'], labels: ['a'], value: 1 },
            { names: ['service', 'tenant_id'], labels: ['x', 'b'], value: 2 },
            { names: ['service'], labels: ['a'], value: 3 },
          ],
        },
        {
          name: 'b_only',
          help: '',
          kind: 'gauge',
          labelNames: [],
          series: [{ names: ['tenant_id'], labels: ['b'], value: 4 }],
        },
      ],
    };
    const got = tenantSnapshot(snapshot, 'a');
    expect(got.families.map((f) => [f.name, f.series.map((s) => ('value' in s ? s.value : null))])).toEqual([
      ['orders_total', [1]],
    ]);
  });
});
