// Issue 27 item 3: the service's own log, from a real process in JSON mode. Every stderr line of a
// run (start, pushes, refused pushes and reads, hostile request ids, a reload, a refused reload,
// a stop) is JSON with time, level and msg; a refused request's line carries the id its answer's
// X-Request-Id gave; and nothing any request presented as a credential (API keys as Bearer,
// X-API-Key or a Basic password, whatever Authorization header was sent) appears in any line.
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { spawnServe, tempDir, useProcesses, WAIT } from './helpers.js';

const { running, cleanups } = useProcesses();

const WRITE_KEY = 'write-key-Qx7pL2';
const READ_KEY = 'read-key-Zr9mK4';
const WRONG = 'wrong-key-Vb3nH8';
const BODY_SECRET = 'body-secret-Tg5wE1';

/** Every header value sent as a credential, to scan the log for (and each Basic header's decoded password). */
const presented: string[] = [];

async function request(url: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<Response> {
  for (const [name, value] of Object.entries(init.headers ?? {})) {
    if (!/^(authorization|x-api-key)$/i.test(name)) continue;
    presented.push(value);
    const [scheme, credential] = value.split(' ');
    if (credential) presented.push(credential);
    if (scheme === 'Basic' && credential) {
      const decoded = Buffer.from(credential, 'base64').toString();
      presented.push(decoded, decoded.slice(decoded.indexOf(':') + 1));
    }
  }
  return fetch(url, init);
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** A request written byte by byte: an X-Request-Id fetch would refuse to send (bytes that are not UTF-8). */
function rawRequest(port: number, head: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(head));
    let answer = '';
    socket.on('data', (d) => {
      answer += d.toString('latin1');
    });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

it('in JSON mode every line is JSON with time, level and msg; refusals carry the answer’s request id; no secret is logged', async () => {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const config = join(dir, 'config.toml');
  writeFileSync(config, '[push]\nmax_labels = 32\n');
  const served = spawnServe(
    [
      '--watch',
      join(dir, '*.log'),
      '--no-positions',
      '--config',
      config,
      '--api-key',
      WRITE_KEY,
      '--api-key',
      READ_KEY,
      '--metrics-auth',
      '--push-max-body',
      '1KiB',
    ],
    [],
    { LOG_ANALYZER_LOG_FORMAT: 'json' },
  );
  running.push(served);
  const metrics = await served.url;
  const base = metrics.replace(/\/metrics$/, '');
  const port = Number(new URL(base).port);
  const track = `${base}/metrics/track`;
  const sample = JSON.stringify({ name: 'jobs_total', value: 1, type: 'counter', labels: { note: BODY_SECRET } });
  const json = { 'Content-Type': 'application/json' };

  // Accepted pushes and reads, each way a key is presented today: quiet at the default level.
  expect(
    (await request(track, { method: 'POST', headers: { ...json, Authorization: `Bearer ${WRITE_KEY}` }, body: sample }))
      .status,
  ).toBe(200);
  expect(
    (await request(track, { method: 'POST', headers: { ...json, 'X-API-Key': WRITE_KEY }, body: sample })).status,
  ).toBe(200);
  expect((await request(metrics, { headers: { Authorization: basic('anyone', READ_KEY) } })).status).toBe(200);
  expect((await request(metrics, { headers: { Authorization: `Bearer ${READ_KEY}` } })).status).toBe(200);

  // Refused: a wrong Bearer key, a wrong Basic password, an over-size body, a missing key.
  const refused: Response[] = [
    await request(track, { method: 'POST', headers: { ...json, Authorization: `Bearer ${WRONG}` }, body: sample }),
    await request(metrics, { headers: { Authorization: basic('admin', WRONG), 'X-Request-Id': 'client-id-42' } }),
    await request(track, {
      method: 'POST',
      headers: { ...json, Authorization: `Bearer ${WRITE_KEY}` },
      body: JSON.stringify({ name: 'big', value: 1, type: 'counter', labels: { pad: BODY_SECRET.repeat(100) } }),
    }),
    await request(`${base}/api/status`),
  ];
  expect(refused.map((r) => r.status)).toEqual([401, 401, 413, 401]);
  // An incoming id is honoured; hostile ones are replaced (huge, a control character).
  expect(refused[1]?.headers.get('x-request-id')).toBe('client-id-42');
  const huge = await request(metrics, { headers: { 'X-Request-Id': 'h'.repeat(10_000) } });
  const tab = await request(metrics, { headers: { 'X-Request-Id': 'abc\tdef' } });
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  for (const r of [huge, tab]) expect(r.headers.get('x-request-id')).toMatch(uuid);
  // …and bytes that are not UTF-8, sent raw.
  const raw = await rawRequest(
    port,
    Buffer.concat([
      Buffer.from('GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nX-Request-Id: id-'),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from('\r\n\r\n'),
    ]),
  );
  expect(raw).toMatch(/^HTTP\/1\.1 401 /);
  const rawId = /\r\nx-request-id: ([^\r]*)\r\n/i.exec(raw)?.[1];
  expect(rawId).toMatch(uuid);

  // A reload, and a refused one.
  writeFileSync(config, '[push]\nmax_labels = 5\n');
  served.child.kill('SIGHUP');
  await vi.waitFor(() => expect(served.stderr()).toMatch(/configuration reloaded/), WAIT);
  writeFileSync(config, '[push]\nmax_labels = "many"\n');
  served.child.kill('SIGHUP');
  await vi.waitFor(() => expect(served.stderr()).toMatch(/the new configuration is refused/), WAIT);

  served.child.kill('SIGTERM');
  expect(await served.exited).toBe(0);

  const lines = served.stderr().trimEnd().split('\n');
  const parsed = lines.map((line) => {
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`not JSON: ${line}`);
    }
    expect([line, typeof value.time, typeof value.level, typeof value.msg]).toEqual([
      line,
      'string',
      'string',
      'string',
    ]);
    expect(Number.isNaN(Date.parse(value.time as string))).toBe(false);
    return value;
  });
  const said = parsed.map((p) => p.msg);
  expect(said[0]).toMatch(/^started version .*: following .*; metrics on http:\/\//);
  expect(said).toContain('SIGTERM: checkpointing and stopping');
  // Reloads (SIGHUP, or the file watcher seeing the same change first): applied at info, refused at warn.
  const reloads = parsed.filter((p) => p.event === 'reload');
  expect(new Set(reloads.map((p) => `${p.level} ${p.result}`))).toEqual(new Set(['info success', 'warn failure']));
  for (const p of reloads) expect(p.trigger).toMatch(/^(SIGHUP|.*config\.toml changed)$/);

  // Each refusal: one warn line with the id its answer carried, the route, the remote address and a reason.
  const refusals = parsed.filter((p) => p.msg === 'request refused');
  for (const [response, route, reason] of [
    [refused[0], '/metrics/track', /a valid API key is needed/],
    [refused[1], '/metrics', /a valid API key is needed/],
    [refused[2], '/metrics/track', /larger than 1024 bytes/],
    [refused[3], '/api/status', /a valid API key is needed/],
  ] as const) {
    const id = response?.headers.get('x-request-id');
    expect(id).toBeTruthy();
    expect(refusals.filter((p) => p.requestId === id)).toEqual([
      expect.objectContaining({ level: 'warn', route, remote: '127.0.0.1', reason: expect.stringMatching(reason) }),
    ]);
  }
  expect(refusals.map((p) => p.requestId)).toEqual(
    expect.arrayContaining([huge.headers.get('x-request-id'), tab.headers.get('x-request-id'), rawId]),
  );
  // Quiet on the happy path: the accepted requests left no line.
  expect(refusals).toHaveLength(7);

  // No credential, no password, no body.
  const log = served.stderr();
  expect(presented.length).toBeGreaterThan(10);
  for (const secret of [...new Set([...presented, WRITE_KEY, READ_KEY, WRONG, BODY_SECRET])]) {
    expect(log.includes(secret), `${secret} in the log`).toBe(false);
  }
});
