import { describe, expect, it } from 'vitest';
import { API_EXAMPLE } from '../../../test/fixtures/push-examples.js';
import { MAX_HELP_BYTES, MAX_LABEL_NAME_BYTES, MAX_NAME_BYTES } from '../../metrics/prom-names.js';
import { tenantOfKey } from '../../store/push-batch.js';
import { decodeBody, decodeMessages } from './decode.js';
import { BodyError, parseJson } from './json-body.js';

const LIMITS = { maxItems: 100, maxLabels: 4, maxLabelValueBytes: 16, maxSeriesBytes: 2048 };
/** The store's series key of these (sorted) label pairs. */
const key = (...pairs: [string, string][]) => pairs.map(([k, v]) => `${k}\u0000${v}\u0000`).join('');

describe('decodeBody', () => {
  const table: { name: string; given: unknown; want: object }[] = [
    {
      name: 'the /api/metrics example',
      given: API_EXAMPLE,
      want: {
        shape: 'batch',
        samples: [
          {
            index: 0,
            sample: {
              name: 'request_count',
              type: 'counter',
              help: 'Total number of requests',
              key: key(['endpoint', '/users'], ['service', 'api_gateway']),
              value: 42,
              timestamp: null,
              buckets: null,
              targets: null,
              source: 'my_application',
            },
          },
        ],
      },
    },
    {
      name: 'a tracked metric: service and tenant_id become labels, service is the source',
      given: {
        name: 'x',
        value: 1,
        type: 'gauge',
        service: 'shop',
        tenant_id: 't1',
        timestamp: '2026-01-01T00:00:00Z',
      },
      want: {
        shape: 'track',
        samples: [
          {
            index: 0,
            sample: expect.objectContaining({
              key: key(['service', 'shop'], ['tenant_id', 't1']),
              source: 'shop',
              timestamp: Date.parse('2026-01-01T00:00:00Z'),
            }),
          },
        ],
      },
    },
    {
      name: 'a queue message with buckets; +Inf is implied',
      given: [{ type: 'histogram', name: 'h', value: 3, buckets: [1, 2, '+Inf'] }],
      want: { shape: 'track-batch', samples: [{ index: 0, sample: expect.objectContaining({ buckets: [1, 2] }) }] },
    },
    {
      name: 'a summary with quantiles only: epsilons default from them',
      given: { type: 'summary', name: 's', value: 3, quantiles: [0.99, 0.5] },
      want: {
        samples: [
          {
            index: 0,
            sample: expect.objectContaining({
              targets: [
                { quantile: 0.5, epsilon: 0.05 },
                { quantile: 0.99, epsilon: 0.001 },
              ],
            }),
          },
        ],
      },
    },
    {
      name: 'service and a label service that differ: the field keeps the name, the label becomes exported_service',
      given: { name: 'x', value: 1, type: 'gauge', service: 'shop', labels: { service: 'own' } },
      want: {
        samples: [
          {
            index: 0,
            sample: expect.objectContaining({
              key: key(['exported_service', 'own'], ['service', 'shop']),
              source: 'shop',
            }),
          },
        ],
      },
    },
    {
      name: 'service and a label service that agree: one label',
      given: { name: 'x', value: 1, type: 'gauge', service: 'shop', labels: { service: 'shop' } },
      want: { samples: [{ index: 0, sample: expect.objectContaining({ key: key(['service', 'shop']) }) }] },
    },
    {
      name: 'exported_service taken by a label too: the clashing label becomes exported_exported_service',
      given: { name: 'x', value: 1, type: 'gauge', service: 's', labels: { service: 'l', exported_service: 'e' } },
      want: {
        samples: [
          {
            index: 0,
            sample: expect.objectContaining({
              key: key(['exported_exported_service', 'l'], ['exported_service', 'e'], ['service', 's']),
            }),
          },
        ],
      },
    },
    {
      name: 'the API example: labels.service, service and tenant_id all kept',
      given: {
        name: 'http_requests',
        value: 1,
        type: 'counter',
        labels: { service: 'gateway', endpoint: '/api/users' },
        service: 'gateway-service',
        tenant_id: 'tenant-1',
      },
      want: {
        samples: [
          {
            index: 0,
            sample: expect.objectContaining({
              key: key(
                ['endpoint', '/api/users'],
                ['exported_service', 'gateway'],
                ['service', 'gateway-service'],
                ['tenant_id', 'tenant-1'],
              ),
            }),
          },
        ],
      },
    },
    {
      name: 'tenant_id and a label tenant_id that differ (a writer that may name any): the field is the tenant',
      given: { name: 'x', value: 1, type: 'gauge', tenant_id: 'b', labels: { tenant_id: 'a' } },
      want: {
        samples: [
          { index: 0, sample: expect.objectContaining({ key: key(['exported_tenant_id', 'a'], ['tenant_id', 'b']) }) },
        ],
      },
    },
    {
      name: 'bad items are refused one by one',
      given: [
        { name: 'ok', type: 'gauge', value: 1 },
        { name: 'x', type: 'gauge', value: 1, labels: { a: 'x\u0000' } },
        { name: 'x', type: 'gauge', value: 1, timestamp: 'yesterday' },
        { name: 'x', type: 'gauge', value: 1, labels: { a: '1', b: '2', c: '3', d: '4', e: '5' } },
        'not an object',
      ],
      want: {
        rejected: [
          { index: 1, reason: 'invalid_label', message: expect.any(String) },
          { index: 2, reason: 'invalid_value', message: expect.any(String) },
          { index: 3, reason: 'too_many_labels', message: '5 labels, more than 4' },
          { index: 4, reason: 'invalid_body', message: 'an item must be an object' },
        ],
      },
    },
  ];
  for (const { name, given, want } of table) {
    it(name, () => expect(decodeBody(given, LIMITS)).toMatchObject(want));
  }

  it('an API key’s tenant is set on every series, and unsorted labels are sorted', () => {
    const body = { name: 'x', value: 1, type: 'gauge', labels: { z: '1', a: '2' } };
    expect(decodeBody(body, LIMITS, 'acme').samples[0]?.sample.key).toBe(
      key(['a', '2'], ['tenant_id', 'acme'], ['z', '1']),
    );
    expect(decodeBody({ ...body, tenant_id: 'mine' }, LIMITS).samples[0]?.sample.key).toBe(
      key(['a', '2'], ['tenant_id', 'mine'], ['z', '1']),
    );
  });

  // The writer's scope: a key's tenant ('acme'), none ('': a key without a tenant, a queue without
  // allow_tenant_id) or any (null: KEY:*, push without keys, a queue with allow_tenant_id).
  const tenantCases: { name: string; given: { scope: string | null; body: Record<string, unknown> }; want: string }[] =
    [
      { name: 'a key writes as its tenant', given: { scope: 'acme', body: {} }, want: 'acme' },
      { name: 'naming its own tenant is fine', given: { scope: 'acme', body: { tenant_id: 'acme' } }, want: 'acme' },
      {
        name: "another tenant's tenant_id is refused",
        given: { scope: 'acme', body: { tenant_id: 'b' } },
        want: 'tenant_not_allowed',
      },
      {
        name: "another tenant's labels.tenant_id is refused",
        given: { scope: 'acme', body: { labels: { tenant_id: 'b' } } },
        want: 'tenant_not_allowed',
      },
      {
        name: 'a key without a tenant may not name one',
        given: { scope: '', body: { tenant_id: 'b' } },
        want: 'tenant_not_allowed',
      },
      {
        name: 'nor in the labels',
        given: { scope: '', body: { labels: { tenant_id: 'b' } } },
        want: 'tenant_not_allowed',
      },
      { name: 'a key without a tenant writes untenanted series', given: { scope: '', body: {} }, want: '' },
      { name: 'KEY:* names any tenant', given: { scope: null, body: { tenant_id: 'b' } }, want: 'b' },
      {
        name: 'a tenant name at the limit (64 characters)',
        given: { scope: null, body: { tenant_id: 'a'.repeat(64) } },
        want: 'a'.repeat(64),
      },
      {
        name: 'one past the limit is refused',
        given: { scope: null, body: { tenant_id: 'a'.repeat(65) } },
        want: 'invalid_label',
      },
      {
        name: 'a tenant name with a space is refused',
        given: { scope: null, body: { labels: { tenant_id: 'a b' } } },
        want: 'invalid_label',
      },
    ];
  for (const { name, given, want } of tenantCases) {
    it(`tenant_id: ${name}`, () => {
      const limits = { ...LIMITS, maxLabelValueBytes: 1024 };
      const decoded = decodeBody({ name: 'x', value: 1, type: 'gauge', ...given.body }, limits, given.scope);
      const got = decoded.rejected[0]?.reason ?? tenantOfKey(decoded.samples[0]?.sample.key ?? '');
      expect(got).toBe(want);
    });
  }

  it('refuses a body over the item limit as a whole', () => {
    expect(() => decodeBody(Array(101).fill({}), LIMITS)).toThrow(BodyError);
    expect(() => decodeBody('text', LIMITS)).toThrow('the body must be a JSON object or array');
  });
});

