// Tenants kept apart through the HTTP app (no socket): caps per tenant, definitions per tenant,
// and tenant_id in a body honoured only for writers allowed to set it (issue 21, item 12).

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Analyzer } from '../src/app.js';
import { render, storeFamilies } from '../src/export/exposition.js';
import { parseApiKey, tenantScope } from '../src/sources/push/api-keys.js';
import { decodeRecords, encodeRecord } from '../src/sources/push/push-log.js';
import { decodeBatch } from '../src/transforms/push/batch.js';
import { metricValue, tempDir, usePushAnalyzers } from './helpers.js';

const { analyzer, running, cleanups } = usePushAnalyzers();

const KEYS = [
  { key: 'key-of-a', tenant: 'a' },
  { key: 'key-of-b', tenant: 'b' },
  { key: 'key-without-tenant', tenant: null },
  { key: 'key-of-relay', tenant: '*' },
];

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field below
type Json = any;
async function post(a: Analyzer, key: string, body: unknown): Promise<{ status: number; json: Json }> {
  const res = await a.app.request('/update', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

async function scrape(a: Analyzer): Promise<string> {
  return (await a.app.request('/metrics')).text();
}

function seriesValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** What promtool says of an exposition ('' when it is clean). */
function promtool(text: string): string {
  const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return `${lint.stdout}${lint.stderr}${lint.status === 0 ? '' : ` (exit ${lint.status})`}`.trim();
}

const LIMITS = { maxItems: 100, maxLabels: 8, maxLabelValueBytes: 1024, maxSeriesBytes: 2048 };

const gauges = (name: string, n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({ name, type: 'gauge', value: 1, labels: { i: String(from + i) } }));

describe('caps per tenant', () => {
  it("tenant a fills its caps; tenant b's first push still succeeds", async () => {
    const a = await analyzer({ apiKeys: KEYS, maxSeries: 100, maxSeriesPerFamily: 5, maxSeriesPerTenant: 10 });
    // a fills its share of x, then its tenant cap with y.
    expect((await post(a, 'key-of-a', gauges('x', 6))).json).toMatchObject({ successful: 5, failed: 1 });
    expect((await post(a, 'key-of-a', gauges('y', 6))).json).toMatchObject({ successful: 5, failed: 1 });
    expect((await post(a, 'key-of-a', gauges('z', 1))).json.errors[0]).toMatchObject({ reason: 'series_limit' });
    // b's first pushes of the same names: all accepted.
    expect((await post(a, 'key-of-b', gauges('x', 5))).json).toMatchObject({ successful: 5, failed: 0 });
    expect((await post(a, 'key-of-b', gauges('z', 1))).json).toMatchObject({ successful: 1, failed: 0 });
    expect(a.pushed.seriesCount).toBe(16);
  });

  it('by default a tenant holds at most a tenth of --push-max-series', async () => {
    const { pushLimitsOf } = await import('../src/config/analyzer-config.js');
    expect(pushLimitsOf({ pushMaxSeries: 100_000 }).maxSeriesPerTenant).toBe(10_000);
    expect(pushLimitsOf({ pushMaxSeries: 5 }).maxSeriesPerTenant).toBe(1);
    expect(pushLimitsOf({ pushMaxSeries: 5, pushMaxSeriesPerTenant: 5 }).maxSeriesPerTenant).toBe(5);
  });

  it('many tenants through one KEY:* key, each with its own count', async () => {
    const a = await analyzer({ apiKeys: KEYS, maxSeries: 10_000, maxSeriesPerTenant: 2 });
    const body = Array.from({ length: 3000 }, (_, i) => ({
      name: 'orders',
      type: 'counter',
      value: 1,
      tenant_id: `t${i % 1000}`,
      labels: { i: String(i) },
    }));
    const { json } = await post(a, 'key-of-relay', body);
    // Two series per tenant fit, the third of each is refused.
    expect(json).toMatchObject({ successful: 2000, failed: 1000 });
    expect(new Set(json.errors.map((e: { reason: string }) => e.reason))).toEqual(new Set(['series_limit']));
    const text = await scrape(a);
    expect(seriesValue(text, 'orders_total{i="999",tenant_id="t999"}')).toBe(1);
    expect(seriesValue(text, 'orders_total{i="1999",tenant_id="t999"}')).toBe(1);
    expect(seriesValue(text, 'orders_total{i="2999",tenant_id="t999"}')).toBeUndefined();
    expect(promtool(text)).toBe('');
  });
});

describe('keys and the tenant_id they may set', () => {
  // The scope: the key's tenant, '' (none) or null (any).
  const table: { name: string; given: string; want: string | null | Error }[] = [
    { name: 'a key with a tenant writes as it', given: 'key-of-a:a', want: 'a' },
    { name: 'a key without a tenant names none', given: 'key-of-nobody', want: '' },
    { name: 'KEY:* may name any', given: 'key-of-relay:*', want: null },
    { name: 'a tenant name of 64 characters', given: `key-long:${'t'.repeat(64)}`, want: 't'.repeat(64) },
    { name: 'one of 65 is refused', given: `key-long:${'t'.repeat(65)}`, want: new Error('a tenant must be 1 to 64') },
    { name: 'an empty tenant is refused', given: 'key-empty:', want: new Error('a tenant must be 1 to 64') },
    { name: 'a wildcard inside a name is refused', given: 'key-glob:a*', want: new Error('a tenant must be 1 to 64') },
  ];
  for (const { name, given, want } of table) {
    it(name, () => {
      if (want instanceof Error) expect(() => parseApiKey(given)).toThrow(want.message);
      else expect(tenantScope(parseApiKey(given))).toBe(want);
    });
  }
});

describe('tenant_id in a body', () => {
  it("no key but a KEY:* one can change another tenant's series", async () => {
    const a = await analyzer({ apiKeys: KEYS });
    const orders = (value: number, extra: object = {}) => ({ name: 'orders', type: 'counter', value, ...extra });
    expect((await post(a, 'key-of-b', orders(5))).status).toBe(200);
    // The issue's reproduction: a key without a tenant adding 1000 to b's series.
    const keyless = await post(a, 'key-without-tenant', orders(1000, { tenant_id: 'b' }));
    expect(keyless).toMatchObject({ status: 400, json: { success: false, reason: 'tenant_not_allowed' } });
    const other = await post(a, 'key-of-a', orders(1000, { tenant_id: 'b' }));
    expect(other).toMatchObject({ status: 400, json: { reason: 'tenant_not_allowed' } });
    const inLabels = await post(a, 'key-of-a', orders(1000, { labels: { tenant_id: 'b' } }));
    expect(inLabels).toMatchObject({ status: 400, json: { reason: 'tenant_not_allowed' } });
    expect(seriesValue(await scrape(a), 'orders_total{tenant_id="b"}')).toBe(5);
    // Its own tenant named is fine; a KEY:* key may name any.
    expect((await post(a, 'key-of-b', orders(1, { tenant_id: 'b' }))).status).toBe(200);
    expect((await post(a, 'key-of-relay', orders(1, { tenant_id: 'b' }))).status).toBe(200);
    expect(seriesValue(await scrape(a), 'orders_total{tenant_id="b"}')).toBe(7);
    expect(await metricValue(a, 'log_analyzer_push_samples_total', { reason: 'tenant_not_allowed' })).toBe(3);
  });

  it('push without keys honours tenant_id (there is no one to keep apart)', async () => {
    const a = await analyzer();
    const res = await a.app.request('/metrics/track', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'orders', type: 'counter', value: 2, tenant_id: 'b' }),
    });
    expect(res.status).toBe(200);
    expect(seriesValue(await scrape(a), 'orders_total{tenant_id="b"}')).toBe(2);
  });

  it('the push log keeps the scope: a replay refuses what the push refused', () => {
    const body = new TextEncoder().encode(
      JSON.stringify({ name: 'orders', type: 'counter', value: 1, tenant_id: 'b' }),
    );
    for (const [scope, want] of [
      ['', ['tenant_not_allowed']],
      ['a', ['tenant_not_allowed']],
      [null, []],
    ] as const) {
      const [record] = decodeRecords(encodeRecord({ seq: 1, at: 0, tenant: scope, body })).records;
      expect(record?.tenant).toBe(scope);
      const batch = decodeBatch(record?.body ?? body, { limits: LIMITS, namespace: '', prefix: '', tenant: scope });
      expect('rejected' in batch && batch.rejected.map((r) => r.reason)).toEqual(want);
    }
  });
});

