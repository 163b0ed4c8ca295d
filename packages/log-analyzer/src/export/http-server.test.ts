import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  type Connection,
  connectionCap,
  createHttpServer,
  type EvictReason,
  nextBodyStall,
  nextStall,
  pickEviction,
  streamCap,
} from './http-server.js';

const c = (id: string, openedAt: number, more: Partial<Connection> = {}) => ({
  id,
  openedAt,
  busy: true,
  stream: false,
  receivingSince: null,
  stalledSince: null,
  ...more,
});

describe('pickEviction', () => {
  it.each([
    { name: 'nothing open', given: [], want: null },
    { name: 'all answering an ordinary request', given: [c('a', 1)], want: null },
    {
      name: 'the oldest that is not answering a request first',
      given: [
        c('busy-oldest', 1),
        c('slow', 2, { busy: false }),
        c('idle', 3, { busy: false }),
        c('s', 0, { stream: true }),
      ],
      want: 'slow idle',
    },
    {
      name: 'then the one whose body has been arriving longest, before slow readers and streams',
      given: [
        c('stream', 0, { stream: true }),
        c('reader', 0, { stalledSince: 0 }),
        c('newer-body', 1, { receivingSince: 50 }),
        c('older-body', 9, { receivingSince: 20 }),
        c('scrape', 0),
      ],
      want: 'older-body receiving',
    },
    {
      name: 'but an idle connection before any body',
      given: [c('body', 1, { receivingSince: 1 }), c('idle', 5, { busy: false })],
      want: 'idle idle',
    },
    {
      name: 'then a slow reader, before any stream',
      given: [c('stream', 1, { stream: true }), c('reader', 5, { stalledSince: 0 }), c('scrape', 2)],
      want: 'reader slow_reader',
    },
    {
      name: 'a reader stalled for less than the deadline is not slow',
      given: [c('stream', 3, { stream: true }), c('reader', 1, { stalledSince: 95 })],
      want: 'stream stream',
    },
    {
      name: 'then the oldest stream, never a scrape',
      given: [c('scrape', 0), c('new', 3, { stream: true }), c('old', 2, { stream: true })],
      want: 'old stream',
    },
  ])('$name', ({ given, want }) => {
    const pick = pickEviction(given, 100, 10);
    expect(pick ? `${pick.victim.id} ${pick.reason}` : null).toBe(want);
  });
});

describe('nextStall and streamCap', () => {
  it.each([
    { name: 'nothing pending', given: [50, 10, 0, 100], want: null },
    { name: 'pending starts the clock', given: [null, 0, 10, 100], want: 100 },
    { name: 'pending that shrank restarts it', given: [50, 20, 10, 100], want: 100 },
    { name: 'pending that did not shrink keeps it', given: [50, 20, 20, 100], want: 50 },
    { name: 'pending that grew keeps it', given: [50, 20, 30, 100], want: 50 },
  ] as { name: string; given: [number | null, number, number, number]; want: number | null }[])(
    '$name',
    ({ given, want }) => {
      expect(nextStall(...given)).toBe(want);
    },
  );
  it.each([
    { name: 'a body starts its clock', given: [null, 100, 100, 7], want: 7 },
    { name: 'a byte read restarts it', given: [5, 100, 101, 7], want: 7 },
    { name: 'nothing read keeps it', given: [5, 100, 100, 7], want: 5 },
  ] as { name: string; given: [number | null, number, number, number]; want: number }[])(
    'nextBodyStall: $name',
    ({ given, want }) => {
      expect(nextBodyStall(...given)).toBe(want);
    },
  );
  it.each([
    { name: 'at most half the connections', given: [16, 16], want: 8 },
    { name: '--max-streams when smaller', given: [256, 16], want: 16 },
    { name: 'at least one', given: [1, 16], want: 1 },
  ] as { name: string; given: [number, number]; want: number }[])('$name', ({ given, want }) => {
    expect(streamCap(...given)).toBe(want);
  });
});

describe('connectionCap', () => {
  it.each([
    { name: 'the configured cap when descriptors are plenty', given: [256, 1_048_576, 10_000], want: 256 },
    { name: 'what the files leave over, 64 kept aside', given: [256, 1024, 900], want: 60 },
    { name: 'never fewer than 16, however many files', given: [256, 1024, 1000], want: 16 },
    { name: 'never fewer than 16, even past the limit', given: [256, 1024, 5000], want: 16 },
    { name: 'a configured cap below 16 holds', given: [8, 1024, 1000], want: 8 },
    { name: 'no files: the limit less 64', given: [10_000, 1024, 0], want: 960 },
  ] as { name: string; given: [number, number, number]; want: number }[])('$name', ({ given, want }) => {
    expect(connectionCap(...given)).toBe(want);
  });
});