describe('a deeply nested body', () => {
  it('takes a valid body nested 100,000 deep (JSON.parse does not recurse); its item is refused', () => {
    const given = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(decodeBody(parseJson(given), LIMITS).rejected).toEqual([
      { index: 0, reason: 'invalid_body', message: 'an item must be an object' },
    ]);
  });
});

describe('bounds: a push body and a queue message are refused alike', () => {
  const item = (over: object) => JSON.stringify({ name: 'm', type: 'gauge', value: 1, ...over });
  const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
  const table: { name: string; given: string; want: { reason: string; message?: RegExp } }[] = [
    {
      name: 'a value beyond the doubles (1e999 parses as Infinity)',
      given: item({ value: 1 }).replace('"value":1', '"value":1e999'),
      want: { reason: 'overflow' },
    },
    { name: 'a negative one', given: item({}).replace('"value":1', '"value":-1e999'), want: { reason: 'overflow' } },
    { name: '"NaN" as a string', given: item({ value: 'NaN' }), want: { reason: 'invalid_value' } },
    { name: '"Infinity" as a string', given: item({ value: 'Infinity' }), want: { reason: 'invalid_value' } },
    {
      name: 'a 900 KB name (and the message does not echo it)',
      given: item({ name: 'n'.repeat(900_000) }),
      want: { reason: 'name_too_long', message: /^a name is 900000 bytes, more than 256$/ },
    },
    {
      name: `a name of ${MAX_NAME_BYTES + 1} bytes`,
      given: item({ name: 'n'.repeat(MAX_NAME_BYTES + 1) }),
      want: { reason: 'name_too_long' },
    },
    { name: 'a 900 KB help', given: item({ help: 'h'.repeat(900_000) }), want: { reason: 'help_too_long' } },
    {
      name: `a help of ${MAX_HELP_BYTES + 1} bytes in 2-byte characters`,
      given: item({ help: 'é'.repeat(513) }),
      want: { reason: 'help_too_long' },
    },
    {
      name: '30 label names of 30 KB',
      given: item({
        labels: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`${'l'.repeat(30_000)}${i}`, 'v'])),
      }),
      want: { reason: 'label_name_too_long' },
    },
    {
      name: 'a service label over the value limit',
      given: item({ service: 's'.repeat(17) }),
      want: { reason: 'label_too_long' },
    },
    {
      name: 'an epsilon of 1e-12',
      given: JSON.stringify({ type: 'summary', name: 's', value: 1, quantiles: [0.5], epsilons: [1e-12] }),
      want: { reason: 'epsilon_too_small', message: /below the minimum 0.001/ },
    },
    {
      name: 'a name nested 100,000 arrays deep',
      given: item({}).replace('"m"', deep(100_000)),
      want: { reason: 'invalid_name', message: /^name an array is/ },
    },
    {
      name: 'a type nested 100,000 arrays deep',
      given: item({}).replace('"gauge"', deep(100_000)),
      want: { reason: 'invalid_type' },
    },
    {
      name: 'a long bad name is shown cut',
      given: item({ name: `${'-'.repeat(200)}` }),
      want: { reason: 'invalid_name', message: /^name "-{64}…" is not/ },
    },
  ];
  for (const { name, given, want } of table) {
    it(name, () => {
      const pushed = decodeBody(parseJson(given), LIMITS);
      const queued = decodeMessages([given], LIMITS);
      for (const decoded of [pushed, queued]) {
        expect(decoded.samples).toEqual([]);
        expect(decoded.rejected).toEqual([
          { index: 0, reason: want.reason, message: expect.stringMatching(want.message ?? /./) },
        ]);
        expect((decoded.rejected[0]?.message.length ?? 0) < 200).toBe(true);
      }
    });
  }

  it('at the limits everything is taken; default epsilons never go below the minimum', () => {
    const given = {
      name: 'n'.repeat(MAX_NAME_BYTES),
      type: 'summary',
      value: 1e308,
      help: 'é'.repeat(MAX_HELP_BYTES / 2),
      labels: { ['l'.repeat(MAX_LABEL_NAME_BYTES)]: 'v' },
      quantiles: [0.5, 0.999, 0.9999],
    };
    const { samples, rejected } = decodeBody(given, LIMITS);
    expect(rejected).toEqual([]);
    expect(samples[0]?.sample.targets?.map((t) => t.epsilon)).toEqual([0.05, 0.001, 0.001]);
  });
});

