// Issue 25 end to end: `serve` with a rule file, noise-maker raising and lowering the 5xx rate,
// a real Alertmanager (Debian's prometheus-alertmanager) routing to a local webhook receiver,
// and the direct webhook (a receiver that fails twice, one that never answers); then a kill -9
// while an alert fires. Waits on the receivers and the analyzer's own counters, never on a clock.

import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Served, spawnNoiseMaker, spawnServe, tempDir, useProcesses } from './helpers.js';

const WAIT = { timeout: 60_000, interval: 50 };

interface Received {
  path: string;
  status: number | null;
  body: {
    status: string;
    receiver: string;
    groupLabels: Record<string, string>;
    commonLabels: Record<string, string>;
    alerts: {
      status: string;
      labels: Record<string, string>;
      annotations: Record<string, string>;
      fingerprint: string;
    }[];
  };
}

/** A webhook receiver: per path, answers in turn (null: never answers; 200 once they run out). */
async function receiver(servers: Server[], answers: Record<string, (number | null)[]> = {}) {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (d) => {
      text += d;
    });
    req.on('end', () => {
      const path = req.url ?? '';
      const queue = answers[path] ?? [];
      const status = queue.length ? (queue.shift() as number | null) : 200;
      got.push({ path, status, body: JSON.parse(text) });
      if (status !== null) res.writeHead(status).end();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, got };
}

/** Resolves once the child has exited (at once when it has). */
function exitOf(child: ChildProcess): Promise<unknown> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', resolve));
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

const RULES = `groups:
  - name: http
    rules:
      - alert: HighErrorRatio
        expr: sum(rate(http_requests_total{status=~"5.."}[5s])) / sum(rate(http_requests_total[5s])) > 0.05
        for: 2s
        labels:
          severity: page
        annotations:
          summary: "5xx ratio is {{ $value | humanizePercentage }}"
`;

/** Firing and resolved notifications a receiver took (answered 200) at `path`. */
const taken = (got: Received[], path: string, status: string) =>
  got.filter((r) => r.path === path && r.status === 200 && r.body.status === status);

async function alertStates(served: Served): Promise<string[]> {
  const answer = (await (await fetch(new URL('/api/v1/alerts', await served.url))).json()) as {
    data: { alerts: { state: string }[] };
  };
  return answer.data.alerts.map((a) => a.state);
}

