// A real redis-server for the queue tests: on a free port, in a temp dir, without persistence
// unless asked; stopped (by PID) when the test is done. Needs the redis-server package.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type RedisClientType } from '@redis/client';

export interface TestRedis {
  url: string;
  port: number;
  /** A connected client for the test's own commands (closed by stop()). */
  client: RedisClientType;
  /** Stops the server (SIGTERM: with appendOnly, it writes what it has) and starts it again on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function startRedis(options: { appendOnly?: boolean } = {}): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
  args.push('--appendonly', options.appendOnly ? 'yes' : 'no', '--appendfsync', 'always');
  let server: ChildProcess;
  const launch = () =>
    new Promise<void>((resolve, reject) => {
      server = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      server.on('error', (error) =>
        reject(new Error(`cannot start redis-server (is it installed?): ${error.message}`)),
      );
      server.stdout?.on('data', (d) => {
        out += d;
        if (out.includes('Ready to accept connections')) resolve();
      });
      server.on('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
    });
  const exit = () =>
    new Promise<void>((resolve) => {
      if (server.exitCode !== null || server.signalCode !== null) return resolve();
      server.once('exit', () => resolve());
      server.kill('SIGTERM');
    });
  await launch();
  const url = `redis://127.0.0.1:${port}`;
  const client = createClient({ url, socket: { reconnectStrategy: 50 } }) as RedisClientType;
  client.on('error', () => {});
  await client.connect();
  return {
    url,
    port,
    client,
    async restart() {
      await exit();
      await launch();
    },
    async stop() {
      client.destroy();
      await exit();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A valid counter message of exactly `bytes` bytes (JSON allows the trailing spaces). */
export function padded(bytes: number): string {
  const text = JSON.stringify({ type: 'counter', name: 'big', value: 1 });
  return text + ' '.repeat(bytes - text.length);
}