describe('series bytes: the label names and values of one series, summed, are bounded', () => {
  const limits = { ...LIMITS, maxSeriesBytes: 20 };
  const table: { name: string; given: { body: object; scope?: string | null }; want: string | null }[] = [
    { name: 'exactly the bound is taken', given: { body: { labels: { ab: 'v'.repeat(16), c: 'd' } } }, want: null },
    {
      name: 'one byte past it is refused',
      given: { body: { labels: { ab: 'v'.repeat(16), c: 'de' } } },
      want: 'series_too_large',
    },
    {
      name: 'unsorted labels count alike',
      given: { body: { labels: { c: 'de', ab: 'v'.repeat(16) } } },
      want: 'series_too_large',
    },
    {
      name: 'values count in UTF-8 bytes',
      given: { body: { labels: { a: 'é'.repeat(8), b: 'cde' } } },
      want: 'series_too_large',
    },
    {
      name: 'a service label counts',
      given: { body: { labels: { ab: 'v'.repeat(10) }, service: 'svc' } },
      want: 'series_too_large',
    },
    {
      name: "a key's tenant counts",
      given: { body: { labels: { ab: 'v'.repeat(10) } }, scope: 't' },
      want: 'series_too_large',
    },
  ];
  for (const { name, given, want } of table) {
    it(name, () => {
      const body = { name: 'm', type: 'gauge', value: 1, ...given.body };
      const pushed = decodeBody(body, limits, given.scope ?? null);
      const queued = decodeMessages([JSON.stringify(body)], limits, given.scope ?? null);
      for (const decoded of [pushed, queued]) expect(decoded.rejected[0]?.reason ?? null).toBe(want);
    });
  }

  it("the issue's flood (32 labels of 128-byte names and 1 KiB values) is refused at the default bound", () => {
    const defaults = { maxItems: 100, maxLabels: 32, maxLabelValueBytes: 1024, maxSeriesBytes: 2048 };
    const labels = Object.fromEntries(
      Array.from({ length: 32 }, (_, i) => [`${'l'.repeat(125)}${String(i).padStart(3, '0')}`, 'v'.repeat(1024)]),
    );
    const items = Array.from({ length: 100 }, (_, i) => ({ name: 'flood', type: 'gauge', value: i, labels }));
    const decoded = decodeBody(items, defaults);
    expect(decoded.samples).toEqual([]);
    expect(decoded.rejected.every((r) => r.reason === 'series_too_large')).toBe(true);
    expect(decoded.rejected[0]?.message).toBe("the labels' names and values are 36864 bytes, more than 2048");
  });
});

