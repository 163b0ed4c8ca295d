// Reloading the configuration under load: noise-maker writes while SIGHUP (and a changed file)
// swap the watched glob; the file that stops matching is read to its end and let go, the one that
// starts matching is read from where --from says; a bad new config is refused and the old one
// keeps running. Exact totals throughout.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { spawnNoiseMaker, spawnServe, tempDir, useProcesses } from './helpers.js';

const LONG = { timeout: 60_000, interval: 50 };
const { running, cleanups } = useProcesses();

it('SIGHUP swaps a watched glob under load: exact totals, the old file let go, a bad config refused', async () => {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const [a, b] = [join(dir, 'one', 'a.log'), join(dir, 'two', 'b.log')];
  const config = join(dir, 'config.toml');
  const write = (glob: string) =>
    writeFileSync(config, `[files]\nwatch = ["${glob}"]\nfrom = "beginning"\n[checkpoint]\ninterval = "100ms"\n`);
  write(join(dir, 'one', '*.log'));
  // a.log: 3,000 lines, done before the reload.
  const first = spawnNoiseMaker(['--count', '3000', '--rate', '20000', '--seed', '1', '--output', a, '--quiet']);
  await new Promise((r) => first.on('exit', r));
  const served = spawnServe(['--config', config, '--positions', join(dir, 'state', 'checkpoint.json')]);
  running.push(served);
  await served.url;
  await vi.waitFor(async () => expect(await served.value('log_lines_total', `file="${a}"`)).toBe(3000), LONG);
  // b.log is being written (10,000 lines at 5,000/s) while the glob moves to it.
  const second = spawnNoiseMaker(['--count', '10000', '--rate', '5000', '--seed', '2', '--output', b, '--quiet']);
  const secondDone = new Promise((r) => second.on('exit', r));
  write(join(dir, 'two', '*.log'));
  served.child.kill('SIGHUP');
  await vi.waitFor(
    async () =>
      expect(await served.value('log_analyzer_config_reloads_total', 'result="success"')).toBeGreaterThanOrEqual(1),
    LONG,
  );
  await secondDone;
  await vi.waitFor(async () => expect(await served.value('log_lines_total', `file="${b}"`)).toBe(10_000), LONG);
  // A bad config: refused, counted, and the running one goes on.
  writeFileSync(config, '[files]\nwatch = "not a list"\n');
  served.child.kill('SIGHUP');
  await vi.waitFor(
    async () =>
      expect(await served.value('log_analyzer_config_reloads_total', 'result="failure"')).toBeGreaterThanOrEqual(1),
    LONG,
  );
  expect(served.stderr()).toMatch(
    /the new configuration is refused, the running one stays: .*files\.watch: expected a list of strings/,
  );
  // a.log is no longer watched: more lines there are not counted; b.log still is.
  const third = spawnNoiseMaker(['--count', '500', '--rate', '20000', '--seed', '3', '--output', a, '--quiet']);
  const fourth = spawnNoiseMaker(['--count', '700', '--rate', '20000', '--seed', '4', '--output', b, '--quiet']);
  await Promise.all([new Promise((r) => third.on('exit', r)), new Promise((r) => fourth.on('exit', r))]);
  await vi.waitFor(async () => expect(await served.value('log_lines_total', `file="${b}"`)).toBe(10_700), LONG);
  // One more full round of checkpoints: nothing late, nothing twice.
  const writes = await served.value('log_analyzer_checkpoint_writes_total');
  const marker = spawnNoiseMaker(['--count', '1', '--rate', 'max', '--seed', '5', '--output', b, '--quiet']);
  await new Promise((r) => marker.on('exit', r));
  await vi.waitFor(
    async () => expect(await served.value('log_analyzer_checkpoint_writes_total')).toBeGreaterThan(writes),
    LONG,
  );
  await vi.waitFor(async () => expect(await served.value('log_lines_total', `file="${b}"`)).toBe(10_701), LONG);
  expect(await served.value('log_lines_total', `file="${a}"`)).toBe(3000);
}, 120_000);

