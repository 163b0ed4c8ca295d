// The StatsD source's sockets with a recording sink: TCP lines cut anywhere by the stream, too
// long, unterminated at the end, reset; the connection cap. Real sockets on loopback.
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, expect, it, vi } from 'vitest';
import type { TimedBatch } from '../../store/push-batch.js';
import { createStatsdMetrics } from './statsd-metrics.js';
import { MAX_TCP_LINE_BYTES, StatsdSource } from './statsd-source.js';

const WAIT = { timeout: 10_000, interval: 10 };
const sources: StatsdSource[] = [];
afterEach(async () => {
  for (const s of sources.splice(0)) await s.close();
});

async function start(maxConnections?: number) {
  const registry = new Registry();
  const applied: TimedBatch[] = [];
  const source = new StatsdSource({
    port: 0,
    mapping: null,
    limits: { maxLabels: 32, maxLabelValueBytes: 1024, maxSeriesBytes: 2048 },
    sink: {
      apply: (timed) => {
        applied.push(timed);
        return { accepted: timed.batch.values.length, rejected: [] };
      },
    },
    gaugeValue: () => undefined,
    metrics: (state) => createStatsdMetrics(registry, state),
    onError: (subject, error) => {
      throw new Error(`${subject}: ${error}`);
    },
    ...(maxConnections ? { maxConnections } : {}),
  });
  sources.push(source);
  await source.start('127.0.0.1');
  const value = async (name: string, labels: Record<string, string> = {}) => {
    const metric = registry.getSingleMetric(name);
    const { values } = (await metric?.get()) ?? { values: [] };
    return values
      .filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))
      .reduce((sum, v) => sum + v.value, 0);
  };
  /** Sum of every applied value of one series name. */
  const sum = (name: string) =>
    applied.reduce((total, { batch }) => {
      let s = 0;
      batch.keys.forEach((_, g) => {
        if (batch.families[batch.family[g] as number]?.name !== name) return;
        for (let i = batch.start[g] as number; i < (batch.start[g + 1] as number); i++) s += batch.values[i] as number;
      });
      return total + s;
    }, 0);
  return { source, value, sum };
}

async function open(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}

const write = (socket: Socket, data: string | Buffer) =>
  new Promise<void>((resolve, reject) => socket.write(data, (error) => (error ? reject(error) : resolve())));

/** One more cycle: a marker line on a new connection is applied, so what came before has settled. */
async function marker(port: number, sum: (name: string) => number): Promise<void> {
  const socket = await open(port);
  socket.end('marker:1|c\n');
  await vi.waitFor(() => expect(sum('marker_total')).toBe(1), WAIT);
}

it('reads TCP lines however the stream cuts them, and a last line without a newline at the end', async () => {
  const { source, value, sum } = await start();
  const socket = await open(source.port);
  const text = Array.from({ length: 20_000 }, (_, i) => `t.c:${(i % 7) + 1}|c`).join('\n');
  const want = Array.from({ length: 20_000 }, (_, i) => (i % 7) + 1).reduce((a, b) => a + b, 0);
  // Pieces of 1 to 37 bytes: lines cut everywhere, the last one without its newline.
  for (let at = 0, n = 1; at < text.length; at += n, n = (n % 37) + 1) await write(socket, text.slice(at, at + n));
  socket.end();
  await vi.waitFor(
    async () => expect(await value('log_analyzer_statsd_lines_total', { transport: 'tcp' })).toBe(20_000),
    WAIT,
  );
  await vi.waitFor(() => expect(sum('t_c_total')).toBe(want), WAIT);
  await marker(source.port, sum);
  expect(sum('t_c_total')).toBe(want);
  expect(await value('log_analyzer_statsd_samples_total', { result: 'accepted' })).toBe(20_001);
});

