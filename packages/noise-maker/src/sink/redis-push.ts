// The only Redis writer: LPUSHes batches of queue messages onto a list, pipelined over one
// connection (commands in flight at once, answered in order), and says how long each took.
// LPUSH a b c leaves a at the list's old end: a consumer popping from there sees send order.

import type { RedisClientType } from '@redis/client';
import type { PushAnswer } from './http-push.js';

export class RedisPusher {
  /** Made at the first send: @redis/client takes ~0.2 s to load, which every run paid before. */
  private client: Promise<RedisClientType> | null = null;
  private connecting: Promise<unknown> | null = null;

  constructor(
    private readonly url: string,
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
  }

  async send(messages: string[]): Promise<PushAnswer> {
    const started = performance.now();
    this.client ??= import('@redis/client').then(({ createClient }) => {
      const client = createClient({
        url: this.url,
        disableOfflineQueue: true,
        socket: { reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000) },
      }) as RedisClientType;
      client.on('error', () => {}); // failures reach send()'s caller
      return client;
    });
    const client = await this.client;
    if (!client.isOpen) {
      this.connecting ??= client.connect().catch((error: unknown) => {
        this.connecting = null;
        throw error;
      });
    }
    await this.connecting;
    await client.lPush(this.key, messages);
    return { status: 200, rejected: 0, ms: performance.now() - started };
  }

  close(): void {
    void this.client?.then((client) => {
      if (client.isOpen) client.destroy();
    });
  }
}
