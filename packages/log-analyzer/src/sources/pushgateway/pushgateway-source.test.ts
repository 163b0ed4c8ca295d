import { describe, expect, it } from 'vitest';
import { ApiKeys } from '../push/api-keys.js';
import { type PushgatewayOptions, PushgatewaySource } from './pushgateway-source.js';

/** A source with no timer and a checkpoint the test completes (or fails) by hand. */
function source(overrides: Partial<PushgatewayOptions> = {}) {
  const refused: string[] = [];
  let now = 1_000_000;
  const s: PushgatewaySource = new PushgatewaySource({
    maxBodyBytes: 1000,
    keys: () => null,
    ttlMs: null,
    durable: false,
    checkpoint: async () => s.durable(s.position()),
    taken: () => false,
    restored: null,
    onRefused: (reason) => refused.push(reason),
    onAnswered: () => {},
    now: () => now,
    ...overrides,
  });
  return { s, app: s.routes(), refused, tick: (ms: number) => (now += ms) };
}

describe('PushgatewaySource', () => {
  it('answers as pushgateway: 200 for a push, 202 for a delete, 400 with the reason, nothing applied', async () => {
    const { s, app, refused } = source();
    expect((await app.request('/metrics/job/j/a/1', { method: 'PUT', body: 'x 1\n' })).status).toBe(200);
    const bad = await app.request('/metrics/job/j/a/1', { method: 'POST', body: 'x 1\ny{\n' });
    expect([bad.status, await bad.text()]).toEqual([
      400,
      'text format parsing error in line 2: invalid label name for metric "y"\n',
    ]);
    expect((await app.request('/metrics/job/j/a', { method: 'PUT', body: '' })).status).toBe(400);
    expect(refused).toEqual(['invalid_body', 'invalid_body']);
    expect(s.exposition()).toContain('x{a="1",instance="",job="j"} 1');
    expect((await app.request('/metrics/job/j/a/1', { method: 'DELETE' })).status).toBe(202);
    expect(s.exposition()).toBe('');
  });

  it('a body over the limit is 413', async () => {
    const { app, refused } = source();
    expect((await app.request('/metrics/job/j', { method: 'PUT', body: 'x 1\n'.repeat(300) })).status).toBe(413);
    expect(refused).toEqual(['body_too_large']);
  });

  it('durable: serves only what a checkpoint holds; 500 when none could be written', async () => {
    let write = true;
    const { s, app } = source({ durable: true, checkpoint: async () => (write ? s.durable(s.position()) : undefined) });
    expect((await app.request('/metrics/job/j', { method: 'PUT', body: 'x 1\n' })).status).toBe(200);
    expect(s.exposition()).toContain('x{instance="",job="j"} 1');
    write = false;
    const failed = await app.request('/metrics/job/j', { method: 'PUT', body: 'x 2\n' });
    expect(failed.status).toBe(500);
    expect(s.exposition()).toContain('x{instance="",job="j"} 1');
  });

  it("a tenant's key puts its tenant_id in the grouping key; another tenant_id is 403; no key is 401", async () => {
    const keys = new ApiKeys([{ key: 'tenant-a-key', tenant: 'a' }]);
    const { s, app } = source({ keys: () => keys });
    const auth = { Authorization: 'Bearer tenant-a-key' };
    expect((await app.request('/metrics/job/j', { method: 'PUT', body: 'x 1\n' })).status).toBe(401);
    expect(
      (await app.request('/metrics/job/j/tenant_id/b', { method: 'PUT', body: 'x 1\n', headers: auth })).status,
    ).toBe(403);
    expect((await app.request('/metrics/job/j', { method: 'PUT', body: 'x 1\n', headers: auth })).status).toBe(200);
    expect(s.exposition()).toContain('x{instance="",job="j",tenant_id="a"} 1');
  });

  it('--pushgateway-ttl drops a group not changed for that long, and the change is checkpointed', () => {
    const { s, tick } = source({ ttlMs: 60_000 });
    s.stop();
    return (async () => {
      await s.routes().request('/metrics/job/j', { method: 'PUT', body: 'x 1\n' });
      const version = s.positionVersion;
      tick(59_999);
      s.expire();
      expect(s.exposition()).toContain('job="j"');
      tick(1);
      s.expire();
      expect(s.exposition()).toBe('');
      expect(s.positionVersion).toBe(version + 1);
    })();
  });

  it('restores the groups a checkpoint holds', async () => {
    const { s, app } = source();
    await app.request('/metrics/job/j', { method: 'PUT', body: 'x NaN\n' });
    const restored = JSON.parse(JSON.stringify(s.position()));
    const { s: again } = source({ restored });
    expect(again.exposition()).toBe(s.exposition());
  });
});
