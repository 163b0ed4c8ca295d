import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CurrentAlert } from './rule-engine.js';
import { groupKeyOf, groupLabelsOf, needsUpdate, type WebhookConfig, type WebhookPayload } from './webhook-groups.js';
import { type NotificationResult, WebhookNotifier } from './webhook-notifier.js';

describe('needsUpdate', () => {
  const base = { now: 100_000, repeatIntervalMs: 60_000, sendResolved: true };
  const table: { name: string; given: Parameters<typeof needsUpdate>[0]; want: boolean }[] = [
    {
      name: 'never notified, something fires',
      given: { ...base, entry: null, firing: ['a'], resolved: [] },
      want: true,
    },
    {
      name: 'never notified, only resolved ones',
      given: { ...base, entry: null, firing: [], resolved: ['a'] },
      want: false,
    },
    {
      name: 'a new firing alert',
      given: { ...base, entry: { at: 90_000, firing: ['a'], resolved: [] }, firing: ['a', 'b'], resolved: [] },
      want: true,
    },
    {
      name: 'the same firing alerts, within repeat_interval',
      given: { ...base, entry: { at: 90_000, firing: ['a'], resolved: [] }, firing: ['a'], resolved: [] },
      want: false,
    },
    {
      name: 'the same firing alerts, repeat_interval passed',
      given: { ...base, entry: { at: 40_000, firing: ['a'], resolved: [] }, firing: ['a'], resolved: [] },
      want: true,
    },
    {
      name: 'one of two resolved, send_resolved',
      given: { ...base, entry: { at: 90_000, firing: ['a', 'b'], resolved: [] }, firing: ['a'], resolved: ['b'] },
      want: true,
    },
    {
      name: 'one of two resolved, no send_resolved',
      given: {
        ...base,
        sendResolved: false,
        entry: { at: 90_000, firing: ['a', 'b'], resolved: [] },
        firing: ['a'],
        resolved: ['b'],
      },
      want: false,
    },
    {
      name: 'all resolved: said even without send_resolved',
      given: {
        ...base,
        sendResolved: false,
        entry: { at: 90_000, firing: ['a'], resolved: [] },
        firing: [],
        resolved: ['a'],
      },
      want: true,
    },
    {
      name: 'all resolved and said',
      given: { ...base, entry: { at: 90_000, firing: [], resolved: ['a'] }, firing: [], resolved: [] },
      want: false,
    },
  ];
  it.each(table)('$name', ({ given, want }) => {
    expect(want).toBe(needsUpdate(given));
  });

  it('groups by the group_by labels, or every label', () => {
    const labels = { alertname: 'A', file: 'x.log', severity: 'page' };
    expect(groupKeyOf(groupLabelsOf(labels, ['alertname']))).toBe('{}:{alertname="A"}');
    expect(groupKeyOf(groupLabelsOf(labels, ['...']))).toBe('{}:{alertname="A", file="x.log", severity="page"}');
  });
});

const alert = (state: CurrentAlert['state'], fp = 'f1', name = 'A'): CurrentAlert => ({
  state,
  activeAt: 1000,
  firedAt: 2000,
  resolvedAt: state === 'inactive' ? 3000 : 0,
  lastSentAt: 0,
  keepFiringSince: 0,
  value: 1,
  labels: { alertname: name, fp },
  annotations: { summary: 'it is bad' },
  rule: name,
  fingerprint: fp,
  generatorURL: 'http://a/graph',
});

