// Issue 28 item 1: a tracked series' service and tenant_id are kept as sent beside its labels,
// through decode, the store and the history, and /metrics/series answers and filters on them.
import { describe, expect, it } from 'vitest';
import { HISTORY_DEFAULTS, PUSH_DEFAULTS } from '../config/analyzer-config.js';
import { History } from '../history/history.js';
import type { DecodedBatch } from '../store/push-batch.js';
import { PushedFamilies } from '../store/pushed-families.js';
import { Store, type ValueSeries } from '../store/store.js';
import { decodeBatch } from '../transforms/push/batch.js';
import { aggregatedText, sentLabels, seriesAnswer } from './history-queries.js';
import { historyRoutes } from './history-routes.js';
import { undecodableParameter } from './query-text.js';

const CONTEXT = {
  limits: { maxItems: 100, maxLabels: 8, maxLabelValueBytes: 1024, maxSeriesBytes: 2048 },
  namespace: '',
  prefix: '',
  tenant: null,
};
/** The metrics-service API's own example (README, Pushing metrics). */
const EXAMPLE = {
  name: 'gateway_requests',
  value: 1,
  type: 'counter',
  labels: { service: 'gateway', endpoint: '/api/users', method: 'GET' },
  service: 'gateway-service',
  tenant_id: 'tenant-1',
};

function pushed(...bodies: unknown[]) {
  const store = new Store();
  const families = new PushedFamilies(store, PUSH_DEFAULTS);
  for (const body of bodies) families.take(decodeBatch(JSON.stringify(body), CONTEXT) as DecodedBatch, 0);
  const history = new History(store, HISTORY_DEFAULTS);
  history.sample(0);
  history.sample(10_000);
  return history;
}

describe('sentLabels', () => {
  const table: { name: string; given: Record<string, string>; want: Record<string, string> }[] = [
    { name: 'no clash: as is', given: { service: 's', a: '1' }, want: { service: 's', a: '1' } },
    {
      name: 'a clash: the label back under its name',
      given: { service: 'field', exported_service: 'label', tenant_id: 't' },
      want: { service: 'label', tenant_id: 't' },
    },
    {
      name: 'exported_service was taken too: the deepest is the clashing label',
      given: { service: 'f', exported_service: 'e', exported_exported_service: 'l' },
      want: { service: 'l', exported_service: 'e' },
    },
    {
      name: 'a tenant clash',
      given: { tenant_id: 'b', exported_tenant_id: 'a' },
      want: { tenant_id: 'a' },
    },
    {
      name: 'an exported_service without service is a plain label',
      given: { exported_service: 'x' },
      want: { exported_service: 'x' },
    },
  ];
  for (const { name, given, want } of table) it(name, () => expect(sentLabels(given)).toEqual(want));
});

