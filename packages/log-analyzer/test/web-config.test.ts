// --web-config-file against running processes and real peers: promtool accepts every example web
// config in deploy/web-config/ (and so does the analyzer); a real Prometheus (Debian's) scrapes the
// analyzer over HTTPS with tls_config and basic_auth and sees up == 1; the OTLP port is behind the
// same TLS and users; SIGHUP swaps the users in; a bad file stops the start with one line naming the key.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { loadWebConfig } from '../src/export/web-security.js';
import { makeCertificates } from './certs.js';
import { MAIN, type Served, spawnServe, tempDir, useProcesses, WAIT } from './helpers.js';

const EXAMPLES = join(import.meta.dirname, '../../../deploy/web-config');
const { running, cleanups } = useProcesses();
const t = tempDir();
let ca = '';
beforeAll(() => {
  ca = makeCertificates(t.dir).read('ca.crt');
  return t.cleanup;
});

function serve(args: string[]): Served {
  const s = spawnServe(args);
  running.push(s);
  return s;
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** An HTTPS request trusting the test CA (undici's fetch takes no CA: node:https). */
async function https(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  const { request } = await import('node:https');
  return new Promise<{ status: number; body: string; headers: Record<string, unknown> }>((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers, ca }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

describe('the example web configs in deploy/web-config/', () => {
  const examples = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yml'));

  it('there are examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(4);
  });

  it.each(examples)('%s: promtool check web-config and the analyzer both take it', (example) => {
    // Beside the certificates it names (made for the test; none are shipped).
    const copy = join(t.dir, example);
    copyFileSync(join(EXAMPLES, example), copy);
    const promtool = spawnSync('promtool', ['check', 'web-config', copy], { encoding: 'utf8' });
    expect(promtool.stdout + promtool.stderr).toContain(`${copy} SUCCESS`);
    expect(promtool.status).toBe(0);
    expect(() => loadWebConfig(copy)).not.toThrow();
  });
});

describe('a real Prometheus scrapes over HTTPS with basic auth', () => {
  it('up == 1, and a wrong password is up == 0', async () => {
    const hash = execFileSync('htpasswd', ['-nbBC', '10', '', 'scrape-pass-1'], { encoding: 'utf8' }).replace(
      /[:\n]/g,
      '',
    );
    const web = join(t.dir, 'prom-web.yml');
    writeFileSync(
      web,
      `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  prometheus: ${hash}\n`,
    );
    const s = serve(['--watch', join(t.dir, '*.log'), '--no-positions', '--web-config-file', web]);
    const url = new URL(await s.url);
    expect(url.protocol).toBe('https:');
    const promPort = await freePort();
    const job = (name: string, password: string) => `  - job_name: ${name}
    scheme: https
    tls_config:
      ca_file: ${join(t.dir, 'ca.crt')}
    basic_auth:
      username: prometheus
      password: ${password}
    static_configs:
      - targets: ['${url.host}']
`;
    writeFileSync(
      join(t.dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n${job('analyzer', 'scrape-pass-1')}${job('wrong', 'not-it')}`,
    );
    const prometheus = spawn(
      'prometheus',
      [
        `--config.file=${join(t.dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(t.dir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { stdio: 'ignore' },
    );
    cleanups.unshift(() => prometheus.kill('SIGKILL'));
    const up = async (job: string) => {
      const res = await fetch(
        `http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(`up{job="${job}"}`)}`,
      );
      const answer = (await res.json()) as { data: { result: { value: [number, string] }[] } };
      return answer.data.result[0]?.value[1];
    };
    await vi.waitFor(
      async () => {
        expect(await up('analyzer')).toBe('1');
        expect(await up('wrong')).toBe('0');
      },
      { timeout: 60_000, interval: 250 },
    );
    // The analyzer counted the wrong job's refusals.
    const metrics = await https(url.href, { headers: { authorization: basic('prometheus', 'scrape-pass-1') } });
    expect(metrics.body).toMatch(/^log_analyzer_web_refused_total\{reason="unauthorized"\} [1-9]/m);
  }, 90_000);
});

describe('the analyzer process', () => {
  it('serves the OTLP port behind the same TLS and users; SIGHUP swaps the users in', async () => {
    const web = join(t.dir, 'otlp-web.yml');
    const users = (user: string, password: string) =>
      `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  ${user}: ${bcrypt.hashSync(password, 4)}\n`;
    writeFileSync(web, users('pusher', 'push-pass-1'));
    const otlpPort = await freePort();
    const s = serve([
      '--watch',
      join(t.dir, '*.log'),
      '--no-positions',
      '--web-config-file',
      web,
      '--otlp-port',
      String(otlpPort),
      '--api-key',
      'push-key-123',
    ]);
    const url = await s.url;
    const otlp = `https://127.0.0.1:${otlpPort}/v1/metrics`;
    const post = (authorization: string | null, key: string | null) =>
      https(otlp, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(authorization ? { authorization } : {}),
          ...(key ? { 'x-api-key': key } : {}),
        },
        body: '{"resourceMetrics":[]}',
      });
    // Both needed: the web config's user (Authorization: Basic) and the API key (X-API-Key).
    expect((await post(null, 'push-key-123')).status).toBe(401);
    expect((await post(basic('pusher', 'push-pass-1'), null)).status).toBe(401);
    expect((await post(basic('pusher', 'push-pass-1'), 'push-key-123')).status).toBe(200);

    writeFileSync(web, users('pusher2', 'push-pass-2'));
    const reloaded = () => (s.stderr().match(/web config .* reloaded/g) ?? []).length;
    const before = reloaded();
    s.child.kill('SIGHUP');
    await vi.waitFor(() => expect(reloaded()).toBeGreaterThan(before), WAIT);
    expect((await post(basic('pusher', 'push-pass-1'), 'push-key-123')).status).toBe(401);
    expect((await post(basic('pusher2', 'push-pass-2'), 'push-key-123')).status).toBe(200);
    expect((await https(url, { headers: { authorization: basic('pusher2', 'push-pass-2') } })).status).toBe(200);
    expect(s.stderr()).not.toContain('push-pass');
  }, 60_000);

  it('a request the basic-auth gate refuses is logged with its request id, which the answer echoes; never the password', async () => {
    const web = join(t.dir, 'logged-web.yml');
    writeFileSync(web, `basic_auth_users:\n  alice: ${bcrypt.hashSync('right-pass-9', 4)}\n`);
    const s = spawnServe(['--watch', join(t.dir, '*.log'), '--no-positions', '--web-config-file', web], [], {
      LOG_ANALYZER_LOG_FORMAT: 'json',
    });
    running.push(s);
    const url = await s.url;
    const answer = await fetch(url, {
      headers: { authorization: basic('alice', 'wrong-pass-7'), 'x-request-id': 'gate-req-42' },
    });
    expect(answer.status).toBe(401);
    expect(answer.headers.get('x-request-id')).toBe('gate-req-42');
    const refusal = () =>
      s
        .stderr()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((line) => line.requestId === 'gate-req-42');
    await vi.waitFor(
      () => expect(refusal()).toMatchObject({ msg: 'request refused', status: 401, path: '/metrics' }),
      WAIT,
    );
    // Without a request id of its own, one is made and echoed.
    const made = await fetch(url, { headers: { authorization: basic('alice', 'wrong-pass-7') } });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(s.stderr()).not.toContain('wrong-pass-7');
    expect(s.stderr()).not.toContain('right-pass-9');
  }, 60_000);

  it('[server] web_config_file in the config file does the same; `config check` checks the web config too', async () => {
    const web = join(t.dir, 'toml-web.yml');
    writeFileSync(web, 'basic_auth_users:\n  eve: plain-text\n');
    const toml = join(t.dir, 'analyzer.toml');
    writeFileSync(toml, `[server]\nweb_config_file = "${web}"\n`);
    const s = serve(['--watch', join(t.dir, '*.log'), '--no-positions', '--config', toml]);
    expect(await s.exited).not.toBe(0);
    expect(s.stderr()).toContain(`--web-config-file ${web}: basic_auth_users.eve: not a bcrypt hash`);
    const check = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'config', 'check', toml], { encoding: 'utf8' });
    expect(check.status).not.toBe(0);
    expect(check.stderr).toContain('basic_auth_users.eve: not a bcrypt hash');
  });

  it.each([
    {
      name: 'an unknown key',
      given: 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth: x\n',
      want: 'tls_server_config.client_auth: unknown key',
    },
    {
      name: 'a bcrypt hash with a bad cost',
      given: 'basic_auth_users:\n  eve: $2y$99$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0\n',
      want: 'basic_auth_users.eve: bcrypt cost 99',
    },
    {
      name: 'a header it may not set',
      given: 'http_server_config:\n  headers:\n    Access-Control-Allow-Origin: "*"\n',
      want: 'headers.Access-Control-Allow-Origin: this header cannot be configured',
    },
    {
      name: 'a missing certificate',
      given: 'tls_server_config:\n  cert_file: nope.crt\n  key_file: server.key\n',
      want: 'tls_server_config.cert_file: cannot read',
    },
  ])('refuses to start on $name: one line naming the key, exit 2', async ({ given, want }) => {
    const web = join(t.dir, 'bad-web.yml');
    writeFileSync(web, given);
    const s = serve(['--watch', join(t.dir, '*.log'), '--no-positions', '--web-config-file', web]);
    expect(await s.exited).not.toBe(0);
    expect(s.stderr()).toContain(`--web-config-file ${web}: `);
    expect(s.stderr()).toContain(want);
    expect(s.stderr().trim().split('\n')).toHaveLength(1);
    expect(s.stderr()).not.toMatch(/\n\s+at /); // no stack trace
  });
});
