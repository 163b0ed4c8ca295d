// The only Redis writer: LPUSHes batches of queue messages onto a list, pipelined over one
// connection (commands in flight at once, answered in order), and says how long each took.
// LPUSH a b c leaves a at the list's old end: a consumer popping from there sees send order.

import { createClient, type RedisClientType } from '@redis/client';
import type { PushAnswer } from './http-push.js';

export class RedisPusher {
  private readonly client: RedisClientType;
  private connecting: Promise<unknown> | null = null;

  constructor(
    url: string,
    private readonly key: string,
  ) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`--redis-url is not a URL: ${url}`);
    }
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
      throw new Error(`--redis-url must be a redis:// URL, not ${parsed.protocol}`);
    }
    this.client = createClient({
      url,
      disableOfflineQueue: true,
      socket: { reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000) },
    }) as RedisClientType;
    this.client.on('error', () => {}); // failures reach send()'s caller
  }

  async send(messages: string[]): Promise<PushAnswer> {
    const started = performance.now();
    if (!this.client.isOpen) {
      this.connecting ??= this.client.connect().catch((error: unknown) => {
        this.connecting = null;
        throw error;
      });
    }
    await this.connecting;
    await this.client.lPush(this.key, messages);
    return { status: 200, rejected: 0, ms: performance.now() - started };
  }

  close(): void {
    if (this.client.isOpen) this.client.destroy();
  }
}
