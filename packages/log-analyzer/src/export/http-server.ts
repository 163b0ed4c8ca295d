// The socket edge of the HTTP app: a Node server with timeouts and a connection cap that slow or
// many clients cannot use to starve the others. Owns the listening socket and its connections.
// Invariant: a scraper always gets a slot. Live-page streams have their own smaller cap, and at
// the connection cap an idle or half-sent connection goes first, then one whose request body is
// still arriving, then a slow reader, then the oldest stream; only connections answering an
// ordinary request (whole request received) are never closed for another.

import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { getRequestListener } from '@hono/node-server';

/** Why a connection was closed for another (log_analyzer_http_connections_evicted_total{reason}). */
export type EvictReason = 'idle' | 'receiving' | 'slow_body' | 'slow_reader' | 'stream' | 'stream_cap' | 'refused';

export interface HttpServerOptions {
  fetch: (request: Request) => Response | Promise<Response>;
  /**
   * Connections open at once, asked on every new one (it may shrink to leave descriptors for
   * the files being followed); at the cap, one is closed for the new one (see pickEviction).
   */
  maxConnections: () => number;
  /** Streams (Server-Sent Events) open at once; the oldest is closed for a new one. Default 16. */
  maxStreams?: () => number;
  /** Whether a request's URL opens a stream that never ends (default: /ui/events). */
  isStream?: (url: string) => boolean;
  /**
   * A client that takes no byte of its pending answer, or sends no byte of a request body under
   * way, for this long is closed. Default 10 s.
   */
  slowReaderMs?: number;
  /** A client must send its request headers within this long (slowloris). */
  headersTimeoutMs?: number;
  /** A kept-alive connection with no request is closed after this long. */
  idleTimeoutMs?: number;
  onEvicted?(reason: EvictReason): void;
  /** Makes the server instead of node:http (--web-config-file: HTTPS and basic auth, export/web-security.ts). */
  web?: { createServer(options: ServerOptions, listener: (q: IncomingMessage, s: ServerResponse) => void): Server };
}

export interface Connection {
  openedAt: number;
  /** A request is being answered on it. */
  busy: boolean;
  /** It carries a stream (an answer that never ends). */
  stream: boolean;
  /** Since when its request's body has been arriving (null: no body under way). */
  receivingSince: number | null;
  /** Since when its pending output has not shrunk (null: nothing pending, or it moves). */
  stalledSince: number | null;
}

/** The share of the connection cap streams may take at most, whatever --max-streams says. */
export const streamCap = (maxConnections: number, maxStreams: number): number =>
  Math.max(1, Math.min(maxStreams, Math.floor(maxConnections / 2)));

/** Whether a connection's pending output has not shrunk for `slowMs`. Pure. */
export function isSlow(c: Pick<Connection, 'stalledSince'>, now: number, slowMs: number): boolean {
  return c.stalledSince !== null && now - c.stalledSince >= slowMs;
}

/**
 * Which connection to close when a new one arrives at the cap, and why: the oldest with no
 * request under way (a slow client still sending headers, or an idle keep-alive), else the one
 * whose request body has been arriving longest (a body trickled in a byte at a time would hold
 * its slot for the whole request timeout; nothing of it is acknowledged, so a client that is
 * really sending retries), else the oldest slow reader, else the oldest stream; null when every
 * one is answering a whole request (those end within the request timeout). Pure.
 */
export function pickEviction<T extends Connection>(
  connections: Iterable<T>,
  now = 0,
  slowMs = Number.POSITIVE_INFINITY,
): { victim: T; reason: EvictReason } | null {
  const open = [...connections];
  const oldest = (test: (c: T) => boolean, since = (c: T) => c.openedAt): T | null => {
    let found: T | null = null;
    for (const c of open) if (test(c) && (!found || since(c) < since(found))) found = c;
    return found;
  };
  const idle = oldest((c) => !c.busy);
  if (idle) return { victim: idle, reason: 'idle' };
  const receiving = oldest(
    (c) => c.receivingSince !== null,
    (c) => c.receivingSince ?? 0,
  );
  if (receiving) return { victim: receiving, reason: 'receiving' };
  const slow = oldest((c) => isSlow(c, now, slowMs));
  if (slow) return { victim: slow, reason: 'slow_reader' };
  const stream = oldest((c) => c.stream);
  return stream ? { victim: stream, reason: 'stream' } : null;
}

