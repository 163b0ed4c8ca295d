import { describe, expect, it } from 'vitest';
import { TrafficModel } from './traffic-model.js';

const requests = (n: number, errorRate = 0) => {
  const model = new TrafficModel({ seed: 7, errorRate });
  return Array.from({ length: n }, () => model.next());
};

describe('TrafficModel', () => {
  // Written out by hand from what servers answer, not from the model's own table.
  const allowed: [method: string, statuses: number[]][] = [
    ['GET', [200, 206, 301, 302, 304, 400, 401, 403, 404, 429]],
    ['HEAD', [200, 301, 302, 304, 401, 403, 404]],
    ['POST', [200, 201, 302, 303, 400, 401, 403, 404, 409, 422, 429]],
    ['PUT', [200, 201, 204, 400, 401, 403, 404, 409]],
    ['PATCH', [200, 204, 400, 404, 409, 422]],
    ['DELETE', [200, 204, 401, 403, 404]],
    ['OPTIONS', [200, 204]],
    ['PROPFIND', [403, 404, 405]], // a WebDAV probe: not allowed, or no such path
  ];
  const sample = requests(200_000);

  it.each(allowed)('%s is answered only with statuses a server gives it', (method, statuses) => {
    const seen = new Set(sample.filter((r) => r.method === method).map((r) => r.status));
    expect(seen.size).toBeGreaterThan(0);
    expect([...seen].filter((s) => !statuses.includes(s))).toEqual([]);
  });

  it('no 304 or 206 to anything but a read, no 201 to a read', () => {
    const reads = new Set(['GET', 'HEAD']);
    expect(sample.filter((r) => (r.status === 304 || r.status === 206) && !reads.has(r.method))).toEqual([]);
    expect(sample.filter((r) => r.status === 201 && reads.has(r.method))).toEqual([]);
  });

  it('a few clients send most requests, and many send only a few', () => {
    const perClient = new Map<string, number>();
    for (const r of sample) perClient.set(r.client, (perClient.get(r.client) ?? 0) + 1);
    const counts = [...perClient.values()].sort((a, b) => b - a);
    const top10 = counts.slice(0, 10).reduce((a, b) => a + b, 0);
    expect(top10 / sample.length).toBeGreaterThan(0.4);
    expect(counts.length).toBeGreaterThan(1000);
    expect(counts.filter((c) => c <= 20).length).toBeGreaterThan(counts.length / 4);
  });

  it('a client keeps its browser', () => {
    const agents = new Map<string, Set<string>>();
    for (const r of sample.filter((r) => !r.userAgent.includes('zgrab'))) {
      agents.set(r.client, (agents.get(r.client) ?? new Set()).add(r.userAgent));
    }
    expect([...agents.values()].every((set) => set.size === 1)).toBe(true);
  });

  it('the error rate is the share of 5xx whatever the method', () => {
    const errors = requests(50_000, 0.2).filter((r) => r.status >= 500).length;
    expect(errors / 50_000).toBeGreaterThan(0.18);
    expect(errors / 50_000).toBeLessThan(0.22);
  });
});
