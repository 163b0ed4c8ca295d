// Connection slots in a real process over real sockets: live-page streams and pushes whose bodies
// trickle in at --max-connections do not lock Prometheus out, and a body that stops is closed.
import { connect } from 'node:net';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { spawnServe, tempDir, useProcesses } from './helpers.js';

const LONG = { timeout: 20_000, interval: 50 };
const { running, cleanups } = useProcesses();

it('16 /ui/events streams at --max-connections 16: 8 stay, the oldest 8 go, /metrics answers 200', async () => {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const served = spawnServe(['--no-positions', '--watch', join(dir, '*.log'), '--max-connections', '16']);
  running.push(served);
  const { port } = new URL(await served.url);
  const streams = Array.from({ length: 16 }, () => {
    const socket = connect(Number(port), '127.0.0.1');
    const state = { bytes: 0, closed: false };
    socket.on('error', () => {});
    socket.on('data', (d) => {
      state.bytes += d.length;
    });
    socket.on('close', () => {
      state.closed = true;
    });
    socket.write(`GET /ui/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    cleanups.push(() => socket.destroy());
    return state;
  });
  await vi.waitFor(() => expect(streams.filter((s) => s.closed)).toHaveLength(8), LONG);
  await vi.waitFor(() => expect(streams.filter((s) => !s.closed && s.bytes > 0)).toHaveLength(8), LONG);
  // The first 8 went (oldest first), and a scrape gets in.
  expect(streams.slice(0, 8).every((s) => s.closed)).toBe(true);
  const res = await fetch(await served.url);
  expect(res.status).toBe(200);
  const text = await res.text();
  expect(text).toMatch(/log_analyzer_http_connections_evicted_total\{reason="stream_cap"\} 8/);
  expect(text).toMatch(/log_analyzer_ui_clients 8/);
}, 60_000);

/**
 * A push that sends its headers (with Expect: 100-continue, as curl does for large bodies) and the
 * first bytes of a 100,000-byte body, then nothing. Resolves once the server answered
 * `100 Continue`, which it does as it starts the request: its body is then under way.
 */
function stalledPush(port: number) {
  const socket = connect(port, '127.0.0.1');
  const state = { closed: false };
  socket.on('error', () => {});
  socket.on('close', () => {
    state.closed = true;
  });
  cleanups.push(() => socket.destroy());
  socket.write(
    `POST /metrics/track HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n` +
      'Content-Length: 100000\r\nExpect: 100-continue\r\n\r\n',
  );
  const started = new Promise<typeof state>((resolve) => {
    socket.once('data', (d) => {
      expect(d.toString()).toMatch(/^HTTP\/1.1 100 Continue/);
      socket.write('{"name":');
      resolve(state);
    });
  });
  return started;
}

it('16 pushes whose bodies stopped arriving at --max-connections 16: /metrics answers 200, the oldest goes', async () => {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const served = spawnServe(['--no-positions', '--watch', join(dir, '*.log'), '--max-connections', '16']);
  running.push(served);
  const port = Number(new URL(await served.url).port);
  const pushes: { closed: boolean }[] = [];
  for (let i = 0; i < 16; i++) pushes.push(await stalledPush(port));
  const res = await fetch(await served.url, { signal: AbortSignal.timeout(5_000) });
  expect(res.status).toBe(200);
  expect(await res.text()).toMatch(/log_analyzer_http_connections_evicted_total\{reason="receiving"\} 1\n/);
  await vi.waitFor(() => expect(pushes[0]?.closed).toBe(true), LONG);
  expect(pushes.slice(1).every((p) => !p.closed)).toBe(true);
}, 60_000);

it('a push body that stops for --slow-reader-timeout is closed below the cap (slow_body); a 1 MiB push is not hurt', async () => {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const served = spawnServe(['--no-positions', '--watch', join(dir, '*.log'), '--slow-reader-timeout', '500ms']);
  running.push(served);
  const url = await served.url;
  const stalled = await stalledPush(Number(new URL(url).port));
  await vi.waitFor(() => expect(stalled.closed).toBe(true), LONG);
  expect(await served.value('log_analyzer_http_connections_evicted_total', 'reason="slow_body"')).toBe(1);
  // Just under --push-max-body (1 MiB): 9,000 items of 114 bytes.
  const pad = 'x'.repeat(52);
  const items = Array.from({ length: 9_000 }, () => ({ name: 'big', type: 'counter', value: 1, labels: { pad } }));
  const body = JSON.stringify(items);
  expect(body.length).toBeGreaterThan(1_000_000);
  expect(body.length).toBeLessThanOrEqual(1024 * 1024);
  const push = await fetch(new URL('/metrics/track/batch', url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  expect(push.status).toBe(200);
  expect(await served.value('big_total')).toBe(9_000);
  expect(await served.value('log_analyzer_http_connections_evicted_total')).toBe(1);
}, 60_000);
