// The push loop against a real local server: what it says it sent is exactly what the server got,
// with the bodies rendered before the clock starts and the last, partial request rendered on its own.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { startPush } from './push-run.js';
import { steady } from './schedule/rate-schedule.js';

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
