import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { type BatchContext, slowDecodeBatch, slowDecodeJoinedBatch } from './batch.js';
import { fastDecodeBatch, fastDecodeJoined } from './fast-decode.js';
import { typeAt } from './fast-item.js';
import { FastCaches } from './series-cache.js';

/** mulberry32: the same bodies every run. */
function seeded(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)] as T;
  return { next, int, pick, chance: (p: number) => next() < p };
}
type Random = ReturnType<typeof seeded>;

/** A number written as given (JSON.stringify would normalise it). */
class Raw {
  constructor(readonly text: string) {}
}
/** An object whose keys are written in this order, duplicates included. */
class Pairs {
  constructor(readonly pairs: [string, unknown][]) {}
}

const RAW_NUMBERS = [
  '0',
  '1',
  '-1',
  '-0',
  '-0.0',
  '1.5',
  '0.1',
  '0.0732421875',
  '2.5e-3',
  '1E5',
  '1e+2',
  '1e21',
  '1e22',
  '1e23',
  '9007199254740993',
  '123456789012345678901234567890',
  '1.0000000000000002',
  '0.30000000000000004',
  '5e-324',
  '1e-400',
  '1.7976931348623157e308',
  '1e309',
  '-1e309',
  '1e0005',
  '0e999',
  '123456789012345',
  '1234567890123456',
  '0.000000000000000000001',
];
const BAD_NUMBERS = ['00', '01', '1.', '.5', '-', '1e', '+1', '0x10', 'NaN', 'Infinity', '1.e5'];
const NAMES = ['a', 'req_total', 'app:x', 'bad name', '', 'x'.repeat(257), 'é', 5, null, 'a\u0000'];
const TYPES = ['counter', 'gauge', 'histogram', 'summary', 'bogus', 'Counter', 3, null];
const LABEL_NAMES = [
  'a',
  'b',
  'code',
  'service',
  'tenant_id',
  '__x',
  'le',
  'quantile',
  '1',
  'bad-key',
  'x'.repeat(129),
];
const LABEL_VALUES = [
  '',
  'v',
  '200',
  'acme',
  'other',
  'a'.repeat(30),
  5,
  null,
  'é',
  '\ud800',
  'x\u0000',
  'q"q',
  'b\\s',
];
const TIMES = [
  null,
  0,
  1_700_000_000_000,
  -1,
  '2026-01-01T00:00:00Z',
  'not a time',
  new Raw('1.5'),
  new Raw('-0'),
  true,
];
const HELPS = [null, '', 'Help text.', 'Other help.', 'x'.repeat(1025), 7];
const SERVICES = ['', 'checkout', 'cart', 5, 'x'.repeat(80), 'é'];
const TENANTS = ['', 'acme', 'a', 'bad tenant!', 7];
const BUCKETS = [null, [1, 2, 3], [0.005, 0.01, 1], [3, 2], [], [1, '+Inf'], [new Raw('1e999')], 'x', [1, 2, 3]];
const QUANTILES = [null, [0.5, 0.9], [0.9, 0.5], [0.5, 0.5], [1.5], [], 'q'];
const EPSILONS = [null, [0.01, 0.01], [1e-7, 0.1], [0.1], 'e'];

function number(r: Random): unknown {
  if (r.chance(0.6)) return r.pick([1, 2, 3, 0.5, 17, 200, 0.0732421875]);
  return new Raw(r.chance(0.9) ? r.pick(RAW_NUMBERS) : r.pick(BAD_NUMBERS));
}

function anyValue(r: Random, depth: number): unknown {
  const k = r.int(depth > 2 ? 5 : 7);
  if (k === 0) return number(r);
  if (k === 1) return r.chance(0.8) ? r.pick(['s', '']) : r.pick(['é', 'x\ny', '\\']);
  if (k === 2) return r.pick([null, true, false]);
  if (k === 3) return new Raw(r.pick(RAW_NUMBERS));
  if (k === 4) return r.chance(0.8) ? 'v' : r.pick(LABEL_VALUES);
  if (k === 5) return Array.from({ length: r.int(3) }, () => anyValue(r, depth + 1));
  return new Pairs(Array.from({ length: r.int(3) }, () => [r.pick(['k', 'value', 'name']), anyValue(r, depth + 1)]));
}

