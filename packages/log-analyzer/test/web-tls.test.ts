// --web-config-file on real sockets, in-process (export/web-security.ts in front of
// export/http-server.ts): HTTPS with basic auth (htpasswd's and bcryptjs' hashes), plain HTTP to
// the TLS port, every client-certificate policy, the configured headers, a certificate rotated
// while a client holds a keep-alive connection, and a bad file refused while the running one stays.

import { execFileSync } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { Agent, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import bcrypt from 'bcryptjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHttpServer } from '../src/export/http-server.js';
import { WebSecurity } from '../src/export/web-security.js';
import { makeCertificates, signed } from './certs.js';
import { tempDir, WAIT } from './helpers.js';

const t = tempDir();
let certs: ReturnType<typeof makeCertificates>;
const PASSWORDS = { prometheus: 'scrape-pass-1', grafana: 'view-pass-2' };
let users = '';

beforeAll(() => {
  certs = makeCertificates(t.dir);
  // One hash from Apache's htpasswd ($2y$), one from bcryptjs ($2b$).
  const htpasswd = execFileSync('htpasswd', ['-nbBC', '10', '', PASSWORDS.prometheus], { encoding: 'utf8' });
  users = `basic_auth_users:\n  prometheus: ${htpasswd.replace(/[:\n]/g, '')}\n  grafana: ${bcrypt.hashSync(PASSWORDS.grafana, 10)}\n`;
  return t.cleanup;
});

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** Serves `ok` behind a web config with this text (written to a file); the port and the security object. */
async function serve(yaml: string, file = 'web.yml') {
  const path = join(t.dir, file);
  writeFileSync(path, yaml);
  const said: string[] = [];
  const web = new WebSecurity(path, { say: (m) => said.push(m) });
  const { server, connections } = createHttpServer({
    fetch: (req) => new Response(`ok ${req.headers.get('authorization') ?? 'no authorization'}`),
    maxConnections: () => 64,
    idleTimeoutMs: 60_000,
    web,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    web.close();
    server.close();
    server.closeAllConnections();
  });
  return { port: (server.address() as AddressInfo).port, web, said, path, connections };
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  fingerprint: string;
  localPort: number;
}

function get(
  port: number,
  options: {
    user?: keyof typeof PASSWORDS;
    password?: string;
    client?: string;
    agent?: Agent;
    authorization?: string;
  } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.user) {
    const password = options.password ?? PASSWORDS[options.user];
    headers.authorization = `Basic ${Buffer.from(`${options.user}:${password}`).toString('base64')}`;
  }
  if (options.authorization) headers.authorization = options.authorization;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/metrics',
        ca: certs.read('ca.crt'),
        ...(options.client
          ? { cert: certs.read(`${options.client}.crt`), key: certs.read(`${options.client}.key`) }
          : {}),
        agent: options.agent ?? false,
        headers,
      },
      (res) => {
        let body = '';
        // Read now: once answered the socket goes back to the agent (or closes).
        const socket = res.socket as TLSSocket;
        const fingerprint = socket.getPeerCertificate().fingerprint256;
        const localPort = socket.localPort ?? 0;
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, fingerprint, localPort }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const TLS = () => `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n`;