/** A stalled clock's next reading: pending output that did not shrink keeps its start. Pure. */
export function nextStall(
  stalledSince: number | null,
  pendingBefore: number,
  pendingNow: number,
  now: number,
): number | null {
  if (pendingNow === 0) return null;
  if (stalledSince === null || pendingNow < pendingBefore) return now;
  return stalledSince;
}

/** A request body's stall clock: bytes read since the last look restart it. Pure. */
export function nextBodyStall(stalledSince: number | null, readBefore: number, readNow: number, now: number): number {
  return stalledSince === null || readNow > readBefore ? now : stalledSince;
}

/** Whether a request has a body to receive (a length above 0, or chunks). */
const hasBody = (request: IncomingMessage): boolean =>
  request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;

/**
 * Bytes of answers not yet taken by the kernel. writableLength alone does not move while one
 * large write is under way (a whole /metrics is one write), so a slow but steady reader would
 * look stalled; the libuv handle's write queue shrinks with every partial write.
 */
function pendingBytes(socket: Socket): number {
  const handle = (socket as unknown as { _handle?: { writeQueueSize?: number } | null })._handle;
  return socket.writableLength + (handle?.writeQueueSize ?? 0);
}

/**
 * An answer written before its request's body was read whole (413 for an over-size push, 401, 415)
 * says `Connection: close`: the adapter drains only so much of an unread body and then closes the
 * socket, and a client that was told keep-alive would send its next request on a dead connection.
 */
function closeWhenBodyUnread(request: IncomingMessage, response: ServerResponse): void {
  const length = request.headers['content-length'];
  if (request.headers['transfer-encoding'] === undefined && (length === undefined || length === '0')) return;
  const writeHead = response.writeHead;
  response.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    if (!request.complete) this.setHeader('connection', 'close');
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as typeof response.writeHead;
}

