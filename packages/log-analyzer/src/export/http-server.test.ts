import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createHttpServer, pickEviction } from './http-server.js';

describe('pickEviction', () => {
  it.each([
    { name: 'nothing open', given: [], want: null },
    { name: 'all busy', given: [{ id: 'a', openedAt: 1, busy: true }], want: null },
    {
      name: 'the oldest that is not answering a request',
      given: [
        { id: 'busy-oldest', openedAt: 1, busy: true },
        { id: 'slow', openedAt: 2, busy: false },
        { id: 'idle', openedAt: 3, busy: false },
      ],
      want: 'slow',
    },
  ])('$name', ({ given, want }) => {
    expect(pickEviction(given)?.id ?? null).toBe(want);
  });
});

describe('createHttpServer', () => {
  it('slow clients holding every connection do not keep a scraper out', async () => {
    let evicted = 0;
    const { server, connections } = createHttpServer({
      fetch: () => new Response('ok'),
      maxConnections: () => 20,
      onEvicted: () => evicted++,
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const slow = Array.from({ length: 60 }, () => {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => {});
      socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n'); // headers never finished
      return socket;
    });
    try {
      await expect.poll(() => evicted, { timeout: 5000 }).toBeGreaterThanOrEqual(40);
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(await res.text()).toBe('ok');
      expect(connections()).toBeLessThanOrEqual(20);
    } finally {
      for (const s of slow) s.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
