// Issue 26: a real nginx (Debian's) writes its access log with a custom log_format, proxying part of
// the requests to a second server so the upstream fields are filled; the analyzer's counts equal
// the requests made, by status and method, and the upstream histogram counts the proxied ones.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Analyzer } from '../src/app.js';
import { expectSettled, metricValue, startAnalyzer, tempDir, WAIT } from './helpers.js';

const FORMAT =
  '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" ' +
  '"$http_user_agent" rt=$request_time uct="$upstream_connect_time" us=$upstream_status urt=$upstream_response_time';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function nginxConf(dir: string, port: number, backend: number): string {
  const root = process.getuid?.() === 0 ? 'user root;\n' : '';
  return `${root}worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp; proxy_temp_path ${dir}/tmp; fastcgi_temp_path ${dir}/tmp;
  uwsgi_temp_path ${dir}/tmp; scgi_temp_path ${dir}/tmp;
  log_format custom '${FORMAT}';
  server {
    listen 127.0.0.1:${port};
    access_log ${dir}/access.log custom;
    root ${dir}/www;
    location = /ok { return 200 "ok\\n"; }
    location = /teapot { return 418; }
    location = /gone { return 410; }
    location /up/ { proxy_pass http://127.0.0.1:${backend}; }
  }
  server {
    listen 127.0.0.1:${backend};
    location / { return 201 "made\\n"; }
  }
}
`;
}

describe('a real nginx with a custom log_format', () => {
  let nginx: ChildProcess | null = null;
  let analyzer: Analyzer | null = null;
  let cleanup = () => {};
  afterEach(async () => {
    await analyzer?.stop();
    analyzer = null;
    if (nginx?.pid) {
      const exited = new Promise((resolve) => nginx?.once('exit', resolve));
      process.kill(nginx.pid, 'SIGTERM');
      await exited;
    }
    nginx = null;
    cleanup();
  });

  it('counts exactly the requests made, by status and method, and the proxied ones in the upstream histogram', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    mkdirSync(join(t.dir, 'www'));
    mkdirSync(join(t.dir, 'tmp'));
    const [port, backend] = [await freePort(), await freePort()];
    writeFileSync(join(t.dir, 'nginx.conf'), nginxConf(t.dir, port, backend));
    let stderr = '';
    nginx = spawn('nginx', ['-p', t.dir, '-c', join(t.dir, 'nginx.conf'), '-g', 'daemon off;'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    nginx.stderr?.on('data', (d) => {
      stderr += d;
    });
    const base = `http://127.0.0.1:${port}`;
    await vi.waitFor(async () => expect((await fetch(`${base}/ok`)).status).toBe(200), WAIT);

    // What is asked: method × path → how many; the status is nginx's answer to it.
    const plan: [string, string, number, number][] = [
      ['GET', '/ok', 200, 30],
      ['POST', '/ok', 200, 7],
      ['HEAD', '/ok', 200, 5],
      ['GET', '/missing', 404, 11],
      ['DELETE', '/teapot', 418, 3],
      ['PUT', '/gone', 410, 4],
      ['GET', '/up/x', 201, 9],
      ['POST', '/up/y', 201, 6],
    ];
    for (const [method, path, status, n] of plan) {
      for (let i = 0; i < n; i++) {
        const res = await fetch(`${base}${path}?i=${i}&q=%22quoted%22`, {
          method,
          headers: { 'user-agent': `test "agent" ${i}`, referer: 'http://example/é' },
        });
        await res.arrayBuffer();
        expect(res.status).toBe(status);
      }
    }
    const file = join(t.dir, 'access.log');
    const total = plan.reduce((n, [, , , k]) => n + k, 1); // +1: the readiness probe
    await vi.waitFor(
      () => expect(existsSync(file) && readFileSync(file, 'utf8').split('\n').length - 1).toBe(total),
      WAIT,
    );
    expect(stderr).toBe('');

    analyzer = await startAnalyzer({ watch: [file], from: 'beginning', format: FORMAT });
    const current = analyzer;
    await expectSettled(current, () => metricValue(current, 'log_lines_total', { file }), total);
    expect(await metricValue(current, 'log_errors_total', { file, reason: 'parse_failure' })).toBe(0);

    const want = new Map<string, number>([['GET 200', 1]]);
    for (const [method, , status, n] of plan) {
      const key = `${method} ${status}`;
      want.set(key, (want.get(key) ?? 0) + n);
    }
    for (const [key, n] of want) {
      const [method, status] = key.split(' ') as [string, string];
      expect({ key, n: await metricValue(current, 'http_requests_total', { file, method, status }) }).toEqual({
        key,
        n,
      });
    }
    expect(await metricValue(current, 'http_requests_total', { file })).toBe(total);
    // Only the proxied requests have an upstream time; every request has $request_time.
    expect(current.store.sum('http_upstream_duration_seconds', { file })).toBe(9 + 6);
    expect(current.store.sum('http_request_duration_seconds', { file })).toBe(total);
  });
});
