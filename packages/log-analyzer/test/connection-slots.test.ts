// Connection slots in a real process over real sockets: live-page streams at --max-connections
// do not lock Prometheus out (they have their own cap, half of it, and go before a scrape).
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