describe('WebhookNotifier', () => {
  const servers: Server[] = [];
  const notifiers: WebhookNotifier[] = [];
  afterEach(async () => {
    for (const n of notifiers.splice(0)) n.stop();
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  /** A receiver answering with `answers` in turn (200 once they run out; null: never answers). */
  async function receiver(answers: (number | null)[]) {
    const bodies: { status: number | null; body: WebhookPayload; auth?: string }[] = [];
    const server = createServer((req, res) => {
      let text = '';
      req.on('data', (d) => {
        text += d;
      });
      req.on('end', () => {
        const status = answers.length ? (answers.shift() as number | null) : 200;
        bodies.push({ status, body: JSON.parse(text), auth: req.headers.authorization });
        if (status !== null) res.writeHead(status).end();
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    return { url: `http://127.0.0.1:${port}/hook`, bodies };
  }

  function notifier(url: string, over: Partial<WebhookConfig> = {}) {
    const results: NotificationResult[] = [];
    const config: WebhookConfig = {
      name: 'ops',
      url,
      groupBy: ['alertname'],
      groupWaitMs: 0,
      groupIntervalMs: 50,
      repeatIntervalMs: 3_600_000,
      sendResolved: true,
      timeoutMs: 200,
      retries: 3,
      backoffMs: 10,
      queueSize: 10,
      ...over,
    };
    const n = new WebhookNotifier({
      config,
      now: () => Date.now(),
      schedule: (fn, ms) => {
        const t = setTimeout(fn, ms);
        return () => clearTimeout(t);
      },
      externalURL: () => 'http://analyzer:8080',
      onResult: (r) => results.push(r),
    });
    notifiers.push(n);
    return { n, results };
  }

  it('retries a receiver that fails twice, then sends once; the resolve follows, with auth', async () => {
    const r = await receiver([500, 503]);
    const { n, results } = notifier(r.url, { bearerToken: 's3cret' });
    n.update([alert('firing')], Date.now());
    await vi.waitFor(() => expect(results).toEqual(['retried', 'retried', 'sent']), { timeout: 5000 });
    expect(r.bodies.map((b) => b.status)).toEqual([500, 503, 200]);
    const body = r.bodies[2]?.body;
    expect(body).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'ops',
      groupKey: '{}:{alertname="A"}',
      groupLabels: { alertname: 'A' },
      commonLabels: { alertname: 'A', fp: 'f1' },
      commonAnnotations: { summary: 'it is bad' },
      externalURL: 'http://analyzer:8080',
    });
    expect(body?.alerts[0]).toMatchObject({ status: 'firing', fingerprint: 'f1', endsAt: '0001-01-01T00:00:00Z' });
    expect(r.bodies[2]?.auth).toBe('Bearer s3cret');
    // Evaluations go on with the same firing alert: nothing new is said.
    const looks = n.looks;
    n.update([alert('firing')], Date.now());
    await vi.waitFor(() => expect(n.looks).toBeGreaterThan(looks + 2), { timeout: 5000 });
    expect(r.bodies).toHaveLength(3);
    n.update([alert('inactive')], Date.now());
    await vi.waitFor(() => expect(r.bodies).toHaveLength(4), { timeout: 5000 });
    expect(r.bodies[3]?.body).toMatchObject({
      status: 'resolved',
      alerts: [{ status: 'resolved', endsAt: new Date(3000).toISOString() }],
    });
    // The group is done once its resolve is said: no second one.
    n.update([alert('inactive')], Date.now());
    await vi.waitFor(() => expect(n.position()).toEqual([]), { timeout: 5000 });
    expect(r.bodies).toHaveLength(4);
  });

  it('bounds the queue for a receiver that never answers, counting every failure and drop', async () => {
    const r = await receiver(new Array(100).fill(null));
    const { n, results } = notifier(r.url, { groupBy: ['...'], queueSize: 2, retries: 1, timeoutMs: 100 });
    n.update(
      ['a', 'b', 'c', 'd', 'e'].map((fp) => alert('firing', fp)),
      Date.now(),
    );
    expect(n.queued).toBe(2);
    expect(results).toEqual(['dropped', 'dropped', 'dropped']);
    await vi.waitFor(() => expect(results.filter((x) => x === 'failed')).toHaveLength(2), { timeout: 5000 });
    expect(results.filter((x) => x === 'sent')).toEqual([]);
  });
});