describe('HTTPS with basic auth', () => {
  it.each([
    { name: 'a htpasswd ($2y$) user', given: { user: 'prometheus' as const }, want: 200 },
    { name: 'a bcryptjs ($2b$) user', given: { user: 'grafana' as const }, want: 200 },
    { name: 'a wrong password', given: { user: 'prometheus' as const, password: 'nope' }, want: 401 },
    { name: "another user's password", given: { user: 'grafana' as const, password: PASSWORDS.prometheus }, want: 401 },
    { name: 'no Authorization', given: {}, want: 401 },
    { name: 'a Bearer key', given: { authorization: 'Bearer scrape-pass-1' }, want: 401 },
    {
      name: 'a password that is not UTF-8',
      given: {
        authorization: `Basic ${Buffer.concat([Buffer.from('prometheus:'), Buffer.from([0xff, 0xfe, 0xfd])]).toString('base64')}`,
      },
      want: 401,
    },
    {
      name: 'a huge Authorization header (10 KiB)',
      given: { authorization: `Basic ${Buffer.from(`prometheus:${'x'.repeat(10_000)}`).toString('base64')}` },
      want: 401,
    },
  ])('$name → $want', async ({ given, want }) => {
    const { port } = await serve(TLS() + users);
    const answer = await get(port, given);
    expect(answer.status).toBe(want);
    if (want === 401) {
      expect(answer.headers['www-authenticate']).toBe('Basic realm="log-analyzer", charset="UTF-8"');
      expect(answer.body).toBe('Unauthorized\n');
    } else {
      // The app behind never sees the password.
      expect(answer.body).toBe('ok no authorization');
    }
  });

  it("an Authorization header past Node's header limit is answered 431 by Node, the server carries on", async () => {
    const { port } = await serve(TLS() + users);
    const huge = `Basic ${'A'.repeat(20_000)}`;
    expect((await get(port, { authorization: huge })).status).toBe(431);
    expect((await get(port, { user: 'prometheus' })).status).toBe(200);
  });

  it('plain HTTP to the TLS port gets no HTTP answer', async () => {
    const { port } = await serve(TLS() + users);
    const outcome = await new Promise<string>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/metrics' }, (res) =>
        resolve(`answered ${res.statusCode}`),
      );
      req.on('error', (error) => resolve(`refused: ${(error as NodeJS.ErrnoException).code ?? error.message}`));
      req.end();
    });
    expect(outcome).toMatch(/^refused: /);
    expect((await get(port, { user: 'prometheus' })).status).toBe(200);
  });

  it("the configured headers are on every answer, and win over the app's own", async () => {
    const { port } = await serve(
      `${TLS()}http_server_config:\n  headers:\n    Strict-Transport-Security: max-age=31536000\n    X-Frame-Options: sameorigin\n${users}`,
    );
    for (const options of [{ user: 'prometheus' as const }, {}]) {
      const answer = await get(port, options);
      expect(answer.headers['strict-transport-security']).toBe('max-age=31536000');
      expect(answer.headers['x-frame-options']).toBe('sameorigin');
    }
  });

  it('users only, no TLS: plain HTTP with basic auth', async () => {
    const { port, web } = await serve(users);
    expect(web.tls).toBe(false);
    const status = (authorization?: string) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          { host: '127.0.0.1', port, path: '/', headers: authorization ? { authorization } : {} },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
    expect(await status()).toBe(401);
    expect(await status(`Basic ${Buffer.from(`grafana:${PASSWORDS.grafana}`).toString('base64')}`)).toBe(200);
  });
});

describe('client certificates: each client_auth_type', () => {
  // ok: answered; refused: the connection is closed (at or right after the handshake).
  it.each([
    { name: 'NoClientCert', given: 'NoClientCert', want: { none: 'ok', client: 'ok', stranger: 'ok' } },
    { name: 'RequestClientCert', given: 'RequestClientCert', want: { none: 'ok', client: 'ok', stranger: 'ok' } },
    {
      name: 'RequireAnyClientCert',
      given: 'RequireAnyClientCert',
      want: { none: 'refused', client: 'ok', stranger: 'ok' },
    },
    {
      name: 'VerifyClientCertIfGiven',
      given: 'VerifyClientCertIfGiven',
      want: { none: 'ok', client: 'ok', stranger: 'refused' },
    },
    {
      name: 'RequireAndVerifyClientCert',
      given: 'RequireAndVerifyClientCert',
      want: { none: 'refused', client: 'ok', stranger: 'refused' },
    },
  ])('$name', async ({ given, want }) => {
    const ca = given === 'NoClientCert' ? '' : '  client_ca_file: ca.crt\n';
    const { port } = await serve(`${TLS()}  client_auth_type: ${given}\n${ca}`);
    const outcome = (client?: string) =>
      get(port, client ? { client } : {}).then(
        (a) => (a.status === 200 ? 'ok' : `status ${a.status}`),
        () => 'refused',
      );
    expect({ none: await outcome(), client: await outcome('client'), stranger: await outcome('stranger') }).toEqual(
      want,
    );
  });
});

