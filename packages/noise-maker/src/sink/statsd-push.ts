// Sends StatsD lines over UDP (packets of whole lines, at most MAX_PACKET bytes) or over one TCP
// connection. StatsD has no answer: a body counts as taken once the socket took it (UDP may still
// drop it at the receiver, which the analyzer counts; TCP loses nothing).

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import type { PushAnswer } from './http-push.js';

/** Well under loopback's 64 KiB datagrams and the analyzer's line limit. */
export const MAX_PACKET = 8192;

/** Pure: `body` (lines ending in \n) cut at line ends into pieces of at most `max` bytes (a longer line alone). */
export function packets(body: Buffer, max = MAX_PACKET): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  while (start < body.length) {
    let end = Math.min(body.length, start + max);
    if (end < body.length) {
      const nl = body.lastIndexOf(0x0a, end - 1);
      end = nl >= start ? nl + 1 : body.indexOf(0x0a, end) + 1 || body.length;
    }
    out.push(body.subarray(start, end));
    start = end;
  }
  return out;
}

export class StatsdPusher {
  private readonly host: string;
  private readonly port: number;
  private readonly udp: UdpSocket | null = null;
  private tcp: Socket | null = null;

  constructor(url: string) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`--url is not a URL: ${url}`);
    }
    if ((parsed.protocol !== 'udp:' && parsed.protocol !== 'tcp:') || !parsed.port) {
      throw new Error(`--url for --protocol statsd must be udp://HOST:PORT or tcp://HOST:PORT, not ${url}`);
    }
    this.host = parsed.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(parsed.port);
    if (parsed.protocol === 'udp:') this.udp = createSocket(this.host.includes(':') ? 'udp6' : 'udp4');
  }

  async send(body: Buffer): Promise<PushAnswer> {
    const started = performance.now();
    if (this.udp) {
      for (const packet of packets(body)) {
        await new Promise<void>((resolve, reject) =>
          this.udp?.send(packet, this.port, this.host, (error) => (error ? reject(error) : resolve())),
        );
      }
    } else {
      const socket = await this.connection();
      await new Promise<void>((resolve, reject) => socket.write(body, (error) => (error ? reject(error) : resolve())));
    }
    return { status: 200, rejected: 0, ms: performance.now() - started };
  }

  private connection(): Promise<Socket> {
    if (this.tcp && !this.tcp.destroyed) return Promise.resolve(this.tcp);
    return new Promise((resolve, reject) => {
      const socket = connect(this.port, this.host, () => {
        socket.off('error', reject);
        socket.on('error', () => socket.destroy()); // the next send reconnects
        resolve(socket);
      });
      socket.once('error', reject);
      this.tcp = socket;
    });
  }

  close(): void {
    this.udp?.close();
    this.tcp?.end();
  }
}
