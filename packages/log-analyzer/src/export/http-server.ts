// The socket edge of the HTTP app: a Node server with timeouts and a connection cap that slow or
// many clients cannot use to starve the others. Owns the listening socket and its connections.

import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { getRequestListener } from '@hono/node-server';

export interface HttpServerOptions {
  fetch: (request: Request) => Response | Promise<Response>;
  /**
   * Connections open at once, asked on every new one (it may shrink to leave descriptors for
   * the files being followed); at the cap, the oldest one without a request under way is closed.
   */
  maxConnections: () => number;
  /** A client must send its request headers within this long (slowloris). */
  headersTimeoutMs?: number;
  /** A kept-alive connection with no request is closed after this long. */
  idleTimeoutMs?: number;
  onEvicted?(): void;
}

interface Connection {
  socket: Socket;
  openedAt: number;
  /** A request is being answered on it. */
  busy: boolean;
}

/**
 * Which connection to close when a new one arrives at the cap: the oldest that has no request
 * under way (a slow client still sending headers, or an idle keep-alive); null when all are busy.
 * Pure.
 */
export function pickEviction<T extends { openedAt: number; busy: boolean }>(open: Iterable<T>): T | null {
  let oldest: T | null = null;
  for (const c of open) if (!c.busy && (!oldest || c.openedAt < oldest.openedAt)) oldest = c;
  return oldest;
}

export function createHttpServer(options: HttpServerOptions): { server: Server; connections: () => number } {
  const server = createServer(
    {
      headersTimeout: options.headersTimeoutMs ?? 10_000,
      requestTimeout: 30_000,
      keepAliveTimeout: options.idleTimeoutMs ?? 5_000,
      // How often the timeouts above are enforced (Node's default is every 30 s).
      connectionsCheckingInterval: 1_000,
    },
    getRequestListener(options.fetch),
  );
  const open = new Map<Socket, Connection>();
  server.on('connection', (socket: Socket) => {
    if (open.size >= options.maxConnections()) {
      const victim = pickEviction(open.values());
      if (victim) {
        victim.socket.destroy();
        open.delete(victim.socket);
        options.onEvicted?.();
      } else {
        socket.destroy();
        options.onEvicted?.();
        return;
      }
    }
    open.set(socket, { socket, openedAt: performance.now(), busy: false });
    socket.once('close', () => open.delete(socket));
  });
  server.on('request', (request, response) => {
    const connection = open.get(request.socket);
    if (!connection) return;
    connection.busy = true;
    response.once('finish', () => {
      connection.busy = false;
      connection.openedAt = performance.now(); // an idle keep-alive ages from its last answer
    });
  });
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
