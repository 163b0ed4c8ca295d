// The Pushgateway API against the real clients (prom-client's Pushgateway, Python's
// prometheus_client) and compared, family by family, with a real prometheus-pushgateway (Debian)
// given the same calls; groups surviving kill -9; the TTL; the additive mode; the push API keys.

import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Counter, Gauge, Histogram, Pushgateway, Registry, Summary } from 'prom-client';
import { expect, it, vi } from 'vitest';
import { parseTextFormat, type TextFamily } from '../src/transforms/pushgateway/text-format.js';
import { type Served, spawnServe, tempDir, useProcesses, WAIT } from './helpers.js';
import { DELIMITED_TYPE, encodeDelimited } from './metric-family-proto.js';

const { running: servers, cleanups } = useProcesses();

function serve(args: string[]): Served {
  const s = spawnServe(args);
  servers.push(s);
  return s;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A real prometheus-pushgateway, no persistence, on a free port; resolves with its base URL once ready. */
async function realPushgateway(): Promise<string> {
  const port = await freePort();
  const child = spawn('prometheus-pushgateway', ['--persistence.file=', `--web.listen-address=127.0.0.1:${port}`], {
    stdio: 'ignore',
  });
  cleanups.unshift(() => child.kill('SIGKILL'));
  const base = `http://127.0.0.1:${port}`;
  await vi.waitFor(async () => expect((await fetch(`${base}/-/ready`)).status).toBe(200), WAIT);
  return base;
}

/** The analyzer's base URL (its /metrics URL without the path). */
async function baseOf(s: Served): Promise<string> {
  return new URL(await s.url).origin;
}

/** The same calls through prom-client, in order; the status of each (200s as 'ok'). */
async function promClientCalls(base: string): Promise<string[]> {
  const results: string[] = [];
  const record = async (call: Promise<unknown>) => {
    try {
      await call;
      results.push('ok');
    } catch (error) {
      results.push(/status (\d+)/.exec((error as Error).message)?.[1] ?? (error as Error).message);
    }
  };
  const registry = new Registry();
  const jobs = new Counter({ name: 'pg_jobs_total', help: 'Jobs run.', labelNames: ['kind'], registers: [registry] });
  const last = new Gauge({ name: 'pg_last_success_seconds', help: 'Last success.', registers: [registry] });
  const duration = new Histogram({
    name: 'pg_duration_seconds',
    help: 'Run time.',
    buckets: [0.1, 1],
    registers: [registry],
  });
  const sizes = new Summary({ name: 'pg_sizes_bytes', help: 'Sizes.', percentiles: [0.5, 0.9], registers: [registry] });
  jobs.inc({ kind: 'full' }, 3);
  jobs.inc({ kind: 'say "hi"\\ \n' }, 1);
  last.set(1712345678.5);
  duration.observe(0.05);
  duration.observe(2);
  sizes.observe(10);
  sizes.observe(30);
  const gateway = new Pushgateway(base, {}, registry);
  await record(gateway.pushAdd({ jobName: 'batch', groupings: { instance: 'w1', zone: 'eu west' } }));
  await record(gateway.push({ jobName: 'batch', groupings: { instance: 'w2' } }));
  // POST of one family: the group's others stay.
  const only = new Registry();
  new Gauge({ name: 'pg_last_success_seconds', help: 'Last success.', registers: [only] }).set(Number.NaN);
  await record(
    new Pushgateway(base, {}, only).pushAdd({ jobName: 'batch', groupings: { instance: 'w1', zone: 'eu west' } }),
  );
  // PUT of an empty registry: an empty group.
  await record(new Pushgateway(base, {}, new Registry()).push({ jobName: 'empty' }));
  await record(gateway.push({ jobName: 'gone' }));
  await record(gateway.delete({ jobName: 'gone' }));
  // A type other than the one pushed before: refused, the failure time set.
  const clash = new Registry();
  new Gauge({ name: 'pg_jobs_total', help: 'Jobs run.', registers: [clash] }).set(1);
  await record(new Pushgateway(base, {}, clash).push({ jobName: 'clash' }));
  return results;
}

/** The same calls through Python's prometheus_client. */
function pythonCalls(base: string): string {
  const script = `
import sys
from prometheus_client import CollectorRegistry, Counter, Gauge, push_to_gateway, pushadd_to_gateway, delete_from_gateway
from urllib.error import HTTPError
gw = sys.argv[1]
r = CollectorRegistry()
c = Counter('py_items', 'Items.', ['kind'], registry=r)
c.labels('a').inc(5)
g = Gauge('py_temperature_celsius', 'Temp.', registry=r)
g.set(-3.25)
push_to_gateway(gw, job='py', registry=r, grouping_key={'path': '/var/tmp', 'empty': ''})
r2 = CollectorRegistry()
Gauge('py_extra', 'Extra.', registry=r2).set(float('inf'))
pushadd_to_gateway(gw, job='py', registry=r2, grouping_key={'path': '/var/tmp', 'empty': ''})
push_to_gateway(gw, job='py2', registry=r2)
delete_from_gateway(gw, job='py2')
out = []
try:
    push_to_gateway(gw, job='bad/job', registry=r2, grouping_key={'a': 'b'})
    out.append('ok')
except HTTPError as e:
    out.append(str(e.code))
print(' '.join(out))
`;
  return execFileSync('/usr/bin/python3', ['-c', script, base], { encoding: 'utf8' }).trim();
}

/** The families on a /metrics page, by name, for the names asked. */
async function families(metricsUrl: string, names: Set<string>): Promise<Map<string, TextFamily>> {
  const parsed = parseTextFormat(await (await fetch(metricsUrl)).text());
  if ('error' in parsed) throw new Error(parsed.error);
  return new Map(parsed.families.filter((f) => names.has(f.name)).map((f) => [f.name, f]));
}

/** A family's samples, comparable: sorted lines; push times and _created only as zero / non-zero. */
function comparable(family: TextFamily | undefined): unknown {
  if (!family) return undefined;
  const timeLike = family.name.startsWith('push_') || family.name.endsWith('_created');
  const lines = family.samples.map((s) => {
    const labels = [...s.labels].sort(([a], [b]) => (a < b ? -1 : 1));
    const value = timeLike ? (s.value === 0 ? 'zero' : 'time') : String(s.value);
    return `${s.name}${JSON.stringify(labels)} ${value}`;
  });
  return { type: family.type, help: family.help, samples: lines.sort() };
}

async function groupNames(base: string): Promise<Set<string>> {
  const api = (await (await fetch(`${base}/api/v1/metrics`)).json()) as { data: Record<string, unknown>[] };
  return new Set(api.data.flatMap((g) => Object.keys(g).filter((k) => k !== 'labels' && k !== 'last_push_successful')));
}

it('prom-client and prometheus_client calls give what a real pushgateway shows, family by family', async () => {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const reference = await realPushgateway();
  const s = serve(['--watch', join(t.dir, '*.log'), '--positions', join(t.dir, 'positions.json')]);
  const ours = await baseOf(s);

  const want = await promClientCalls(reference);
  expect(await promClientCalls(ours)).toEqual(want);
  expect(want).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', '400']);
  const wantPython = pythonCalls(reference);
  expect(wantPython).toBe('ok'); // the job with a slash goes as job@base64
  expect(pythonCalls(ours)).toBe(wantPython);

  const names = await groupNames(reference);
  expect(await groupNames(ours)).toEqual(names);
  expect(names).toContain('py_items_created');
  const expected = await families(`${reference}/metrics`, names);
  const observed = await families(await s.url, names);
  expect([...expected.keys()].sort()).toEqual([...names].sort());
  for (const name of names)
    expect({ name, ...(comparable(observed.get(name)) as object) }).toEqual({
      name,
      ...(comparable(expected.get(name)) as object),
    });
  expect((await fetch(`${ours}/-/healthy`)).status).toBe(200);
  expect((await fetch(`${ours}/-/ready`)).status).toBe(200);
});

it('the delimited protobuf body (as client_golang pushes it) gives what a real pushgateway shows', async () => {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const reference = await realPushgateway();
  const s = serve(['--watch', join(t.dir, '*.log'), '--no-positions']);
  const ours = await baseOf(s);
  const body = encodeDelimited([
    { name: 'go_pushed_total', help: 'Pushed.', type: 0, metrics: [{ labels: [['kind', 'a/b']], counter: 7 }] },
    {
      name: 'go_latency_seconds',
      help: 'Latency.',
      type: 4,
      metrics: [
        {
          histogram: {
            count: 4,
            sum: 2.5,
            buckets: [
              [0.5, 3],
              [1, 3],
            ],
          },
        },
      ],
    },
    {
      name: 'go_sizes_bytes',
      type: 2,
      metrics: [
        {
          summary: {
            count: 2,
            sum: 40,
            quantiles: [
              [0.5, 10],
              [0.99, 30],
            ],
          },
        },
      ],
    },
    { name: 'go_up', type: 1, metrics: [{ gauge: 1 }] },
  ]);
  const stamped = encodeDelimited([{ name: 'go_up', type: 1, metrics: [{ gauge: 1, timestampMs: 1 }] }]);
  const statuses = async (base: string) => {
    const out: number[] = [];
    for (const [method, path, bytes] of [
      ['PUT', '/metrics/job/go/instance/h1', body],
      ['POST', '/metrics/job/go/instance/h2', body],
      ['PUT', '/metrics/job/stamped', stamped],
    ] as const) {
      const res = await fetch(`${base}${path}`, {
        method,
        body: Buffer.from(bytes),
        headers: { 'Content-Type': DELIMITED_TYPE },
      });
      out.push(res.status);
    }
    return out;
  };
  expect(await statuses(ours)).toEqual(await statuses(reference));
  const names = await groupNames(reference);
  expect(await groupNames(ours)).toEqual(names);
  const expected = await families(`${reference}/metrics`, names);
  const observed = await families(await s.url, names);
  expect([...expected.keys()].sort()).toEqual([...names].sort());
  for (const name of names)
    expect({ name, ...(comparable(observed.get(name)) as object) }).toEqual({
      name,
      ...(comparable(expected.get(name)) as object),
    });
});

it('kill -9 after the answers: every group is back, values and push times equal', async () => {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const args = [
    '--watch',
    join(t.dir, '*.log'),
    '--positions',
    join(t.dir, 'positions.json'),
    '--checkpoint-interval',
    '1h',
  ];
  const first = serve(args);
  const base = await baseOf(first);
  await promClientCalls(base);
  const before = await (await fetch(`${base}/api/v1/metrics`)).json();
  first.child.kill('SIGKILL');
  await first.exited;
  const second = serve(args);
  const after = await (await fetch(`${await baseOf(second)}/api/v1/metrics`)).json();
  expect(after).toEqual(before);
  expect(await second.value('pg_jobs_total', 'kind="full"')).toBe(6);
});

it('--pushgateway-ttl drops a group not pushed to; /add adds counters; the push keys apply', async () => {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const s = serve([
    '--watch',
    join(t.dir, '*.log'),
    '--no-positions',
    '--pushgateway-ttl',
    '1s',
    '--api-key',
    'secret-key-1',
  ]);
  const base = await baseOf(s);
  const registry = new Registry();
  new Counter({ name: 'add_runs_total', help: 'Runs.', registers: [registry] }).inc(2);
  const auth = { headers: { Authorization: 'Bearer secret-key-1' } };
  await expect(new Pushgateway(`${base}/add`, {}, registry).pushAdd({ jobName: 'w' })).rejects.toThrow(/status 401/);
  const additive = new Pushgateway(`${base}/add`, auth, registry);
  await additive.pushAdd({ jobName: 'w' });
  await additive.pushAdd({ jobName: 'w' });
  await additive.push({ jobName: 'w' });
  expect(await s.value('add_runs_total', 'job="w"')).toBe(6);
  await new Pushgateway(base, auth, registry).push({ jobName: 'w' });
  expect(await s.value('add_runs_total', 'job="w"')).toBe(2);
  await vi.waitFor(async () => expect(await (await fetch(await s.url)).text()).not.toContain('job="w"'), WAIT);
});

it("a JSON push may not take a Pushgateway group's family name: /metrics never shows it twice", async () => {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const s = serve(['--watch', join(t.dir, '*.log'), '--no-positions']);
  const base = await baseOf(s);
  const registry = new Registry();
  new Counter({ name: 'shared_jobs_total', help: 'Jobs.', registers: [registry] }).inc(3);
  await new Pushgateway(base, {}, registry).push({ jobName: 'batch' });
  const push = (name: string) =>
    fetch(`${base}/metrics/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, type: 'counter', value: 1 }),
    });
  const refused = await push('shared_jobs_total');
  expect(refused.status).toBe(400);
  expect(await refused.text()).toContain('reserved_name');
  expect((await push('other_jobs_total')).status).toBe(200);
  const text = await (await fetch(await s.url)).text();
  expect(text.match(/^# TYPE shared_jobs_total /gm)).toHaveLength(1);
  expect(await s.value('shared_jobs_total', 'job="batch"')).toBe(3);
  expect(await s.value('other_jobs_total')).toBe(1);
});