describe('client_allowed_sans', () => {
  it('a client certificate must name one of them', async () => {
    // client.crt names no SAN; server.crt names 127.0.0.1 (shown as a client certificate here).
    const verify = `${TLS()}  client_auth_type: RequireAnyClientCert\n  client_ca_file: ca.crt\n`;
    const { port } = await serve(`${verify}  client_allowed_sans: [127.0.0.1, other.example]\n`);
    const outcome = (client?: string) =>
      get(port, client ? { client } : {}).then(
        (a) => (a.status === 200 ? 'ok' : `status ${a.status}`),
        () => 'refused',
      );
    expect({ none: await outcome(), client: await outcome('client'), named: await outcome('server') }).toEqual({
      none: 'refused',
      client: 'refused',
      named: 'ok',
    });
  });
});

describe('reload', () => {
  it('a rotated certificate is served to new connections; a kept-alive connection carries on', async () => {
    const { port, web, connections } = await serve(TLS() + users, 'rotate.yml');
    web.watch();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    closers.push(() => agent.destroy());
    const first = await get(port, { user: 'prometheus', agent });
    expect(first.status).toBe(200);
    expect(connections()).toBe(1); // counted once, over TLS too (the connection cap holds)

    // A new certificate and key (same names), written as cert-manager or certbot would.
    signed(t.dir, 'server2', '127.0.0.1', true);
    copyFileSync(join(t.dir, 'server2.key'), join(t.dir, 'server.key'));
    copyFileSync(join(t.dir, 'server2.crt'), join(t.dir, 'server.crt'));
    await vi.waitFor(async () => {
      const fresh = await get(port, { user: 'prometheus' });
      expect(fresh.fingerprint).not.toBe(first.fingerprint);
    }, WAIT);

    const again = await get(port, { user: 'prometheus', agent });
    expect(again.status).toBe(200);
    expect(again.localPort).toBe(first.localPort); // the same connection
    expect(again.fingerprint).toBe(first.fingerprint); // its handshake was before the rotation
  });

  it('a bad file is refused naming the key; the running config stays (users, TLS)', async () => {
    const { port, web, said, path } = await serve(TLS() + users, 'bad.yml');
    writeFileSync(path, `${TLS()}  client_auth_typo: NoClientCert\n${users}`);
    expect(web.reload('SIGHUP')).toBe(false);
    expect(said.at(-1)).toContain('tls_server_config.client_auth_typo: unknown key');
    expect(said.at(-1)).toContain('the running one stays');
    writeFileSync(path, `${TLS()}basic_auth_users:\n  eve: $2y$99$abc\n`);
    expect(web.reload('SIGHUP')).toBe(false);
    expect(said.at(-1)).toContain('basic_auth_users.eve: not a bcrypt hash');
    writeFileSync(path, users);
    expect(web.reload('SIGHUP')).toBe(false);
    expect(said.at(-1)).toContain('turning TLS on or off takes a restart');
    expect((await get(port, { user: 'prometheus' })).status).toBe(200);
    expect((await get(port, { user: 'prometheus', password: 'x' })).status).toBe(401);

    // A good file with other users: the old user is out, the new one in.
    writeFileSync(path, `${TLS()}basic_auth_users:\n  eve: ${bcrypt.hashSync('eve-pass-1', 4)}\n`);
    expect(web.reload('SIGHUP')).toBe(true);
    expect((await get(port, { user: 'prometheus' })).status).toBe(401);
    const eve = `Basic ${Buffer.from('eve:eve-pass-1').toString('base64')}`;
    expect((await get(port, { authorization: eve })).status).toBe(200);
  });

  it('a certificate that does not load is refused naming cert_file', async () => {
    const { web, said } = await serve(TLS() + users, 'badcert.yml');
    writeFileSync(join(t.dir, 'broken.crt'), 'not a certificate');
    writeFileSync(join(t.dir, 'badcert.yml'), 'tls_server_config:\n  cert_file: broken.crt\n  key_file: server.key\n');
    expect(web.reload('SIGHUP')).toBe(false);
    expect(said.at(-1)).toContain('tls_server_config.cert_file:');
    writeFileSync(join(t.dir, 'badcert.yml'), 'tls_server_config:\n  cert_file: missing.crt\n  key_file: server.key\n');
    expect(web.reload('SIGHUP')).toBe(false);
    expect(said.at(-1)).toMatch(/tls_server_config.cert_file: cannot read .*missing.crt: ENOENT/);
  });
});
