// OTLP/HTTP against a running analyzer with the real OpenTelemetry JS SDK and its exporters
// (protobuf and HTTP/JSON), cumulative and delta: exact counts in /metrics, a restart of the sending
// SDK (a new MeterProvider: a new start time) counted as a reset, not twice; and kill -9 after
// answered exports, the push log applying them again.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { OTLPMetricExporter as JsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { expect, it, vi } from 'vitest';
import { type Served, spawnServe, tempDir, useProcesses } from './helpers.js';

const { running: servers, cleanups } = useProcesses();
const WAIT = { timeout: 20_000, interval: 50 };

function serve(args: string[]): Served {
  const s = spawnServe(args);
  servers.push(s);
  return s;
}

/** The value of one exposed line (name and label text exactly), or undefined when it is not there. */
async function line(s: Served, series: string): Promise<number | undefined> {
  const text = await (await fetch(await s.url)).text();
  const found = text.split('\n').find((l) => l.startsWith(`${series} `));
  return found === undefined ? undefined : Number(found.slice(series.length + 1));
}

type Protocol = 'protobuf' | 'json';
type ExporterOptions = NonNullable<ConstructorParameters<typeof JsonExporter>[0]>;

/** A MeterProvider exporting every 100 ms to the analyzer (JSON gzipped, as the exporter's `compression: gzip`). */
function provider(url: string, protocol: Protocol, temporality: 'cumulative' | 'delta', instance: string) {
  const options = {
    url,
    temporalityPreference: temporality === 'delta' ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE,
    compression: (protocol === 'json' ? 'gzip' : 'none') as ExporterOptions['compression'],
  };
  const exporter = protocol === 'protobuf' ? new ProtoExporter(options) : new JsonExporter(options);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 100, exportTimeoutMillis: 100 });
  const p = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout', 'service.instance.id': instance }),
    readers: [reader],
  });
  cleanups.unshift(() => void p.shutdown());
  return p;
}

/**
 * Refused samples other than stale ones. The reader's 100 ms export timeout lets a slow export
 * (under load) overlap the next: the older point, arriving last, is refused as out_of_order, and
 * its data is in the newer point (the exact totals asserted show nothing was lost or added).
 */
async function refusedButStale(s: Served): Promise<number> {
  const refused = await s.value('log_analyzer_push_samples_total', 'result="rejected"');
  return refused - (await s.value('log_analyzer_push_samples_total', 'reason="out_of_order"'));
}

/**
 * Waits for one more answered export (a 200 more), so what was asserted is asserted again after it.
 * `nudge` records a 0: a delta reader exports nothing when nothing changed.
 */
async function oneMoreExport(s: Served, nudge: () => void): Promise<void> {
  nudge();
  const answered = await s.value('log_analyzer_push_requests_total', 'code="200"');
  await vi.waitFor(
    async () => expect(await s.value('log_analyzer_push_requests_total', 'code="200"')).toBeGreaterThan(answered),
    WAIT,
  );
}

const CASES: { protocol: Protocol; temporality: 'cumulative' | 'delta' }[] = [
  { protocol: 'protobuf', temporality: 'cumulative' },
  { protocol: 'protobuf', temporality: 'delta' },
  { protocol: 'json', temporality: 'cumulative' },
  { protocol: 'json', temporality: 'delta' },
];

it.each(CASES)(
  'the SDK exporting $protocol, $temporality: exact counts; a restarted SDK is a reset',
  async ({ protocol, temporality }) => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const s = serve(['--watch', join(t.dir, '*.log'), '--no-positions']);
    const url = `${(await s.url).replace(/\/metrics$/, '')}/v1/metrics`;
    const orders = (instance: string) => `orders_total{instance="${instance}",job="checkout",method="card"}`;

    const first = provider(url, protocol, temporality, 'a');
    const meter = first.getMeter('shop');
    const counter = meter.createCounter('orders', { unit: '{order}' });
    meter.createGauge('queue.depth').record(4);
    counter.add(5, { method: 'card' });
    await vi.waitFor(async () => expect(await line(s, orders('a'))).toBe(5), WAIT);
    counter.add(2, { method: 'card' });
    await vi.waitFor(async () => expect(await line(s, orders('a'))).toBe(7), WAIT);
    await oneMoreExport(s, () => counter.add(0, { method: 'card' }));
    expect(await line(s, orders('a'))).toBe(7);
    expect(await line(s, 'queue_depth{instance="a",job="checkout"}')).toBe(4);

    // The sending process restarts: a new MeterProvider, a new start time, counting from zero again.
    await first.shutdown();
    const second = provider(url, protocol, temporality, 'a');
    const again = second.getMeter('shop').createCounter('orders', { unit: '{order}' });
    again.add(9, { method: 'card' });
    await vi.waitFor(async () => expect(await line(s, orders('a'))).toBe(16), WAIT);
    await oneMoreExport(s, () => again.add(0, { method: 'card' }));
    expect(await line(s, orders('a'))).toBe(16);
    expect(await refusedButStale(s)).toBe(0);
    await second.shutdown();
  },
  60_000,
);

