// The queue source's second connection to Redis, for claims only: a plain socket speaking RESP2
// (resp-reader.ts), so that a claimed batch comes back as one buffer of its messages joined by NUL
// bytes rather than as a Buffer per message (the general client's cost: about 1 µs per message
// on the main thread). Commands are pipelined: each call writes its commands at once and gets
// their replies in order. It opens on first use (AUTH and SELECT from the URL), and a broken
// connection fails every call waiting on it; the next call opens a new one.

import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { encodeCommand, ReplyReader } from './resp-reader.js';

const CONNECT_TIMEOUT_MS = 5000;
export const CLIENT_NAME = 'log-analyzer:claims';

interface Waiting {
  resolve(reply: Buffer): void;
  reject(error: Error): void;
}

export class ClaimConnection {
  private socket: Socket | null = null;
  private opening: Promise<Socket> | null = null;
  private reader = new ReplyReader();
  private readonly waiting: Waiting[] = [];

  constructor(
    private readonly url: string,
    private readonly db: number,
  ) {}

  /** Sends the commands at once; their replies, whole, in order (errors are replies too). */
  async send(commands: readonly (readonly string[])[]): Promise<Buffer[]> {
    let socket = this.socket;
    if (!socket) {
      this.opening ??= this.open();
      socket = await this.opening;
    }
    // Closed since (its calls already failed): these would wait for ever.
    if (socket !== this.socket) throw new Error('the claim connection to Redis closed');
    const replies = commands.map(
      () => new Promise<Buffer>((resolve, reject) => this.waiting.push({ resolve, reject })),
    );
    socket.write(commands.map(encodeCommand).join(''));
    return Promise.all(replies);
  }

  private async open(): Promise<Socket> {
    try {
      const url = new URL(this.url);
      const host = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
      const port = Number(url.port || 6379);
      const socket =
        url.protocol === 'rediss:'
          ? connectTls({ host, port, ...(isIP(host) ? {} : { servername: host }) })
          : connectTcp({ host, port, noDelay: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          socket.destroy();
          reject(new Error(`connecting to Redis timed out after ${CONNECT_TIMEOUT_MS} ms`));
        }, CONNECT_TIMEOUT_MS);
        socket.once(url.protocol === 'rediss:' ? 'secureConnect' : 'connect', () => {
          clearTimeout(timer);
          resolve();
        });
        socket.once('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
      });
      this.reader = new ReplyReader();
      socket.on('data', (chunk: Buffer) => this.received(chunk));
      socket.on('error', () => {}); // 'close' follows: the calls waiting fail there
      socket.on('close', () => this.broken(socket));
      this.socket = socket;
      const setup: string[][] = [];
      const user = decodeURIComponent(url.username);
      const password = decodeURIComponent(url.password);
      if (password) setup.push(user ? ['AUTH', user, password] : ['AUTH', password]);
      if (this.db !== 0) setup.push(['SELECT', String(this.db)]);
      setup.push(['CLIENT', 'SETNAME', CLIENT_NAME]); // CLIENT LIST tells it from the other connection
      // AUTH or SELECT refused is an error; the name refused (an ACL) is not.
      for (const reply of (await this.send(setup)).slice(0, -1)) {
        if (reply[0] === 45 /* - */) throw new Error(reply.toString('utf8', 1).trim());
      }
      return socket;
    } catch (error) {
      this.close();
      throw error;
    } finally {
      this.opening = null;
    }
  }

  private received(chunk: Buffer): void {
    this.reader.push(chunk);
    for (let reply = this.reader.next(); reply !== null; reply = this.reader.next())
      this.waiting.shift()?.resolve(reply);
  }

  private broken(socket: Socket): void {
    if (this.socket !== socket) return;
    this.socket = null;
    const error = new Error('the claim connection to Redis closed');
    for (const w of this.waiting.splice(0)) w.reject(error);
  }

  close(): void {
    const socket = this.socket;
    if (socket) {
      this.broken(socket);
      socket.destroy();
    }
  }
}
