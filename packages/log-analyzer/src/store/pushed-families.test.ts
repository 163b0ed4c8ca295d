import { describe, expect, it } from 'vitest';
import { PUSH_DEFAULTS } from '../config/analyzer-config.js';
import { decodeBatch } from '../transforms/push/batch.js';
import { type DecodedBatch, tenantOfKey } from './push-batch.js';
import { PushedFamilies, tenantOfSeriesKey } from './pushed-families.js';
import { type FamilySnapshot, familiesFor, Store } from './store.js';

const LIMITS = { maxItems: 100, maxLabels: 8, maxLabelValueBytes: 1024, maxSeriesBytes: 2048 };

/** A push body as a KEY:* key sends it (tenant_id honoured). */
function batch(body: unknown): DecodedBatch {
  const decoded = decodeBatch(JSON.stringify(body), { limits: LIMITS, namespace: '', prefix: '', tenant: null });
  if ('error' in decoded) throw new Error(decoded.error.message);
  return decoded;
}

const reasons = (pushed: PushedFamilies, body: unknown, now = 0) => pushed.apply(batch(body), now).map((r) => r.reason);

describe('tenantOfKey', () => {
  const key = (...pairs: [string, string][]) => pairs.map(([k, v]) => `${k}\u0000${v}\u0000`).join('');
  const table: { name: string; given: string; want: string }[] = [
    { name: 'no labels', given: '', want: '' },
    { name: 'no tenant_id', given: key(['a', '1']), want: '' },
    { name: 'tenant_id first', given: key(['tenant_id', 't'], ['z', '1']), want: 't' },
    { name: 'tenant_id last', given: key(['a', '1'], ['tenant_id', 't']), want: 't' },
    { name: 'a value that reads tenant_id is not the name', given: key(['a', 'tenant_id'], ['b', 'x']), want: '' },
    { name: 'a name ending in tenant_id is not it', given: key(['my_tenant_id', 'm'], ['z', '1']), want: '' },
    { name: 'a value ending in tenant_id is not it', given: key(['a', 'xtenant_id'], ['tenant_id', 't']), want: 't' },
    { name: 'an empty tenant_id', given: key(['tenant_id', '']), want: '' },
  ];
  for (const { name, given, want } of table) it(name, () => expect(tenantOfKey(given)).toBe(want));
  // The store's shortcut (no walk when the key holds no `tenant_id` NUL) answers the same.
  for (const { name, given, want } of table)
    it(`tenantOfSeriesKey: ${name}`, () => expect(tenantOfSeriesKey(given)).toBe(want));
});

describe('familiesFor', () => {
  const f = (name: string, tenant?: string) =>
    ({ name, help: '', kind: 'gauge', labelNames: [], series: [], ...(tenant ? { tenant } : {}) }) as FamilySnapshot;
  const families = [f('x'), f('x', 'b'), f('y'), f('y', 'c')];
  const table: { name: string; given: string | null; want: [string, string | undefined][] }[] = [
    {
      name: 'unscoped: the shared ones only',
      given: null,
      want: [
        ['x', undefined],
        ['y', undefined],
      ],
    },
    {
      name: "scoped to b: b's own x instead of the shared one",
      given: 'b',
      want: [
        ['x', 'b'],
        ['y', undefined],
      ],
    },
    {
      name: 'scoped to a tenant without its own',
      given: 'a',
      want: [
        ['x', undefined],
        ['y', undefined],
      ],
    },
  ];
  for (const { name, given, want } of table) {
    it(name, () => expect(familiesFor(families, given).map((s) => [s.name, s.tenant])).toEqual(want));
  }
});