describe('/metrics/series: service and tenant_id as sent', () => {
  it("the API's example: found by its service, shown with the labels, service and tenant_id sent", () => {
    const history = pushed(EXAMPLE);
    const answer = seriesAnswer(history, { service: 'gateway-service', limit: 10 }, 10_000);
    expect(answer.total).toBe(1);
    expect(answer.series[0]).toMatchObject({
      name: 'gateway_requests_total',
      type: 'counter',
      labels: { service: 'gateway', endpoint: '/api/users', method: 'GET', tenant_id: 'tenant-1' },
      service: 'gateway-service',
      tenant_id: 'tenant-1',
    });
    expect(seriesAnswer(history, { service: 'gateway', limit: 10 }, 10_000).total).toBe(0);
    expect(seriesAnswer(history, { tenant: 'tenant-1', limit: 10 }, 10_000).total).toBe(1);
  });

  it('service takes part in the identity: the same labels under two services are two series', () => {
    const history = pushed(EXAMPLE, { ...EXAMPLE, service: 'other-service' }, { ...EXAMPLE });
    expect(seriesAnswer(history, { name: 'gateway_requests_total', limit: 10 }, 10_000).total).toBe(2);
    expect(seriesAnswer(history, { service: 'other-service', limit: 10 }, 10_000).series[0]?.labels.service).toBe(
      'gateway',
    );
  });

  const route = historyRoutes(pushed(EXAMPLE), () => 10_000);
  const hostile: { name: string; given: string; want: RegExp }[] = [
    { name: 'a service past 1 KiB', given: `service=${'s'.repeat(1025)}`, want: /service is longer than 1024 bytes/ },
    { name: 'a service that is not UTF-8', given: 'service=%FF%FE', want: /service is not percent-encoded UTF-8/ },
    { name: 'a tenant that is not a tenant name', given: 'tenant=a%20b', want: /tenant must be 1 to 64/ },
    { name: 'a tenant that is not UTF-8', given: 'tenant=%C3', want: /tenant is not percent-encoded UTF-8/ },
  ];
  for (const { name, given, want } of hostile) {
    it(`400: ${name}`, async () => {
      const res = await route.request(`/metrics/series?${given}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(want);
    });
  }
});

describe('undecodableParameter', () => {
  const table: { name: string; given: string; want: string | null }[] = [
    { name: 'no query', given: '/x', want: null },
    { name: 'plain', given: '/x?a=1&b=%C3%A9', want: null },
    { name: 'a bad value', given: '/x?a=1&b=%E9', want: 'b' },
    { name: 'a bad name', given: '/x?%FF=1', want: 'a parameter name' },
    { name: 'a lone %', given: '/x?a=%', want: 'a' },
  ];
  for (const { name, given, want } of table) it(name, () => expect(undecodableParameter(given)).toBe(want));
});

describe('/metrics?aggregated=true: aggregates over window_seconds', () => {
  /** A gauge that took these values, one per 10-s step, the last at `now`. */
  function gauge(values: number[]) {
    const store = new Store();
    const family = store.family({ name: 'depth', help: 'd', kind: 'gauge', labelNames: ['q'] });
    const s: ValueSeries = { labels: ['a'], value: 0 };
    family.add('a', s);
    const history = new History(store, HISTORY_DEFAULTS);
    let now = 3_600_000 * 10;
    for (const v of values) {
      now += 10_000;
      s.value = v;
      history.sample(now);
    }
    return { history, now };
  }
  const line = (text: string, name: string) => text.split('\n').find((l) => l.startsWith(`${name}{`));
  const table: {
    name: string;
    given: { values: number[]; types: ('avg' | 'sum' | 'min' | 'max' | 'count')[]; windowSeconds: number };
    want: Record<string, string>;
  }[] = [
    {
      name: 'every type over the last 30 s (the last three points)',
      given: { values: [100, 1, 2, 6], types: ['avg', 'sum', 'min', 'max', 'count'], windowSeconds: 30 },
      want: { depth_avg: '3', depth_sum: '9', depth_min: '1', depth_max: '6', depth_count: '3' },
    },
    {
      name: 'a window longer than the points kept: over the rollups, the same sums',
      given: { values: [4, 8], types: ['avg', 'count', 'max'], windowSeconds: 7200 },
      want: { depth_avg: '6', depth_count: '2', depth_max: '8' },
    },
    {
      name: 'only the types asked',
      given: { values: [5], types: ['min'], windowSeconds: 60 },
      want: { depth_min: '5' },
    },
  ];
  for (const { name, given, want } of table) {
    it(name, () => {
      const { history, now } = gauge(given.values);
      const text = aggregatedText(history, now, null, { types: given.types, windowSeconds: given.windowSeconds });
      const got: Record<string, string> = {};
      for (const type of ['avg', 'sum', 'min', 'max', 'count']) {
        const found = line(text, `depth_${type}`);
        if (found) got[`depth_${type}`] = found.split(' ')[1] as string;
      }
      expect(got).toEqual(want);
      expect(text).toContain(`# TYPE depth_${given.types[0]} gauge\n`);
    });
  }
});
