// The push loop against a real local server: what it says it sent is exactly what the server got,
// with the bodies rendered before the clock starts and the last, partial request rendered on its own.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { protocolUrl, pushgatewayUrl, shareOf, startPush } from './push-run.js';
import { steady } from './schedule/rate-schedule.js';
import { rejectedIn } from './sink/http-push.js';

let server: Server | null = null;
afterEach(() => server?.close());

/** A server that parses each /api/metrics body and tallies samples and sums per family. */
async function tallyingServer() {
  const got = new Map<string, { samples: number; sum: number }>();
  let requests = 0;
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests++;
      for (const m of JSON.parse(Buffer.concat(chunks).toString('utf8')).metrics) {
        const t = got.get(m.name) ?? { samples: 0, sum: 0 };
        t.samples++;
        if (m.metric_type !== 'gauge') t.sum += m.value.value;
        got.set(m.name, t);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"accepted":1}');
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, got, requests: () => requests };
}

it('--count not a multiple of --batch: exactly that many samples, the totals those the server got', async () => {
  const sink = await tallyingServer();
  const runner = startPush({
    url: sink.url,
    redisKey: null,
    shape: 'batch',
    protocol: 'json',
    rate: 'max',
    schedule: steady(5),
    batch: 1000,
    series: 100,
    connections: 2,
    seed: 5,
    durationSeconds: null,
    count: 4500,
    apiKey: null,
    bodies: 64,
  });
  const stats = await runner.done;
  expect(stats.acknowledged).toBe(4500);
  expect(stats.failedRequests).toBe(0);
  expect(sink.requests()).toBe(stats.requests);
  const sent = stats.totals.toJSON();
  expect(Object.values(sent).reduce((n, t) => n + t.samples, 0)).toBe(4500);
  for (const [name, t] of sink.got) {
    expect(sent[name]?.samples).toBe(t.samples);
    if (sent[name]?.type !== 'gauge') expect(sent[name]?.sum).toBe(t.sum);
  }
});

describe('the URLs of the other protocols', () => {
  const cases: { name: string; given: () => string; want: string }[] = [
    {
      name: 'pushgateway: a group per connection, under the URL path',
      given: () => pushgatewayUrl('http://h:1', 2),
      want: 'http://h:1/metrics/job/noise-maker/connection/c2',
    },
    {
      name: "pushgateway: the analyzer's additive mode keeps /add",
      given: () => pushgatewayUrl('http://h:1/add/', 0),
      want: 'http://h:1/add/metrics/job/noise-maker/connection/c0',
    },
    { name: 'otlp: the path when none', given: () => protocolUrl('http://h:1', 'otlp'), want: 'http://h:1/v1/metrics' },
    {
      name: 'remote-write: a given path kept',
      given: () => protocolUrl('http://h:1/x', 'remote-write'),
      want: 'http://h:1/x',
    },
  ];
  it.each(cases)('$name', ({ given, want }) => expect(given()).toBe(want));
});

describe('rejectedIn', () => {
  const cases: { name: string; given: string; want: number }[] = [
    { name: 'JSON push', given: '{"accepted":3,"rejected":2}', want: 2 },
    { name: 'OTLP partial success', given: '{"partialSuccess":{"rejectedDataPoints":"4"}}', want: 4 },
    { name: 'OTLP all taken', given: '{}', want: 0 },
    { name: 'not JSON (remote-write, pushgateway)', given: '', want: 0 },
  ];
  it.each(cases)('$name', ({ given, want }) => expect(rejectedIn(given)).toBe(want));
});

it('pushgateway (cumulative): the last body of each group holds exactly the totals printed, with a partial last request', async () => {
  const last = new Map<string, string>();
  let methods = new Set<string>();
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      methods.add(req.method ?? '');
      last.set(req.url ?? '', Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  methods = new Set();
  const stats = await startPush({
    url: `http://127.0.0.1:${port}`,
    redisKey: null,
    shape: 'batch',
    protocol: 'pushgateway',
    rate: 'max',
    schedule: steady(5),
    batch: 1000,
    series: 100,
    connections: 2,
    seed: 5,
    durationSeconds: null,
    count: 4500,
    apiKey: null,
    bodies: 1, // ignored: running totals are never sent twice
  }).done;
  expect(stats.acknowledged).toBe(4500);
  expect([...methods]).toEqual(['PUT']);
  expect([...last.keys()].sort()).toEqual([
    '/metrics/job/noise-maker/connection/c0',
    '/metrics/job/noise-maker/connection/c1',
  ]);
  let sum = 0;
  for (const body of last.values()) {
    for (const line of body.split('\n')) if (line.startsWith('app_requests_total{')) sum += Number(line.split(' ')[1]);
  }
  expect(stats.totals.toJSON().app_requests_total?.sum).toBe(sum);
  expect(stats.totals.toJSON().app_requests_total?.samples).toBe(4500);
});

describe('shareOf', () => {
  const cases: { name: string; given: [number, number, number, number]; want: number[] }[] = [
    { name: 'even', given: [4000, 1000, 2, 0], want: [1000, 1000] },
    { name: 'the partial last request: its connection', given: [4500, 1000, 2, 0], want: [1000, 1000, 500] },
    { name: 'the partial last request: the other connection', given: [4500, 1000, 2, 1], want: [1000, 1000] },
    { name: 'fewer requests than connections', given: [500, 1000, 3, 1], want: [] },
    { name: 'one request, partial', given: [500, 1000, 3, 0], want: [500] },
  ];
  it.each(cases)('$name', ({ given, want }) => expect(shareOf(...given)).toEqual(want));
});