it.each(['cumulative', 'delta'] as const)(
  'the SDK recording a histogram, %s: exact _bucket, _sum and _count; a restarted SDK is a reset',
  async (temporality) => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const s = serve(['--watch', join(t.dir, '*.log'), '--no-positions']);
    const url = `${(await s.url).replace(/\/metrics$/, '')}/v1/metrics`;
    const name = 'pay_time_milliseconds';
    const labels = 'instance="h",job="checkout"';
    /** The exposed bucket counts at le 5, 10 and +Inf, the sum and the count. */
    const read = async () => [
      await line(s, `${name}_bucket{${labels},le="5"}`),
      await line(s, `${name}_bucket{${labels},le="10"}`),
      await line(s, `${name}_bucket{${labels},le="+Inf"}`),
      await line(s, `${name}_sum{${labels}}`),
      await line(s, `${name}_count{${labels}}`),
    ];

    const first = provider(url, 'protobuf', temporality, 'h');
    const meter = first.getMeter('shop');
    const h = meter.createHistogram('pay.time', { unit: 'ms' });
    // A delta reader exports nothing when nothing changed: one more export is nudged by a counter.
    const nudge = () => meter.createCounter('nudges').add(0);
    for (const v of [3, 7, 2000]) h.record(v);
    await vi.waitFor(async () => expect(await read()).toEqual([1, 2, 3, 2010, 3]), WAIT);
    h.record(4);
    await vi.waitFor(async () => expect(await read()).toEqual([2, 3, 4, 2014, 4]), WAIT);
    await oneMoreExport(s, nudge);
    expect(await read()).toEqual([2, 3, 4, 2014, 4]);

    // The sending process restarts: its new stream's totals are added, not taken for a decrease.
    await first.shutdown();
    const second = provider(url, 'protobuf', temporality, 'h');
    const again = second.getMeter('shop');
    again.createHistogram('pay.time', { unit: 'ms' }).record(6);
    await vi.waitFor(async () => expect(await read()).toEqual([2, 4, 5, 2020, 5]), WAIT);
    await oneMoreExport(s, () => again.createCounter('nudges').add(0));
    expect(await read()).toEqual([2, 4, 5, 2020, 5]);
    expect(await refusedButStale(s)).toBe(0);
    await second.shutdown();
  },
  60_000,
);

it('answers in the request content type: partial_success for refused points, 400 for a bad body, 415', async () => {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const s = serve(['--watch', join(t.dir, '*.log'), '--no-positions']);
  const url = `${(await s.url).replace(/\/metrics$/, '')}/v1/metrics`;
  const body = {
    resourceMetrics: [
      {
        scopeMetrics: [
          {
            metrics: [
              { name: 'temp', gauge: { dataPoints: [{ asDouble: 'NaN' }, { asDouble: 3 }] } },
              { name: 'x', sum: { aggregationTemporality: 1, isMonotonic: false, dataPoints: [{ asInt: '1' }] } },
            ],
          },
        ],
      },
    ],
  };
  const json = { 'Content-Type': 'application/json' };
  const res = await fetch(url, { method: 'POST', headers: json, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const answer = (await res.json()) as { partialSuccess: { rejectedDataPoints: string; errorMessage: string } };
  expect(answer.partialSuccess.rejectedDataPoints).toBe('2');
  expect(answer.partialSuccess.errorMessage).toMatch(
    /^(?=.*invalid_value: 1)(?=.*invalid_type: 1).*the first \(point #0\)/,
  );
  expect(await line(s, 'temp')).toBe(3);

  const bad = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-protobuf' },
    body: '\u0002\u0000',
  });
  expect(bad.status).toBe(400);
  expect(bad.headers.get('content-type')).toBe('application/x-protobuf');
  const other = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'x' });
  expect(other.status).toBe(415);
  await vi.waitFor(
    async () => expect(await s.value('log_analyzer_push_samples_total', 'reason="invalid_body"')).toBe(1),
    WAIT,
  );
}, 30_000);

/** A port free now (bound then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

it('--otlp-port serves POST /v1/metrics alone; kill -9 after 200s: the push log applies them again', async () => {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const otlpPort = await freePort();
  const args = [
    '--watch',
    join(t.dir, '*.log'),
    '--positions',
    join(t.dir, 'checkpoint.json'),
    '--otlp-port',
    `${otlpPort}`,
  ];
  // No checkpoint after the first: what was answered is only in the push log.
  const s = serve([...args, '--checkpoint-interval', '1h']);
  await s.url;
  const url = `http://127.0.0.1:${otlpPort}/v1/metrics`;
  const p = provider(url, 'protobuf', 'delta', 'b');
  const counter = p.getMeter('shop').createCounter('orders');
  counter.add(4, { method: 'card' });
  const series = 'orders_total{instance="b",job="checkout",method="card"}';
  await vi.waitFor(async () => expect(await line(s, series)).toBe(4), WAIT);
  await p.shutdown();
  expect((await fetch(`http://127.0.0.1:${otlpPort}/metrics`)).status).toBe(404);
  s.child.kill('SIGKILL');
  await s.exited;
  servers.splice(servers.indexOf(s), 1);

  const again = serve(args);
  await vi.waitFor(async () => expect(await line(again, series)).toBe(4), WAIT);
}, 60_000);