describe('alerts end to end', () => {
  const { running, cleanups } = useProcesses();
  const servers: Server[] = [];
  const others: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of others.splice(0)) {
      child.kill('SIGKILL');
      await exitOf(child);
    }
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
  });

  function noise(file: string, errorRate: number, extra: string[] = []): ChildProcess {
    const child = spawnNoiseMaker([
      '--output',
      file,
      '--rate',
      '300',
      '--error-rate',
      String(errorRate),
      '-q',
      ...extra,
    ]);
    others.push(child);
    return child;
  }

  async function stopNoise(child: ChildProcess): Promise<void> {
    child.kill('SIGKILL');
    await exitOf(child);
  }

  /** A real Alertmanager routing every alert to `hooks`/am at once (group_wait and group_interval 1s); its port. */
  async function alertmanager(dir: string, hooks: string): Promise<number> {
    const amPort = await freePort();
    writeFileSync(
      join(dir, 'am.yml'),
      `route:\n  receiver: hook\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: hook\n    webhook_configs:\n      - url: ${hooks}/am\n        send_resolved: true\n`,
    );
    const am = spawn(
      'prometheus-alertmanager',
      [
        `--config.file=${join(dir, 'am.yml')}`,
        `--storage.path=${join(dir, 'am')}`,
        '--cluster.listen-address=',
        `--web.listen-address=127.0.0.1:${amPort}`,
      ],
      { stdio: 'ignore' },
    );
    others.push(am);
    await vi.waitFor(async () => expect((await fetch(`http://127.0.0.1:${amPort}/-/ready`)).status).toBe(200), WAIT);
    return amPort;
  }

  function setUp() {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    writeFileSync(join(dir, 'rules.yml'), RULES);
    return dir;
  }

  it('goes pending, fires through Alertmanager and the direct webhook (retried twice), and resolves', async () => {
    const dir = setUp();
    const hooks = await receiver(servers, { '/direct': [500, 500] });
    const amPort = await alertmanager(dir, hooks.url);
    writeFileSync(
      join(dir, 'config.toml'),
      `[[alerts.webhooks]]\nname = "direct"\nurl = "${hooks.url}/direct"\ngroup_wait = "0s"\ngroup_interval = "1s"\nretries = 3\nbackoff = "100ms"\n`,
    );
    const served = spawnServe([
      '--watch',
      join(dir, '*.log'),
      '--no-positions',
      '--rules',
      join(dir, 'rules.yml'),
      '--evaluation-interval',
      '500ms',
      '--alertmanager-url',
      `http://127.0.0.1:${amPort}`,
      '--config',
      join(dir, 'config.toml'),
    ]);
    running.push(served);
    await served.url;
    const loud = noise(join(dir, 'access.log'), 0.5);
    // Pending first (for: 2s, four evaluations), then firing.
    const seen = new Set<string>();
    await vi.waitFor(async () => {
      for (const state of await alertStates(served)) seen.add(state);
      expect(seen.has('firing')).toBe(true);
    }, WAIT);
    expect(seen.has('pending')).toBe(true);
    expect(await served.value('ALERTS', 'alertname="HighErrorRatio",alertstate="firing",severity="page"')).toBe(1);
    // Through Alertmanager, with the rule's labels and the expanded annotation.
    await vi.waitFor(() => expect(taken(hooks.got, '/am', 'firing').length).toBeGreaterThan(0), WAIT);
    const viaAm = taken(hooks.got, '/am', 'firing')[0]?.body;
    expect(viaAm?.alerts[0]?.labels).toEqual({ alertname: 'HighErrorRatio', severity: 'page' });
    expect(viaAm?.alerts[0]?.annotations.summary).toMatch(/^5xx ratio is \d+(\.\d+)?%$/);
    // Straight to the webhook: two failures, then one delivery.
    await vi.waitFor(() => expect(taken(hooks.got, '/direct', 'firing')).toHaveLength(1), WAIT);
    expect(hooks.got.filter((r) => r.path === '/direct').map((r) => r.status)).toEqual([500, 500, 200]);
    expect(await served.value('log_analyzer_alert_notifications_total', 'receiver="direct",result="retried"')).toBe(2);
    const direct = taken(hooks.got, '/direct', 'firing')[0]?.body;
    expect(direct).toMatchObject({ receiver: 'direct', groupLabels: { alertname: 'HighErrorRatio' } });
    expect(direct?.commonLabels).toEqual({ alertname: 'HighErrorRatio', severity: 'page' });
    // The rate falls: resolved, through both.
    await stopNoise(loud);
    noise(join(dir, 'access.log'), 0);
    await vi.waitFor(() => expect(taken(hooks.got, '/am', 'resolved').length).toBeGreaterThan(0), WAIT);
    await vi.waitFor(() => expect(taken(hooks.got, '/direct', 'resolved')).toHaveLength(1), WAIT);
    expect(await alertStates(served)).toEqual([]);
    // One more evaluation and group interval: no duplicate of either notification.
    const evaluations = await served.value('log_analyzer_rule_evaluations_total');
    await vi.waitFor(
      async () => expect(await served.value('log_analyzer_rule_evaluations_total')).toBeGreaterThan(evaluations + 3),
      WAIT,
    );
    expect(taken(hooks.got, '/direct', 'firing')).toHaveLength(1);
    expect(taken(hooks.got, '/direct', 'resolved')).toHaveLength(1);
  }, 120_000);

  it('bounds the queue of a webhook that never answers, counting failures, and ingestion goes on', async () => {
    const dir = setUp();
    const hooks = await receiver(servers, { '/hang': new Array(1000).fill(null) });
    writeFileSync(
      join(dir, 'every.yml'),
      'groups:\n  - name: all\n    rules:\n      - alert: Requests\n        expr: rate(http_requests_total[5s]) > 0\n',
    );
    writeFileSync(
      join(dir, 'config.toml'),
      `[alerts]\nrules = ["${join(dir, 'every.yml')}"]\nevaluation_interval = "500ms"\n\n[[alerts.webhooks]]\nname = "hang"\nurl = "${hooks.url}/hang"\ngroup_by = ["..."]\ngroup_wait = "0s"\ngroup_interval = "1s"\ntimeout = "300ms"\nretries = 1\nbackoff = "100ms"\nqueue_size = 1\n`,
    );
    const served = spawnServe(['--watch', join(dir, '*.log'), '--no-positions', '--config', join(dir, 'config.toml')]);
    running.push(served);
    await served.url;
    noise(join(dir, 'access.log'), 0.3, ['--count', '6000']);
    await vi.waitFor(async () => {
      expect(await served.value('log_analyzer_alert_notifications_total', 'result="dropped"')).toBeGreaterThan(0);
      expect(await served.value('log_analyzer_alert_notifications_total', 'result="failed"')).toBeGreaterThan(0);
    }, WAIT);
    expect(await served.value('log_analyzer_alert_notifications_total', 'result="sent"')).toBe(0);
    expect(await served.value('log_analyzer_alert_notification_queue_length', 'receiver="hang"')).toBeLessThanOrEqual(
      1,
    );
    // Every line is counted meanwhile.
    await vi.waitFor(async () => expect(await served.value('log_lines_total')).toBe(6000), WAIT);
    expect(hooks.got.every((r) => r.path === '/hang')).toBe(true);
  }, 120_000);

  it('after a kill -9 while firing: no new firing notification, and the resolve still arrives', async () => {
    const dir = setUp();
    const hooks = await receiver(servers);
    const amPort = await alertmanager(dir, hooks.url);
    writeFileSync(
      join(dir, 'config.toml'),
      `[[alerts.webhooks]]\nname = "direct"\nurl = "${hooks.url}/direct"\ngroup_wait = "0s"\ngroup_interval = "1s"\nbackoff = "100ms"\n`,
    );
    const args = [
      '--alertmanager-url',
      `http://127.0.0.1:${amPort}`,
      '--watch',
      join(dir, '*.log'),
      '--positions',
      join(dir, 'checkpoint.json'),
      '--rules',
      join(dir, 'rules.yml'),
      '--evaluation-interval',
      '500ms',
      '--config',
      join(dir, 'config.toml'),
    ];
    const first = spawnServe(args);
    running.push(first);
    await first.url;
    const loud = noise(join(dir, 'access.log'), 0.5);
    await vi.waitFor(() => expect(taken(hooks.got, '/direct', 'firing')).toHaveLength(1), WAIT);
    await vi.waitFor(() => expect(taken(hooks.got, '/am', 'firing')).toHaveLength(1), WAIT);
    // What was said is in a checkpoint (a delivery asks for one; two more writes to be sure it is on disk).
    const writes = await first.value('log_analyzer_checkpoint_writes_total');
    await vi.waitFor(
      async () => expect(await first.value('log_analyzer_checkpoint_writes_total')).toBeGreaterThan(writes + 1),
      WAIT,
    );
    await stopNoise(loud);
    first.child.kill('SIGKILL');
    await first.exited;
    const second = spawnServe(args);
    running.push(second);
    await second.url;
    // Restored firing, with its start kept.
    expect(await alertStates(second)).toEqual(['firing']);
    noise(join(dir, 'access.log'), 0);
    await vi.waitFor(() => expect(taken(hooks.got, '/direct', 'resolved')).toHaveLength(1), WAIT);
    expect(taken(hooks.got, '/direct', 'firing')).toHaveLength(1);
    // Through Alertmanager too: the alert came back with its first startsAt, so nothing new fired.
    await vi.waitFor(() => expect(taken(hooks.got, '/am', 'resolved')).toHaveLength(1), WAIT);
    expect(taken(hooks.got, '/am', 'firing')).toHaveLength(1);
    const resolved = taken(hooks.got, '/direct', 'resolved')[0]?.body;
    expect(resolved?.alerts[0]?.fingerprint).toBe(
      taken(hooks.got, '/direct', 'firing')[0]?.body.alerts[0]?.fingerprint,
    );
  }, 120_000);

  it('a SIGHUP reads the rule files again: an unchanged rule keeps its pending for; a refused file changes nothing', async () => {
    const dir = setUp();
    const rules = (extra: string) =>
      `groups:\n  - name: http\n    rules:\n      - alert: Slow\n        expr: sum(rate(http_requests_total{status=~"5.."}[5s])) > 0\n        for: 1h\n${extra}`;
    writeFileSync(join(dir, 'rules.yml'), rules(''));
    const served = spawnServe([
      '--watch',
      join(dir, '*.log'),
      '--no-positions',
      '--rules',
      join(dir, 'rules.yml'),
      '--evaluation-interval',
      '500ms',
    ]);
    running.push(served);
    await served.url;
    noise(join(dir, 'access.log'), 0.5);
    const active = async () => {
      const answer = (await (await fetch(new URL('/api/v1/alerts', await served.url))).json()) as {
        data: { alerts: { labels: { alertname: string }; state: string; activeAt: string }[] };
      };
      return answer.data.alerts.map((a) => `${a.labels.alertname} ${a.state} ${a.activeAt}`);
    };
    await vi.waitFor(async () => expect(await active()).toHaveLength(1), WAIT);
    const [before] = await active();
    expect(before).toMatch(/^Slow pending /);
    writeFileSync(
      join(dir, 'rules.yml'),
      rules('      - alert: Any\n        expr: sum(rate(http_requests_total[5s])) > 0\n        for: 1h\n'),
    );
    served.child.kill('SIGHUP');
    await vi.waitFor(
      async () => expect(await served.value('log_analyzer_config_reloads_total', 'result="success"')).toBe(1),
      WAIT,
    );
    await vi.waitFor(async () => expect(await active()).toHaveLength(2), WAIT);
    expect(await active()).toContain(before);
    // A refused file: the reload fails, the rules in force stay (and their alerts).
    writeFileSync(join(dir, 'rules.yml'), rules('      - alert: Bad\n        expr: topk(1, up)\n'));
    served.child.kill('SIGHUP');
    await vi.waitFor(
      async () => expect(await served.value('log_analyzer_config_reloads_total', 'result="failure"')).toBe(1),
      WAIT,
    );
    expect(served.stderr()).toMatch(
      /the new configuration is refused, the running one stays: .*rules\.yml:\d+: group "http", alert "Bad": expr at position/,
    );
    expect(await active()).toContain(before);
    expect(await active()).toHaveLength(2);
  }, 120_000);
});