describe('one series, one line: empty label values and repeated quantiles', () => {
  const shown = (key: string) => key.replaceAll('\u0000', '|');
  const table: { name: string; given: { body: object; scope?: string | null }; want: string }[] = [
    { name: 'no labels', given: { body: {} }, want: '' },
    { name: 'a label with an empty value is no label', given: { body: { labels: { x: '' } } }, want: '' },
    {
      name: 'among others, sorted or not',
      given: { body: { labels: { b: '2', x: '', a: '1' } } },
      want: 'a|1|b|2|',
    },
    { name: 'an empty tenant_id label is none', given: { body: { labels: { tenant_id: '' } } }, want: '' },
    {
      name: "an empty label gives way to the body's service",
      given: { body: { labels: { service: '' }, service: 'svc' } },
      want: 'service|svc|',
    },
    {
      name: "an empty tenant_id label gives way to a key's tenant",
      given: { body: { labels: { tenant_id: '', x: '' } }, scope: 't' },
      want: 'tenant_id|t|',
    },
    {
      name: 'a quantile given twice is refused',
      given: { body: { type: 'summary', quantiles: [0.5, 0.5] } },
      want: 'invalid_layout',
    },
    {
      name: 'unsorted, too',
      given: { body: { type: 'summary', quantiles: [0.9, 0.5, 0.9], epsilons: [0.01, 0.05, 0.02] } },
      want: 'invalid_layout',
    },
  ];
  for (const { name, given, want } of table) {
    it(name, () => {
      const body = { name: 'e', type: 'gauge', value: 1, ...given.body };
      const decoded = decodeBody(body, LIMITS, given.scope ?? null);
      expect(decoded.rejected[0]?.reason ?? shown(decoded.samples[0]?.sample.key ?? '?')).toBe(want);
    });
  }
});