/** Labels from a small pool of sets, so series repeat (the cache's hits) but not always. */
function labels(r: Random): unknown {
  if (r.chance(0.1)) return r.pick([undefined, null, 'x', 5, [], {}]);
  const pool = r.int(r.chance(0.8) ? 6 : 40);
  const local = seeded(pool + 1);
  const pairs: [string, unknown][] = [];
  const n = local.int(4);
  for (let i = 0; i < n; i++) {
    pairs.push([
      pool < 6 || local.chance(0.7) ? local.pick(['a', 'b', 'code', 'service']) : local.pick(LABEL_NAMES),
      pool < 6 || local.chance(0.7) ? local.pick(['v', '200', 'w', '']) : local.pick(LABEL_VALUES),
    ]);
  }
  if (r.chance(0.2)) pairs.reverse();
  return new Pairs(pairs);
}

/** A plain item, as senders write them: most items of a real body. */
function plainItem(r: Random, queue: boolean): unknown {
  const type = r.pick(['counter', 'gauge', 'histogram', 'summary']);
  const pairs: [string, unknown][] = [
    ['name', r.pick(['a', 'req_total', 'app:x'])],
    [queue || r.chance(0.5) ? 'type' : 'metric_type', type],
    ['labels', labels(r)],
    ['value', r.chance(0.5) ? r.pick([1, 2, 0.5, 17]) : new Pairs([['value', r.pick([3, 0.25])]])],
  ];
  if (r.chance(0.3)) pairs.push(['help', r.pick(['Help text.', 'Other help.'])]);
  if (type === 'histogram' && r.chance(0.7))
    pairs.push([
      'buckets',
      r.pick([
        [1, 2, 3],
        [0.005, 0.01, 1],
      ]),
    ]);
  if (type === 'summary' && r.chance(0.7)) pairs.push(['quantiles', [0.5, 0.9]]);
  if (r.chance(0.3)) pairs.reverse();
  return new Pairs(pairs);
}

function item(r: Random, queue: boolean): unknown {
  if (r.chance(0.8)) return plainItem(r, queue);
  if (r.chance(0.03)) return anyValue(r, 0);
  const pairs: [string, unknown][] = [];
  const add = (p: number, key: string, value: () => unknown) => {
    if (r.chance(p)) pairs.push([key, value()]);
  };
  add(0.97, 'name', () => (r.chance(0.95) ? r.pick(['a', 'req_total', 'app:x']) : r.pick(NAMES)));
  const type = r.chance(0.85) ? r.pick(['counter', 'gauge', 'histogram', 'summary']) : r.pick(TYPES);
  if (!queue && r.chance(0.5)) pairs.push(['metric_type', type]);
  else add(0.97, 'type', () => type);
  if (r.chance(0.2)) pairs.push(['type', r.pick(TYPES)]);
  add(0.3, 'help', () => (r.chance(0.8) ? r.pick(['Help text.', 'Other help.', '']) : r.pick(HELPS)));
  add(0.8, 'labels', () => labels(r));
  add(0.97, 'value', () => {
    if (r.chance(0.4)) {
      const inner: [string, unknown][] = [['value', number(r)]];
      if (r.chance(0.5)) inner.push(['timestamp', r.pick(TIMES)]);
      if (r.chance(0.05)) inner.push(['value', number(r)]);
      if (r.chance(0.05)) inner.push(['other', anyValue(r, 1)]);
      return new Pairs(inner);
    }
    return r.chance(0.9) ? number(r) : r.pick(['5', null, true, []]);
  });
  add(0.1, 'timestamp', () => r.pick(TIMES));
  add(0.15, 'service', () => r.pick(SERVICES));
  add(0.1, 'tenant_id', () => r.pick(TENANTS));
  add(0.3, 'buckets', () => r.pick(BUCKETS));
  add(0.3, 'quantiles', () => r.pick(QUANTILES));
  add(0.15, 'epsilons', () => r.pick(EPSILONS));
  add(0.05, 'extra', () => anyValue(r, 0));
  if (r.chance(0.01)) pairs.push(['deep', deep(r.pick([10, 70]))]);
  if (r.chance(0.03) && pairs.length > 0) pairs.push(r.pick(pairs)); // a key given twice
  for (let i = pairs.length - 1; i > 0 && r.chance(0.5); i--) {
    const j = r.int(i + 1);
    [pairs[i], pairs[j]] = [pairs[j] as [string, unknown], pairs[i] as [string, unknown]];
  }
  return new Pairs(pairs);
}