export function createHttpServer(options: HttpServerOptions): { server: Server; connections: () => number } {
  const slowMs = options.slowReaderMs ?? 10_000;
  const isStream = options.isStream ?? ((url: string) => /^\/ui\/events(\?|$)/.test(url));
  const listener = getRequestListener(options.fetch);
  // --web-config-file makes the server (HTTPS, basic auth in front); else plain node:http.
  const make = options.web ? options.web.createServer.bind(options.web) : createServer;
  const server = make(
    {
      headersTimeout: options.headersTimeoutMs ?? 10_000,
      requestTimeout: 30_000,
      keepAliveTimeout: options.idleTimeoutMs ?? 5_000,
      // How often the timeouts above are enforced (Node's default is every 30 s).
      connectionsCheckingInterval: 1_000,
    },
    (request, response) => {
      closeWhenBodyUnread(request, response);
      return listener(request, response);
    },
  );
  // request: the latest on this connection; read and bodyStalledSince: its body's progress.
  type Open = Connection & {
    socket: Socket;
    pending: number;
    request: IncomingMessage | null;
    read: number;
    bodyStalledSince: number | null;
  };
  const open = new Map<Socket, Open>();
  const evict = (c: Open, reason: EvictReason) => {
    c.socket.destroy();
    open.delete(c.socket);
    options.onEvicted?.(reason);
  };
  server.on('connection', (socket: Socket) => {
    if (open.size >= options.maxConnections()) {
      for (const c of open.values()) if (c.request?.complete) c.receivingSince = null;
      const pick = pickEviction(open.values(), performance.now(), slowMs);
      if (pick) evict(pick.victim, pick.reason);
      else {
        socket.destroy();
        options.onEvicted?.('refused');
        return;
      }
    }
    open.set(socket, {
      socket,
      openedAt: performance.now(),
      busy: false,
      stream: false,
      receivingSince: null,
      stalledSince: null,
      pending: 0,
      request: null,
      read: 0,
      bodyStalledSince: null,
    });
    socket.once('close', () => open.delete(socket));
  });
  // Over TLS requests come on the TLS socket wrapping the one counted above: it takes its place.
  server.on('secureConnection', (tls: TLSSocket) => {
    const raw = (tls as unknown as { _parent?: Socket })._parent;
    const c = raw && open.get(raw);
    if (!c || !raw) return;
    open.delete(raw);
    c.socket = tls;
    open.set(tls, c);
    tls.once('close', () => open.delete(tls));
  });
  server.on('request', (request, response) => {
    const connection = open.get(request.socket);
    if (!connection) return;
    connection.busy = true;
    connection.request = request;
    if (hasBody(request) && !request.complete) {
      connection.receivingSince = performance.now();
      connection.bodyStalledSince = connection.receivingSince;
      connection.read = request.socket.bytesRead;
    }
    if (isStream(request.url ?? '')) {
      // At the streams' cap the oldest stream goes: the newest viewer wins, scrapers keep their room.
      const cap = streamCap(options.maxConnections(), options.maxStreams?.() ?? 16);
      const streams = [...open.values()].filter((c) => c.stream).sort((a, b) => a.openedAt - b.openedAt);
      for (const c of streams.slice(0, Math.max(0, streams.length - cap + 1))) evict(c, 'stream_cap');
      connection.stream = true;
    }
    response.once('finish', () => {
      connection.busy = false;
      connection.stream = false;
      connection.openedAt = performance.now(); // an idle keep-alive ages from its last answer
    });
  });
  // Slow readers: a connection whose pending output has not shrunk for slowMs is closed, whether
  // or not another client waits (it would hold a slot and its memory for as long as it likes).
  // So is one whose request body has not grown by a byte for slowMs (the app reads a push's body
  // at once, so a body that stops is the client's doing).
  const sweep = setInterval(
    () => {
      const now = performance.now();
      for (const c of open.values()) {
        if (c.receivingSince !== null && c.request?.complete) c.receivingSince = null;
        if (c.receivingSince !== null) {
          c.bodyStalledSince = nextBodyStall(c.bodyStalledSince, c.read, c.socket.bytesRead, now);
          c.read = c.socket.bytesRead;
          if (isSlow({ stalledSince: c.bodyStalledSince }, now, slowMs)) {
            evict(c, 'slow_body');
            continue;
          }
        }
        const pending = pendingBytes(c.socket);
        c.stalledSince = nextStall(c.stalledSince, c.pending, pending, now);
        c.pending = pending;
        if (isSlow(c, now, slowMs)) evict(c, 'slow_reader');
      }
    },
    Math.max(10, Math.min(1000, slowMs / 4)),
  );
  sweep.unref();
  server.once('close', () => clearInterval(sweep));
  return { server, connections: () => open.size };
}

/** The soft limit on open descriptors (RLIMIT_NOFILE), from /proc; a large number when unknown. */
export function openFilesLimit(): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : 1_048_576;
  } catch {
    return 1_048_576;
  }
}

/** Descriptors kept for everything but files and clients (the checkpoint, the push log, workers, Redis). */
const RESERVED_DESCRIPTORS = 64;
/** Connections allowed whatever the files hold: a scraper and a few viewers always fit. */
const MIN_CONNECTIONS = 16;

/**
 * The connection cap: descriptors are shared with the files followed, so clients get what the
 * files leave over, never fewer than 16 and never more than configured. Pure.
 */
export function connectionCap(configured: number, openFilesLimit: number, fileDescriptors: number): number {
  return Math.min(configured, Math.max(MIN_CONNECTIONS, openFilesLimit - RESERVED_DESCRIPTORS - fileDescriptors));
}