async function listening(options: Omit<Parameters<typeof createHttpServer>[0], 'fetch'>) {
  const evicted: EvictReason[] = [];
  const big = new Uint8Array(48 * 1024 * 1024);
  const held = { n: 0, release: () => {} };
  const pushes = { n: 0 };
  const released = new Promise<void>((resolve) => {
    held.release = resolve;
  });
  const http = createHttpServer({
    ...options,
    // /ui/events never ends (one event a few ms); /big is larger than the kernel's socket buffers.
    fetch: (request) => {
      const path = new URL(request.url).pathname;
      if (path === '/big') return new Response(big);
      if (path === '/push') {
        pushes.n++;
        return request.arrayBuffer().then((b) => new Response(String(b.byteLength)));
      }
      if (path === '/hold') {
        held.n++;
        return released.then(() => new Response('ok'));
      }
      if (path !== '/ui/events') return new Response('ok');
      let timer: NodeJS.Timeout;
      return new Response(
        new ReadableStream({
          start(controller) {
            timer = setInterval(() => controller.enqueue(new TextEncoder().encode('data: x\n\n')), 20);
          },
          cancel() {
            clearInterval(timer);
          },
        }),
        { headers: { 'content-type': 'text/event-stream' } },
      );
    },
    onEvicted: (reason) => evicted.push(reason),
  });
  await new Promise<void>((resolve) => http.server.listen(0, '127.0.0.1', resolve));
  const port = (http.server.address() as { port: number }).port;
  const sockets: Socket[] = [];
  const open = (path: string, read: boolean | 'slowly') => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    const state = { bytes: 0, closed: false };
    socket.on('data', (d) => {
      state.bytes += d.length;
    });
    socket.on('close', () => {
      state.closed = true;
    });
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
    if (read !== true) socket.pause();
    if (read === 'slowly') {
      // A few milliseconds of reading every 100 ms: slow, but never still for the deadline.
      const timer = setInterval(() => {
        socket.resume();
        setTimeout(() => socket.pause(), 3);
      }, 100);
      socket.on('close', () => clearInterval(timer));
    }
    sockets.push(socket);
    return state;
  };
  // A push of `length` bytes: headers and then `piece` bytes every `everyMs` (0: none after the first).
  const post = (length: number, piece = 1, everyMs = 0) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    const state = { answer: '', closed: false };
    socket.on('data', (d) => {
      state.answer += d.toString();
    });
    socket.on('close', () => {
      state.closed = true;
    });
    socket.write(`POST /push HTTP/1.1\r\nHost: x\r\nContent-Length: ${length}\r\n\r\n`);
    let sent = Math.min(piece, length);
    socket.write(Buffer.alloc(sent, 0x20));
    if (everyMs > 0) {
      const timer = setInterval(() => {
        const n = Math.min(piece, length - sent);
        socket.write(Buffer.alloc(n, 0x20));
        sent += n;
        if (sent >= length) clearInterval(timer);
      }, everyMs);
      socket.on('close', () => clearInterval(timer));
    }
    sockets.push(socket);
    return state;
  };
  const close = async () => {
    held.release();
    for (const s of sockets) s.destroy();
    http.server.closeAllConnections();
    await new Promise((resolve) => http.server.close(resolve));
  };
  return { ...http, port, evicted, held, pushes, open, post, close };
}

