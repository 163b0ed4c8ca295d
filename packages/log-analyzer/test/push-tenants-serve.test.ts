// Tenants against a running server (issue 21, item 12): keys from a file (KEY:TENANT, KEY, KEY:*),
// another tenant's tenant_id refused, a clashing definition kept off /metrics with promtool silent,
// and after kill -9 the push log brings back every acknowledged sample in the same families.

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { spawnServe, tempDir, useProcesses } from './helpers.js';

const { running: servers, cleanups } = useProcesses();

it('tenants through the CLI: scopes enforced, a clash kept apart, kill -9 restores both exactly', async () => {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const keys = join(t.dir, 'keys');
  writeFileSync(keys, '# tenants\nkey-of-a:a\nkey-of-b:b\nkey-without-tenant\nkey-of-relay:*\n');
  // A checkpoint an hour away: after kill -9 everything comes back from the push log.
  const args = ['--watch', join(t.dir, '*.log'), '--positions', join(t.dir, 'cp.json'), '--checkpoint-interval', '1h'];
  const start = async () => {
    const s = spawnServe([...args, '--api-keys-file', keys]);
    servers.push(s);
    return { s, url: (await s.url).replace(/\/metrics$/, '') };
  };
  const { s, url } = await start();
  const push = async (key: string, body: object) => {
    const res = await fetch(`${url}/update`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    });
    return { status: res.status, reason: ((await res.json()) as { reason?: string }).reason };
  };
  expect(await push('key-of-b', { name: 'orders', type: 'counter', value: 5 })).toEqual({ status: 200 });
  const hostile = { name: 'orders', type: 'counter', value: 1000, tenant_id: 'b' };
  expect(await push('key-without-tenant', hostile)).toEqual({ status: 400, reason: 'tenant_not_allowed' });
  expect(await push('key-of-a', hostile)).toEqual({ status: 400, reason: 'tenant_not_allowed' });
  expect(await push('key-of-relay', { ...hostile, value: 1 })).toEqual({ status: 200 });
  expect(await push('key-of-a', { name: 'x', type: 'gauge', value: 2, help: 'A' })).toEqual({ status: 200 });
  expect(await push('key-of-b', { name: 'x', type: 'histogram', value: 0.3, buckets: [1] })).toEqual({ status: 200 });

  const check = async (text: string) => {
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${lint.stdout}${lint.stderr}`.trim()).toBe('');
    expect(text).toContain('\norders_total{tenant_id="b"} 6\n');
    expect(text).toContain('\nx{tenant_id="a"} 2\n');
    expect(text).not.toContain('x_bucket');
    expect(text).toContain('\nlog_analyzer_push_tenant_families 1\n');
  };
  await check(await (await fetch(`${url}/metrics`)).text());

  s.child.kill('SIGKILL');
  await s.exited;
  servers.splice(servers.indexOf(s), 1);
  const again = await start();
  await check(await (await fetch(`${again.url}/metrics`)).text());
  // The clash is still b's own: b's histogram goes on, a's gauge goes on.
  const after = { name: 'x', type: 'histogram', value: 0.5, buckets: [1] };
  const res = await fetch(`${again.url}/update`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer key-of-b' },
    body: JSON.stringify(after),
  });
  expect(res.status).toBe(200);
});