describe('PushedFamilies', () => {
  it('an older checkpoint (no per-tenant definitions) binds each tenant to the families it has series in', () => {
    const store = new Store();
    store.restore({
      families: [
        {
          name: 'x',
          help: 'Old help',
          kind: 'gauge',
          labelNames: [],
          pushed: true,
          series: [{ labels: ['a'], names: ['tenant_id'], value: 1 }],
        },
      ],
    });
    const pushed = new PushedFamilies(store, PUSH_DEFAULTS);
    expect(store.get('x')?.spec.tenants).toEqual({ a: 'Old help' });
    // a is bound (its help and type); b is not: its histogram gets a family of its own.
    expect(reasons(pushed, { name: 'x', type: 'gauge', value: 1, help: 'New', tenant_id: 'a' })).toEqual([
      'help_conflict',
    ]);
    expect(reasons(pushed, { name: 'x', type: 'histogram', value: 1, tenant_id: 'a' })).toEqual(['type_conflict']);
    expect(reasons(pushed, { name: 'x', type: 'histogram', value: 1, tenant_id: 'b' })).toEqual([]);
    expect(pushed.tenantFamilies).toBe(1);
    expect(pushed.seriesCount).toBe(2);
  });

  it("a new family may not take a name served beside the store (a Pushgateway group's), nor its sample names", () => {
    const pushed = new PushedFamilies(new Store(), PUSH_DEFAULTS);
    pushed.takenElsewhere = (name) => name === 'group_metric' || name === 'group_hist_count';
    expect(reasons(pushed, { name: 'group_metric', type: 'gauge', value: 1 })).toEqual(['reserved_name']);
    expect(reasons(pushed, { name: 'group_hist_count', type: 'gauge', value: 1 })).toEqual(['reserved_name']);
    // A summary named group_hist exposes group_hist_count: taken too.
    expect(reasons(pushed, { name: 'group_hist', type: 'summary', value: 1 })).toEqual(['reserved_name']);
    expect(reasons(pushed, { name: 'other', type: 'gauge', value: 1 })).toEqual([]);
  });

  it("a tenant's own family expires like any other, under its own key", () => {
    const store = new Store();
    const pushed = new PushedFamilies(store, { ...PUSH_DEFAULTS, ttlMs: 1000 });
    expect(reasons(pushed, { name: 'x', type: 'gauge', value: 1, tenant_id: 'a' }, 0)).toEqual([]);
    expect(reasons(pushed, { name: 'x', type: 'summary', value: 1, tenant_id: 'b' }, 500)).toEqual([]);
    expect(pushed.tenantFamilies).toBe(1);
    expect(pushed.expire(1000)).toBe(1);
    expect([...pushed.families()].map((f) => [f.spec.name, f.spec.tenant])).toEqual([['x', 'b']]);
    expect(pushed.expire(1500)).toBe(1);
    expect(pushed.tenantFamilies).toBe(0);
    expect(pushed.seriesCount).toBe(0);
    // Its caps' counts went with it: a fresh start for both.
    expect(reasons(pushed, { name: 'x', type: 'histogram', value: 1, tenant_id: 'b' }, 2000)).toEqual([]);
    expect(store.get('x')?.spec.kind).toBe('histogram');
  });

  it('series without a tenant count against the cap per name and in all', () => {
    const pushed = new PushedFamilies(new Store(), { ...PUSH_DEFAULTS, maxSeriesPerFamily: 2, maxSeriesPerTenant: 1 });
    const items = [1, 2, 3].map((i) => ({ name: 'u', type: 'gauge', value: 1, labels: { i: String(i) } }));
    expect(reasons(pushed, items)).toEqual(['series_limit']);
    expect(reasons(pushed, { ...items[0], tenant_id: 't' })).toEqual([]);
  });
});

describe('label names shared between series', () => {
  it('series with the same label names hold one array of them, made and restored alike; their values stay their own', () => {
    const store = new Store();
    const pushed = new PushedFamilies(store, PUSH_DEFAULTS);
    const item = (name: string, labels: Record<string, string>) => ({ name, type: 'gauge', value: 1, labels });
    pushed.apply(
      batch([item('g', { a: '1', b: 'x' }), item('g', { b: 'y', a: '2' }), item('h', { a: '3', b: 'z' })]),
      0,
    );
    pushed.apply(batch([item('g', { a: '4' })]), 0);
    const all = [...pushed.families()].flatMap((f) => [...f.series.values()]);
    const twoNames = all.filter((s) => s.names?.length === 2);
    expect(twoNames.map((s) => s.labels)).toEqual([
      ['1', 'x'],
      ['2', 'y'],
      ['3', 'z'],
    ]);
    expect(new Set(twoNames.map((s) => s.names)).size).toBe(1);
    expect(all.find((s) => s.names?.length === 1)?.names).toEqual(['a']);
    // Restored from a checkpoint's JSON (each series its own arrays): shared again.
    const restored = new Store();
    restored.restore(JSON.parse(JSON.stringify(store.snapshot())));
    const again = new PushedFamilies(restored, PUSH_DEFAULTS);
    const names = [...again.families()].flatMap((f) => [...f.series.values()]).filter((s) => s.names?.length === 2);
    expect(names).toHaveLength(3);
    expect(new Set(names.map((s) => s.names)).size).toBe(1);
  });
});