describe('createHttpServer', () => {
  it('slow clients holding every connection do not keep a scraper out', async () => {
    const s = await listening({ maxConnections: () => 20 });
    const slow = Array.from({ length: 60 }, () => {
      const socket = connect(s.port, '127.0.0.1');
      socket.on('error', () => {});
      socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n'); // headers never finished
      return socket;
    });
    try {
      await expect.poll(() => s.evicted.length, { timeout: 5000 }).toBeGreaterThanOrEqual(40);
      const res = await fetch(`http://127.0.0.1:${s.port}/metrics`);
      expect(await res.text()).toBe('ok');
      expect(s.connections()).toBeLessThanOrEqual(20);
    } finally {
      for (const socket of slow) socket.destroy();
      await s.close();
    }
  });

  it('streams and a slow reader at the cap: streams keep to their own cap, the reader goes, /metrics answers', async () => {
    const s = await listening({ maxConnections: () => 16, maxStreams: () => 16, slowReaderMs: 300 });
    try {
      const reader = s.open('/big', false);
      await expect.poll(() => s.connections(), { timeout: 5000 }).toBe(1);
      const streams = Array.from({ length: 16 }, () => s.open('/ui/events', true));
      // Every stream got its first bytes; the oldest 8 were closed for the newer (cap: half of 16).
      await expect.poll(() => streams.filter((x) => x.closed).length, { timeout: 5000 }).toBe(8);
      await expect.poll(() => streams.filter((x) => !x.closed && x.bytes > 0).length, { timeout: 5000 }).toBe(8);
      // The reader's answer sits unread in its buffers: closed once it did not move for 300 ms.
      await expect.poll(() => s.evicted.includes('slow_reader'), { timeout: 5000 }).toBe(true);
      expect(reader.bytes).toBe(0);
      expect(s.evicted.filter((r) => r === 'stream_cap')).toHaveLength(8);
      expect(s.connections()).toBe(8);
      const res = await fetch(`http://127.0.0.1:${s.port}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('ok');
    } finally {
      await s.close();
    }
  });

  it('a slow but steady reader of a large answer is not closed', async () => {
    const s = await listening({ maxConnections: () => 16, slowReaderMs: 400 });
    try {
      const reader = s.open('/big', 'slowly');
      await expect.poll(() => reader.bytes, { timeout: 30_000, interval: 100 }).toBeGreaterThan(48 * 1024 * 1024);
      expect(s.evicted).toEqual([]);
      expect(reader.closed).toBe(false);
    } finally {
      await s.close();
    }
  }, 40_000);

  it('at the cap with streams open, a new connection takes the oldest stream, not a scrape in progress', async () => {
    const s = await listening({ maxConnections: () => 4, maxStreams: () => 4 });
    try {
      const streams = [s.open('/ui/events', true), s.open('/ui/events', true)];
      await expect.poll(() => streams.every((x) => x.bytes > 0), { timeout: 5000 }).toBe(true);
      const idle = [s.open('/x', true), s.open('/x', true)];
      await expect.poll(() => idle.every((x) => x.bytes > 0), { timeout: 5000 }).toBe(true);
      // 4 open: 2 streams, 2 idle keep-alives. Scrapes that take their time, each on a new
      // connection: the first two take the idle ones, the third the oldest stream, never a scrape.
      const scrape = async (n: number) => {
        s.open('/hold', true);
        await expect.poll(() => s.held.n, { timeout: 5000 }).toBe(n);
      };
      await scrape(1);
      await scrape(2);
      expect(s.evicted).toEqual(['idle', 'idle']);
      await scrape(3);
      expect(s.evicted).toEqual(['idle', 'idle', 'stream']);
      await expect.poll(() => streams[0]?.closed, { timeout: 5000 }).toBe(true);
      expect(streams[1]?.closed).toBe(false);
      await scrape(4);
      expect(s.evicted).toEqual(['idle', 'idle', 'stream', 'stream']);
      // Every slot answers an ordinary request now: a fifth connection is refused, not one of them.
      const refused = s.open('/metrics', true);
      await expect.poll(() => refused.closed, { timeout: 5000 }).toBe(true);
      expect(s.evicted.at(-1)).toBe('refused');
      expect(s.held.n).toBe(4);
    } finally {
      await s.close();
    }
  });

  it('pushes whose bodies stopped arriving hold every slot: a new request takes the one receiving longest', async () => {
    const s = await listening({ maxConnections: () => 4 });
    try {
      const bodies = Array.from({ length: 4 }, () => s.post(100_000));
      await expect.poll(() => s.connections(), { timeout: 5000 }).toBe(4);
      // Each has sent its headers: the server is receiving all 4 bodies.
      await expect.poll(() => s.pushes.n, { timeout: 5000 }).toBe(4);
      const res = await fetch(`http://127.0.0.1:${s.port}/metrics`);
      expect(await res.text()).toBe('ok');
      expect(s.evicted).toEqual(['receiving']);
      // One of them (which started first is the kernel's order; the process test checks oldest-first).
      await expect.poll(() => bodies.filter((b) => b.closed).length, { timeout: 5000 }).toBe(1);
    } finally {
      await s.close();
    }
  });

  it('a body that sends nothing for the deadline is closed below the cap (slow_body); a steady one is not', async () => {
    const s = await listening({ maxConnections: () => 16, slowReaderMs: 300 });
    try {
      const stalled = s.post(100_000);
      // 1 MiB in 64 KiB pieces, one every 50 ms: slower than a normal push, never still for 300 ms.
      const steady = s.post(1024 * 1024, 64 * 1024, 50);
      await expect.poll(() => stalled.closed, { timeout: 5000 }).toBe(true);
      expect(s.evicted).toEqual(['slow_body']);
      await expect.poll(() => steady.answer, { timeout: 10_000 }).toMatch(/^HTTP\/1.1 200 [\s\S]*1048576$/);
      expect(steady.closed).toBe(false);
      expect(s.evicted).toEqual(['slow_body']);
    } finally {
      await s.close();
    }
  });

  it('an answer sent before a large body was read says Connection: close, so the next request gets a new connection', async () => {
    const http = createHttpServer({
      maxConnections: () => 16,
      fetch: async (request) => {
        const path = new URL(request.url).pathname;
        if (path === '/big') return new Response('too large', { status: 413 });
        if (path === '/small') return new Response(await request.text());
        return new Response('ok');
      },
    });
    await new Promise<void>((resolve) => http.server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(http.server.address() as { port: number }).port}`;
    try {
      const big = await fetch(`${base}/big`, { method: 'POST', body: new Uint8Array(4 * 1024 * 1024) });
      expect(big.status).toBe(413);
      expect(big.headers.get('connection')).toBe('close');
      await big.text();
      const small = await fetch(`${base}/small`, { method: 'POST', body: 'x' });
      expect(small.headers.get('connection')).toBe('keep-alive');
      expect(await small.text()).toBe('x');
      expect(await (await fetch(`${base}/next`)).text()).toBe('ok');
    } finally {
      http.server.closeAllConnections();
      await new Promise((resolve) => http.server.close(resolve));
    }
  });
});