describe('definitions per tenant', () => {
  it("a's type, buckets and help bind only a; /metrics serves one definition per name", async () => {
    const a = await analyzer({ apiKeys: KEYS });
    expect((await post(a, 'key-of-a', { name: 'x', type: 'gauge', value: 1, help: 'A' })).status).toBe(200);
    // b's histogram x clashes with a's gauge: b gets its own family.
    expect((await post(a, 'key-of-b', { name: 'x', type: 'histogram', value: 1, buckets: [1, 2] })).status).toBe(200);
    // a's buckets do not bind b; b's bind b.
    expect((await post(a, 'key-of-a', { name: 'h', type: 'histogram', value: 1, buckets: [1] })).status).toBe(200);
    expect((await post(a, 'key-of-b', { name: 'h', type: 'histogram', value: 1, buckets: [5] })).status).toBe(200);
    const b2 = await post(a, 'key-of-b', { name: 'h', type: 'histogram', value: 1, buckets: [6] });
    expect(b2.json).toMatchObject({ reason: 'bucket_mismatch' });
    // Help: each tenant's own; a's other help is refused, b's first is fine, a's served.
    expect((await post(a, 'key-of-b', { name: 'c', type: 'counter', value: 1, help: 'B' })).status).toBe(200);
    expect((await post(a, 'key-of-a', { name: 'c', type: 'counter', value: 1, help: 'A' })).status).toBe(200);
    expect((await post(a, 'key-of-a', { name: 'c', type: 'counter', value: 1, help: 'A2' })).json).toMatchObject({
      reason: 'help_conflict',
    });
    // a's own type still binds a.
    expect((await post(a, 'key-of-a', { name: 'x', type: 'histogram', value: 1 })).json).toMatchObject({
      reason: 'type_conflict',
    });
    const text = await scrape(a);
    expect(text.match(/^# TYPE x /gm)).toEqual(['# TYPE x ']);
    expect(text).toContain('# TYPE x gauge');
    expect(seriesValue(text, 'x{tenant_id="a"}')).toBe(1);
    expect(text).not.toContain('x_bucket');
    expect(text).toContain('# HELP c_total B');
    expect(seriesValue(text, 'c_total{tenant_id="a"}')).toBe(1);
    expect(seriesValue(text, 'c_total{tenant_id="b"}')).toBe(1);
    expect(promtool(text)).toBe('');
    expect(await metricValue(a, 'log_analyzer_push_tenant_families')).toBe(2);
    // b's own families on reads scoped to b.
    const scoped = storeFamilies(a.store.snapshot(), 'b').filter((f) => f.name === 'x' || f.name === 'h');
    expect(scoped.map((f) => [f.name, f.type])).toEqual([
      ['x', 'histogram'],
      ['h', 'histogram'],
    ]);
    expect(scoped[0]?.text).toContain('x_bucket{tenant_id="b",le="1"} 1');
    expect(scoped[1]?.text).toContain('h_bucket{tenant_id="b",le="5"} 1');
  });

  it("a tenant's view never shows two families taking one name (own histogram z, shared gauge z_sum)", async () => {
    const a = await analyzer({ apiKeys: KEYS });
    const view = (tenant: string) => render(storeFamilies(a.store.snapshot(), tenant), false);
    expect((await post(a, 'key-of-a', { name: 'z', type: 'gauge', value: 1 })).status).toBe(200);
    expect((await post(a, 'key-of-b', { name: 'z', type: 'histogram', value: 1 })).status).toBe(200); // b's own z
    // b creating a gauge z_sum: refused (b's z is exposed as z_sum in b's view).
    const created = await post(a, 'key-of-b', { name: 'z_sum', type: 'gauge', value: 1 });
    expect(created.json).toMatchObject({ reason: 'name_conflict' });
    // Nor may a make a shared z_sum: it would show in b's view too.
    const shared = await post(a, 'key-of-a', { name: 'z_sum', type: 'gauge', value: 1 });
    expect(shared.json).toMatchObject({ reason: 'name_conflict', message: expect.stringMatching(/for tenant b$/) });
    // A shared w_count made before c has its own histogram w: c joining w_count is refused.
    expect((await post(a, 'key-of-a', { name: 'w', type: 'gauge', value: 1 })).status).toBe(200);
    expect((await post(a, 'key-of-a', { name: 'w_count', type: 'gauge', value: 1 })).status).toBe(200);
    expect(
      (await post(a, 'key-of-relay', { name: 'w', type: 'histogram', value: 1, tenant_id: 'c' })).json,
    ).toMatchObject({
      reason: 'name_conflict',
    });
    // promtool's parser would refuse a name's second HELP or TYPE (its lint of a gauge z_sum aside).
    for (const tenant of ['a', 'b']) expect(promtool(view(tenant))).not.toMatch(/second (HELP|TYPE)|error/i);
    // b bound to the shared gauge y_count, then its own histogram y (clashing with a's gauge y): refused.
    expect((await post(a, 'key-of-a', { name: 'y', type: 'gauge', value: 1 })).status).toBe(200);
    expect((await post(a, 'key-of-b', { name: 'y_count', type: 'gauge', value: 1 })).status).toBe(200);
    const own = await post(a, 'key-of-b', { name: 'y', type: 'histogram', value: 1 });
    expect(own.json).toMatchObject({ reason: 'name_conflict' });
    expect(view('b')).not.toContain('# TYPE y histogram');
  });

  it('a first sample refused leaves no series behind, nor a family, nor a count against the caps', async () => {
    const a = await analyzer({ apiKeys: KEYS, maxSeries: 1 });
    const future = { name: 'tg2', metric_type: 'gauge', value: { value: 1, timestamp: 8.64e15 } };
    const refused = await post(a, 'key-of-relay', { metrics: [future] });
    expect(refused.json.errors.map((e: { reason: string }) => e.reason)).toEqual(['too_far_in_future']);
    expect(a.pushed.seriesCount).toBe(0);
    expect(await scrape(a)).not.toMatch(/^tg2/m);
    // The cap of one series is still free; a series with one sample taken stays.
    const mixed = [
      { name: 'tg3', type: 'gauge', value: 2 },
      { ...future, name: 'tg3' },
    ];
    expect((await post(a, 'key-of-relay', { metrics: mixed })).json).toMatchObject({ accepted: 1 });
    expect(seriesValue(await scrape(a), 'tg3')).toBe(2);
  });

  it('series without a tenant keep the served definition: a clash is refused', async () => {
    const a = await analyzer({ apiKeys: KEYS });
    expect((await post(a, 'key-of-a', { name: 'x', type: 'gauge', value: 1 })).status).toBe(200);
    const res = await post(a, 'key-without-tenant', { name: 'x', type: 'histogram', value: 1 });
    expect(res.json).toMatchObject({ reason: 'type_conflict' });
    expect((await post(a, 'key-without-tenant', { name: 'x', type: 'gauge', value: 2, help: 'U' })).status).toBe(200);
  });

  it('a restart restores per-tenant families exactly', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const overrides = { positionsFile: join(t.dir, 'checkpoint.json') };
    const first = await analyzer({ apiKeys: KEYS }, overrides);
    const pushes: [string, object][] = [
      ['key-of-a', { name: 'g', type: 'gauge', value: 3, help: 'A' }],
      ['key-of-b', { name: 'g', type: 'summary', value: 4, quantiles: [0.5] }],
      ['key-of-b', { name: 'k', type: 'gauge', value: 1, help: 'B' }],
      ['key-of-a', { name: 'k', type: 'gauge', value: 2, help: 'A' }],
    ];
    for (const [key, body] of pushes) expect((await post(first, key, body)).status).toBe(200);
    const before = first.store.snapshot().families.filter((f) => f.pushed);
    await first.stop();
    running.splice(running.indexOf(first), 1);
    const second = await analyzer({ apiKeys: KEYS }, overrides);
    const after = second.store.snapshot().families.filter((f) => f.pushed);
    // (A summary's window starts again empty: its quantiles are unknown until observed.)
    const emptied = before.map((f) => ({
      ...f,
      series: f.series.map((s) => ('quantiles' in s ? { ...s, quantiles: s.quantiles.map(() => Number.NaN) } : s)),
    }));
    expect(after).toEqual(emptied);
    expect(after.map((f) => [f.name, f.tenant, f.tenants])).toEqual([
      ['g', undefined, { a: 'A' }],
      ['g', 'b', undefined],
      ['k', undefined, { b: 'B', a: 'A' }],
    ]);
    // The same definitions bind the same tenants.
    const again = async (key: string, body: object) => (await post(second, key, body)).json.reason;
    expect(await again('key-of-a', { name: 'g', type: 'gauge', value: 1, help: 'A2' })).toBe('help_conflict');
    expect(await again('key-of-b', { name: 'g', type: 'gauge', value: 1 })).toBe('type_conflict');
    expect(await again('key-of-a', { name: 'k', type: 'gauge', value: 1, help: 'A3' })).toBe('help_conflict');
    expect(await again('key-of-b', { name: 'k', type: 'gauge', value: 1, help: 'B' })).toBeUndefined();
    expect(await metricValue(second, 'log_analyzer_push_tenant_families')).toBe(1);
  });
});