it('refuses a TCP line over the limit, in one chunk or many, and reads the lines around it', async () => {
  const { source, value, sum } = await start();
  const socket = await open(source.port);
  const long = `long:1|c|#k:${'x'.repeat(MAX_TCP_LINE_BYTES)}`;
  await write(socket, `a:1|c\n${long}\na:2|c\n`);
  // Over many writes, with no newline for a long while: skipped up to its newline.
  for (let i = 0; i < 5; i++) await write(socket, 'y'.repeat(MAX_TCP_LINE_BYTES / 2));
  await write(socket, 'z\na:4|c\n');
  socket.end();
  const rejected = () => value('log_analyzer_statsd_samples_total', { reason: 'statsd_line_too_long' });
  await vi.waitFor(async () => expect(await rejected()).toBe(2), WAIT);
  await vi.waitFor(() => expect(sum('a_total')).toBe(7), WAIT);
  await marker(source.port, sum);
  expect(await rejected()).toBe(2);
  expect(sum('a_total')).toBe(7);
  expect(sum('long_total')).toBe(0);
  expect(await value('log_analyzer_statsd_lines_total', { transport: 'tcp' })).toBe(6);
});

it('refuses a line cut short by a reset', async () => {
  const { source, value, sum } = await start();
  const socket = await open(source.port);
  await write(socket, 'a:1|c\na:12|c|#k:v');
  await vi.waitFor(() => expect(sum('a_total')).toBe(1), WAIT);
  socket.resetAndDestroy();
  const cut = () => value('log_analyzer_statsd_samples_total', { reason: 'statsd_malformed_line' });
  await vi.waitFor(async () => expect(await cut()).toBe(1), WAIT);
  expect(sum('a_total')).toBe(1);
});

it('closes connections past the cap at once, counting them, and takes one again when one closes', async () => {
  const { source, value, sum } = await start(2);
  const a = await open(source.port);
  const b = await open(source.port);
  await write(a, 'x:1|c\n');
  await write(b, 'x:1|c\n');
  await vi.waitFor(() => expect(sum('x_total')).toBe(2), WAIT);
  const c = await open(source.port);
  const closed = new Promise((resolve) => c.once('close', resolve));
  c.on('error', () => {});
  await closed;
  expect(await value('log_analyzer_statsd_tcp_connections_refused_total')).toBe(1);
  expect(await value('log_analyzer_statsd_tcp_connections')).toBe(2);
  a.end();
  await vi.waitFor(async () => expect(await value('log_analyzer_statsd_tcp_connections')).toBe(1), WAIT);
  const d = await open(source.port);
  await write(d, 'x:1|c\n');
  await vi.waitFor(() => expect(sum('x_total')).toBe(3), WAIT);
  b.end();
  d.end();
});

it('never stops on hostile UDP: huge datagrams, bytes that are not UTF-8, empty ones', async () => {
  const { source, value, sum } = await start();
  const udp = createSocket('udp4');
  const send = (data: Buffer) =>
    new Promise<void>((resolve, reject) =>
      udp.send(data, source.port, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
    );
  await send(Buffer.from(`${'n'.repeat(60_000)}:1|c\nok:1|c\n`));
  await send(Buffer.from([0xff, 0xfe, 0x0a, 0x6f, 0x6b, 0x3a, 0x32, 0x7c, 0x63]));
  await send(Buffer.alloc(0));
  await send(
    Buffer.from(`${Array.from({ length: 3000 }, (_, i) => `k${i}:v`).join(',')}\nok:${'1'.repeat(400)}|c\nok:4|c`),
  );
  udp.close();
  await vi.waitFor(() => expect(sum('ok_total')).toBe(7), WAIT);
  expect(await value('log_analyzer_statsd_samples_total', { reason: 'name_too_long' })).toBe(1);
  expect(await value('log_analyzer_statsd_samples_total', { reason: 'statsd_malformed_line' })).toBe(1);
  expect(await value('log_analyzer_statsd_samples_total', { reason: 'statsd_malformed_component' })).toBe(1);
  expect(await value('log_analyzer_statsd_samples_total', { reason: 'statsd_malformed_value' })).toBe(1);
  expect(await value('log_analyzer_statsd_lines_total', { transport: 'udp' })).toBe(7);
});