it('a reload rotates the API keys and changes push limits in place; a change that needs a restart says so', async () => {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const config = join(dir, 'config.toml');
  writeFileSync(config, '[push]\napi_keys = ["old-key-123"]\nmax_labels = 32\n');
  const served = spawnServe(['--config', config, '--no-positions', '--watch', join(dir, '*.log')]);
  running.push(served);
  const base = (await served.url).replace(/\/metrics$/, '');
  const push = (key: string, labels: Record<string, string> = {}) =>
    fetch(`${base}/metrics/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ name: 'rotated', type: 'counter', value: 1, labels }),
    }).then((r) => r.status);
  expect(await push('old-key-123', { a: '1', b: '2' })).toBe(200);
  writeFileSync(config, '[push]\napi_keys = ["new-key-456"]\nmax_labels = 1\n[server]\nmax_connections = 10\n');
  served.child.kill('SIGHUP');
  await vi.waitFor(
    async () =>
      expect(await served.value('log_analyzer_config_reloads_total', 'result="success"')).toBeGreaterThanOrEqual(1),
    LONG,
  );
  expect(await push('old-key-123')).toBe(401);
  expect(await push('new-key-456')).toBe(200);
  expect(await push('new-key-456', { a: '1', b: '2' })).toBe(400); // two labels, more than max_labels now
  expect(served.stderr()).toMatch(
    /configuration reloaded: changed API keys 1 key \(replaced\), push\.max_labels 32 → 1; at the next start: server\.max_connections 256 → 10\n/,
  );
  expect(served.stderr()).not.toMatch(/old-key-123|new-key-456/);
  expect(await served.value('rotated_total')).toBe(2);
}, 60_000);

it('a reload changes the log format in place: chunks read from then on are parsed with the new one', async () => {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const config = join(dir, 'config.toml');
  const log = join(dir, 'access.log');
  writeFileSync(config, `[files]\nwatch = ["${log}"]\nfrom = "beginning"\nformat = "common"\n`);
  const served = spawnServe(['--config', config, '--no-positions']);
  running.push(served);
  await served.url;
  const write = async (count: number, seed: number) => {
    const w = spawnNoiseMaker([
      '--count',
      String(count),
      '--rate',
      'max',
      '--seed',
      String(seed),
      '--format',
      'combined_duration',
      '--output',
      log,
      '--quiet',
    ]);
    await new Promise((r) => w.on('exit', r));
  };
  await write(200, 1);
  await vi.waitFor(async () => expect(await served.value('log_lines_total')).toBe(200), LONG);
  expect(await served.value('http_request_duration_seconds_count')).toBe(0);
  writeFileSync(config, `[files]\nwatch = ["${log}"]\nfrom = "beginning"\nformat = "combined_duration"\n`);
  served.child.kill('SIGHUP');
  await vi.waitFor(
    async () =>
      expect(await served.value('log_analyzer_config_reloads_total', 'result="success"')).toBeGreaterThanOrEqual(1),
    LONG,
  );
  await write(300, 2);
  await vi.waitFor(async () => expect(await served.value('log_lines_total')).toBe(500), LONG);
  await vi.waitFor(async () => expect(await served.value('http_request_duration_seconds_count')).toBe(300), LONG);
  // One more line, and the totals again: nothing counted late or twice.
  await write(1, 3);
  await vi.waitFor(async () => expect(await served.value('log_lines_total')).toBe(501), LONG);
  expect(await served.value('http_request_duration_seconds_count')).toBe(301);
  expect(served.stderr()).not.toMatch(/format: at the next start/);
}, 60_000);

/** Writes a file whole (a temp file renamed over it): the once-a-second look never sees it half-written. */
function replace(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

it('a reload never weakens auth silently: no keys is refused unless allow_unauthenticated, and each reload says what changed', async () => {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const config = join(dir, 'config.toml');
  replace(config, '[push]\napi_keys = ["old-key-123"]\n');
  const served = spawnServe(['--config', config, '--no-positions', '--watch', join(dir, '*.log')]);
  running.push(served);
  const base = (await served.url).replace(/\/metrics$/, '');
  const push = (key?: string) =>
    fetch(`${base}/metrics/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({ name: 'guarded', type: 'counter', value: 1 }),
    }).then((r) => r.status);
  const reloads = (result: string) => served.value('log_analyzer_config_reloads_total', `result="${result}"`);
  expect(await push()).toBe(401);
  // The file is looked at every second: each write below is one reload (no SIGHUP, which would be a second).
  // The keys gone (a half-written file, or a mistake): refused, the running keys stay.
  replace(config, '[push]\nmax_labels = 5\n');
  await vi.waitFor(async () => expect(await reloads('failure')).toBe(1), LONG);
  expect(served.stderr()).toMatch(
    /the new configuration is refused, the running one stays: the new configuration has no API key \(the running one has 1 key\).*allow_unauthenticated = true \(--push-open\)/,
  );
  expect(await push()).toBe(401);
  expect(await push('old-key-123')).toBe(200);
  // The next reload compares with what runs (max_labels was never applied).
  replace(config, '[push]\napi_keys = ["old-key-123", "new-key-456"]\nmax_labels = 5\n');
  await vi.waitFor(async () => expect(await reloads('success')).toBe(1), LONG);
  expect(served.stderr()).toMatch(/configuration reloaded: changed API keys 1 key → 2 keys, push\.max_labels 32 → 5\n/);
  expect(await push('new-key-456')).toBe(200);
  // Open push, said explicitly: accepted, and said.
  replace(config, '[push]\nallow_unauthenticated = true\n');
  await vi.waitFor(async () => expect(await reloads('success')).toBe(2), LONG);
  expect(served.stderr()).toMatch(
    /configuration reloaded: changed API keys 2 keys → 0 keys \(push is open to anyone: --push-open\), push\.max_labels 5 → 32, push\.allow_unauthenticated false → true\n/,
  );
  expect(await push()).toBe(200);
  expect(served.stderr()).not.toMatch(/old-key-123|new-key-456/);
  expect(await served.value('guarded_total')).toBe(3);
}, 60_000);

it('--metrics-auth: a reload to no key is refused (even with allow_unauthenticated), /metrics keeps answering the key', async () => {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const config = join(dir, 'config.toml');
  replace(config, '[push]\napi_keys = ["read-key-123"]\n[metrics]\nauth = true\n');
  const served = spawnServe(['--config', config, '--no-positions', '--watch', join(dir, '*.log')]);
  running.push(served);
  const url = await served.url;
  const scrape = (key?: string) => fetch(url, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  expect((await scrape()).status).toBe(401);
  expect((await scrape('read-key-123')).status).toBe(200);
  replace(config, '[push]\nallow_unauthenticated = true\n[metrics]\nauth = true\n');
  await vi.waitFor(async () => {
    const text = await (await scrape('read-key-123')).text();
    expect(text).toMatch(/log_analyzer_config_reloads_total\{result="failure"\} 1/);
  }, LONG);
  expect(served.stderr()).toMatch(/refused, the running one stays: --metrics-auth needs at least one API key/);
  expect((await scrape('read-key-123')).status).toBe(200);
  expect((await scrape()).status).toBe(401);
}, 60_000);
