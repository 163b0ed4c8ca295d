import { describe, expect, it } from 'vitest';
import type { DecodedBatch, Rejection } from '../../store/push-batch.js';
import { decodeRemoteWrite } from '../../transforms/remote-write/batch.js';
import { encodeWriteRequest, snappyCompress } from '../../transforms/remote-write/encode.js';
import { ApiKeys } from './api-keys.js';
import {
  headersVerdict,
  refusedText,
  remoteWriteBody,
  remoteWriteRecord,
  remoteWriteRoutes,
} from './remote-write-routes.js';

const CONTEXT = {
  limits: { maxItems: 100, maxLabels: 8, maxLabelValueBytes: 64, maxSeriesBytes: 512 },
  namespace: '',
  prefix: '',
};
const HEADERS = {
  'Content-Type': 'application/x-protobuf',
  'Content-Encoding': 'snappy',
  'X-Prometheus-Remote-Write-Version': '0.1.0',
};
const BODY = snappyCompress(
  encodeWriteRequest([
    {
      labels: [
        ['__name__', 'up'],
        ['job', 'a'],
      ],
      samples: [{ value: 1, timestamp: 1 }],
    },
    { labels: [['__name__', 'x_total']], samples: [{ value: 2, timestamp: 1 }] },
  ]),
);

function app(
  ingest: (batch: DecodedBatch) => Rejection[] | { unavailable: string } = () => [],
  keys: ApiKeys | null = null,
) {
  const seen = { refused: [] as [string, number][], answered: [] as number[], logged: [] as Uint8Array[] };
  const routes = remoteWriteRoutes({
    maxBodyBytes: 4096,
    keys: () => keys,
    decode: (body, tenant) => decodeRemoteWrite(body, { ...CONTEXT, tenant }),
    ingest: async (batch, record) => {
      seen.logged.push(record);
      return ingest(batch);
    },
    onRefused: (reason, n) => seen.refused.push([reason, n]),
    onAnswered: (status) => seen.answered.push(status),
  });
  return { routes, seen };
}

const post = (
  routes: ReturnType<typeof app>['routes'],
  body: Uint8Array | string,
  headers: Record<string, string> = HEADERS,
) => routes.request('/api/v1/write', { method: 'POST', body: body as BodyInit, headers });

describe('POST /api/v1/write', () => {
  it('every sample taken: 204, no body; the log record is the marked body', async () => {
    const { routes, seen } = app();
    const res = await post(routes, BODY);
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(seen.answered).toEqual([204]);
    expect(remoteWriteBody(seen.logged[0] as Uint8Array)).toEqual(BODY);
  });

  it('samples refused by the store: 400 (the sender does not retry), saying how many and why', async () => {
    const { routes } = app(() => [{ index: 1, reason: 'out_of_order', message: 'a newer sample is kept' }]);
    const res = await post(routes, BODY);
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('1 of 2 samples refused (out_of_order: 1); the first (#1): a newer sample is kept\n');
  });

  it('the push log cannot be written: 503 (a retry can help; nothing was applied)', async () => {
    const { routes, seen } = app(() => ({ unavailable: 'cannot write the push log' }));
    const res = await post(routes, BODY);
    expect(res.status).toBe(503);
    expect(seen.answered).toEqual([503]);
  });

  const refused: {
    name: string;
    given: { body: Uint8Array | string; headers?: Record<string, string> };
    want: [number, string];
  }[] = [
    { name: 'a body that is not snappy', given: { body: 'garbage' }, want: [400, 'invalid_body'] },
    {
      name: 'JSON sent here',
      given: { body: '{}', headers: { 'Content-Type': 'application/json' } },
      want: [415, 'unsupported_media_type'],
    },
    {
      name: 'no Content-Encoding',
      given: { body: BODY, headers: { 'Content-Type': 'application/x-protobuf' } },
      want: [415, 'unsupported_media_type'],
    },
    {
      name: 'remote-write 2.0',
      given: {
        body: BODY,
        headers: { ...HEADERS, 'Content-Type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request' },
      },
      want: [415, 'unsupported_media_type'],
    },
    { name: 'a body over the limit', given: { body: new Uint8Array(5000) }, want: [413, 'body_too_large'] },
  ];
  for (const { name, given, want } of refused) {
    it(`refuses ${name}: ${want[0]}, counted as ${want[1]}, nothing ingested`, async () => {
      const { routes, seen } = app();
      const res = await post(routes, given.body, given.headers);
      expect(res.status).toBe(want[0]);
      expect(seen.refused[0]?.[0]).toBe(want[1]);
      expect(seen.logged).toEqual([]);
    });
  }

  it('with keys: 401 without one, 204 with one', async () => {
    const keys = new ApiKeys([{ key: 'secret', tenant: null }]);
    const { routes } = app(() => [], keys);
    expect((await post(routes, BODY)).status).toBe(401);
    expect((await post(routes, BODY, { ...HEADERS, Authorization: 'Bearer secret' })).status).toBe(204);
  });
});

describe('headersVerdict', () => {
  const table: { name: string; given: [string | undefined, string | undefined]; want: string | null }[] = [
    { name: 'what Prometheus sends', given: ['application/x-protobuf', 'snappy'], want: null },
    {
      name: 'the 1.0 proto named',
      given: ['application/x-protobuf;proto=prometheus.WriteRequest', 'snappy'],
      want: null,
    },
    {
      name: '2.0',
      given: ['application/x-protobuf;proto=io.prometheus.write.v2.Request', 'snappy'],
      want: 'this receiver takes remote-write 1.0 (prometheus.WriteRequest), not io.prometheus.write.v2.Request',
    },
    { name: 'gzip', given: ['application/x-protobuf', 'gzip'], want: 'expected Content-Encoding: snappy, not gzip' },
    { name: 'no type', given: [undefined, 'snappy'], want: 'expected Content-Type: application/x-protobuf, not none' },
  ];
  for (const { name, given, want } of table) it(name, () => expect(headersVerdict(...given)).toBe(want));
});

describe('push-log records', () => {
  it('a remote-write record is told from a JSON body; a JSON body is not one', () => {
    expect(remoteWriteBody(remoteWriteRecord(Uint8Array.of(1, 2)))).toEqual(Uint8Array.of(1, 2));
    expect(remoteWriteBody(new TextEncoder().encode('{"metrics":[]}'))).toBeNull();
    expect(remoteWriteBody(Uint8Array.of(0))).toBeNull();
  });

  it('refusedText counts by reason and quotes the first refused', () => {
    const rejected = [
      { index: 3, reason: 'out_of_order' as const, message: 'late' },
      { index: 1, reason: 'invalid_label' as const, message: 'bad' },
      { index: 2, reason: 'out_of_order' as const, message: 'late' },
    ];
    expect(refusedText(rejected, 10)).toBe(
      '3 of 10 samples refused (out_of_order: 2, invalid_label: 1); the first (#1): bad\n',
    );
  });
});