const deep = (n: number): unknown => (n === 0 ? 1 : [deep(n - 1)]);

/** How often write() puts whitespace between tokens (per body: most senders write none). */
let spacing = 0;

/** JSON text, with random whitespace. */
function write(value: unknown, r: Random): string {
  const ws = () => (spacing > 0 && r.chance(spacing) ? r.pick([' ', '\n', '\t', '\r\n  ']) : '');
  if (value instanceof Raw) return value.text;
  if (value instanceof Pairs) {
    const body = value.pairs
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${ws()}${JSON.stringify(k)}${ws()}:${ws()}${write(v, r)}${ws()}`);
    return `{${body.join(',')}${ws()}}`;
  }
  if (Array.isArray(value)) return `[${value.map((v) => `${ws()}${write(v, r)}${ws()}`).join(',')}]`;
  return JSON.stringify(value) ?? 'null';
}

function body(r: Random): string {
  spacing = r.chance(0.7) ? 0 : 0.1;
  const items = Array.from({ length: r.int(r.chance(0.1) ? 14 : 7) }, () => item(r, false));
  const k = r.int(20);
  if (k < 11) {
    const pairs: [string, unknown][] = [['metrics', items]];
    if (r.chance(0.6)) pairs.push(['source', r.pick(['web', '', 5, 'é', null])]);
    if (r.chance(0.1)) pairs.push(['other', anyValue(r, 0)]);
    if (r.chance(0.03)) pairs.push(['metrics', []]);
    if (r.chance(0.03)) pairs.push(['source', 'again']);
    if (r.chance(0.5)) pairs.reverse();
    return write(new Pairs(pairs), r);
  }
  if (k < 15) return write(items, r);
  if (k < 19) return write(item(r, false), r);
  return r.pick([
    '',
    ' ',
    '5',
    '"x"',
    'null',
    '{"metrics":null}',
    '{"metrics":{}}',
    '[]',
    '{}',
    '[1,2]',
    '{"metrics":[]}',
  ]);
}

/** Bytes, sometimes damaged: a BOM, a byte put in, a cut, a character that is not ASCII. */
function bytesOf(text: string, r: Random): Uint8Array {
  let bytes = new TextEncoder().encode(text);
  const k = r.int(40);
  if (k === 0) bytes = Uint8Array.from([0xef, 0xbb, 0xbf, ...bytes]);
  else if (k === 1 || k === 2) {
    const at = r.int(bytes.length + 1);
    const byte = r.pick([0x00, 0x80, 0xff, 0x5c, 0x22, 0x7b, 0x2c, 0x20, 0xc3]);
    bytes = Uint8Array.from([...bytes.subarray(0, at), byte, ...bytes.subarray(at)]);
  } else if (k === 3) bytes = bytes.slice(0, r.int(bytes.length + 1));
  else if (k === 4) {
    const at = r.int(bytes.length + 1);
    bytes = Uint8Array.from([...bytes.subarray(0, at), 0xc3, 0xa9, ...bytes.subarray(at)]);
  }
  return bytes;
}

/** A few writers' contexts (a series is remembered per scope and limits). */
function context(r: Random): BatchContext {
  return r.chance(0.8) ? r.pick(CONTEXTS) : randomContext(r);
}

function randomContext(r: Random): BatchContext {
  return {
    limits: {
      maxItems: r.chance(0.9) ? 100 : r.int(4),
      maxLabels: r.chance(0.8) ? 8 : 1 + r.int(3),
      maxLabelValueBytes: r.chance(0.8) ? 64 : 3 + r.int(10),
      maxSeriesBytes: r.chance(0.8) ? 2048 : 5 + r.int(30),
    },
    namespace: r.chance(0.8) ? '' : 'ns',
    prefix: r.chance(0.8) ? '' : 'p_',
    tenant: r.pick([null, null, '', 'a', 'acme']),
  };
}

const CONTEXTS = [1, 2, 3, 4].map((n) => randomContext(seeded(n)));

/** What the slow path says, and the fast path (falling back to it): equal to the bit (-0, NaN). */
function expectSame(fast: unknown, slow: unknown, given: Uint8Array) {
  if (!isDeepStrictEqual(fast, slow)) {
    expect({ body: new TextDecoder().decode(given), result: fast }).toStrictEqual({
      body: new TextDecoder().decode(given),
      result: slow,
    });
    throw new Error(`fast and slow differ on ${JSON.stringify(new TextDecoder().decode(given))}`);
  }
}

describe('fast decoder against the slow one', () => {
  it('answers every body as the slow path does (random and damaged bodies, every shape)', () => {
    const r = seeded(23);
    const caches = new FastCaches();
    let fast = 0;
    for (let n = 0; n < 4000; n++) {
      const bytes = bytesOf(body(r), r);
      const ctx = context(r);
      const taken = fastDecodeBatch(bytes, ctx, caches);
      if (taken !== null) fast++;
      expectSame(taken ?? slowDecodeBatch(bytes, ctx), slowDecodeBatch(bytes, ctx), bytes);
    }
    // The generator must reach the fast path, not only its fallback.
    expect(fast).toBeGreaterThan(2000);
    expect(caches.taken).toBeGreaterThan(2000);
  });

  it('answers every queue batch as the slow path does, message by message', () => {
    const r = seeded(7);
    const caches = new FastCaches();
    for (let n = 0; n < 1500; n++) {
      const count = 1 + r.int(8);
      spacing = r.chance(0.7) ? 0 : 0.1;
      const messages = Array.from({ length: count }, () =>
        r.chance(0.9) ? write(item(r, true), r) : r.pick(['', 'x', '[1]', '5', '{"name":']),
      );
      const bytes = bytesOf(messages.join('\0'), r);
      const ctx = context(r);
      const want = r.chance(0.9) ? count : r.pick([count + 1, Math.max(1, count - 1)]);
      expectSame(fastDecodeJoined(bytes, want, ctx, caches), slowDecodeJoinedBatch(bytes, want, ctx), bytes);
    }
    expect(caches.taken).toBeGreaterThan(1500);
  });

  it('answers the same when the series cache holds far fewer series than are pushed (evictions)', () => {
    const r = seeded(99);
    const small = new FastCaches(4);
    const ctx: BatchContext = {
      limits: { maxItems: 1000, maxLabels: 8, maxLabelValueBytes: 64, maxSeriesBytes: 2048 },
      namespace: '',
      prefix: '',
      tenant: null,
    };
    for (let n = 0; n < 200; n++) {
      const items = Array.from({ length: 50 }, () => {
        const s = r.int(60);
        return `{"name":"m${s % 3}","type":"counter","labels":{"i":"${s}","j":"${s % 7}"},"value":${r.int(9)}}`;
      });
      const bytes = new TextEncoder().encode(`{"metrics":[${items.join(',')}],"source":"s"}`);
      const fast = fastDecodeBatch(bytes, ctx, small);
      expect(fast).not.toBeNull();
      expectSame(fast, slowDecodeBatch(bytes, ctx), bytes);
      expect(small.series.size).toBeLessThanOrEqual(4);
    }
  });

  it('tells series apart by service, tenant_id and the writer’s tenant scope, not only labels', () => {
    const caches = new FastCaches();
    const item = (service: string, tenant: string) =>
      `{"name":"a","type":"gauge","labels":{"x":"1"},"service":"${service}","tenant_id":"${tenant}","value":1}`;
    const bytes = new TextEncoder().encode(`[${item('s', '')},${item('t', '')},${item('s', 'acme')},${item('s', '')}]`);
    for (const tenant of [null, '', 'acme', null]) {
      const ctx: BatchContext = {
        limits: { maxItems: 10, maxLabels: 8, maxLabelValueBytes: 64, maxSeriesBytes: 2048 },
        namespace: '',
        prefix: '',
        tenant,
      };
      expectSame(fastDecodeBatch(bytes, ctx, caches), slowDecodeBatch(bytes, ctx), bytes);
    }
  });
});

describe('typeAt', () => {
  const cases = [
    { name: 'counter', given: 'counter', want: 'counter' },
    { name: 'summary', given: 'summary', want: 'summary' },
    { name: 'a prefix of a type', given: 'gaug', want: null },
    { name: 'longer than a type', given: 'gauges', want: null },
    { name: 'another case', given: 'Gauge', want: null },
    { name: 'empty', given: '', want: null },
  ];
  for (const { name, given, want } of cases) {
    it(name, () => {
      const b = new TextEncoder().encode(`"${given}"`);
      expect(typeAt(b, 1, b.length - 1)).toBe(want);
    });
  }
});
