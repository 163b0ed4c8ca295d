#!/usr/bin/env node
// The compose stack in real containers, run by .ci/run: the product's Dockerfiles and compose.yaml
// exactly as a user runs them (`just start` is `podman-compose up -d --build`), every service but
// Grafana (no package of it exists on either registry this machine reaches). Checked through the
// published ports, as a user would look:
//  1. the images build, run as non-root on a read-only root file system, and their health checks
//     pass; their sizes are printed;
//  2. the analyzer counts noise-maker's lines through the shared volume, and drains the queue;
//  3. Prometheus has every target up through the service names, and every dashboard query returns
//     data from it;
//  4. `podman-compose restart log-analyzer` under load loses and doubles nothing: once the senders
//     stop, the counts equal what they say they sent (the checkpoint lives in its volume);
//  5. `podman-compose down -v` leaves no container or volume behind.
// Test-only settings live here: the project name, and the containers.conf podman needs on such
// machines. When containers cannot run here at all, it says why and fails.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { mismatchesOf, ROOT, scrape, sumMetric } from '../../bench/lib.mjs';
import { checkDashboard, prometheus, twoScrapesOf, until } from './prometheus.mjs';
import { buildStandIns, NoContainers, preparePodman, run } from './stand-ins.mjs';

const started = performance.now();
const PROJECT = 'log-analyzer-ci';
const SERVICES = ['redis', 'noise-maker', 'noise-maker-queue', 'log-analyzer', 'prometheus'];
const ANALYZER_URL = 'http://127.0.0.1:8080';
const NOISE_URL = 'http://127.0.0.1:9101';
const seconds = () => ((performance.now() - started) / 1000).toFixed(0);

const failures = [];
const check = (ok, message) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${message}`);
  if (!ok) failures.push(message);
};

const compose = parse(readFileSync(join(ROOT, 'compose.yaml'), 'utf8'));
const nodeImage = /^FROM (\S+)/m.exec(readFileSync(join(ROOT, 'Dockerfile.log-analyzer'), 'utf8'))[1];
const images = { node: nodeImage, prometheus: compose.services.prometheus.image, redis: compose.services.redis.image };
const container = (service) => `${PROJECT}_${service}_1`;

const work = mkdtempSync(join(tmpdir(), 'containers-'));
let env;
try {
  env = preparePodman(work);
  const built = buildStandIns(work, env, images);
  console.log(
    `containers: stand-in base images ${built.length ? `built: ${built.join(', ')}` : 'present'} (${seconds()} s)`,
  );
} catch (error) {
  const why = error instanceof NoContainers ? error.message : `could not prepare podman: ${error.message}`;
  console.error(`containers: cannot run the stack in containers: ${why}`);
  console.log('containers: FAILED (nothing was checked)');
  rmSync(work, { recursive: true, force: true });
  process.exit(1);
}

const podman = (...args) => run('podman', args, { env });
/** A container's output, stdout and stderr together (noise-maker says what it wrote on stderr). */
const logsOf = (service) => {
  const r = spawnSync('podman', ['logs', container(service)], { env, encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`;
};
const podmanCompose = (...args) => run('podman-compose', ['-p', PROJECT, ...args], { cwd: ROOT, env });
const metricsOf = async (url) => {
  try {
    return await scrape(`${url}/metrics`);
  } catch {
    return '';
  }
};

/** Down with the volumes, and the project's network (podman-compose 1.0 leaves it behind). */
const down = () => {
  podmanCompose('down', '-v');
  spawnSync('podman', ['network', 'rm', '--force', `${PROJECT}_default`], { env });
};

try {
  // A stack left by an interrupted run would hold the ports.
  down();
  podmanCompose('up', '-d', '--build', ...SERVICES);
  console.log(`containers: ${SERVICES.join(', ')} up (${seconds()} s)`);

  // 1. The images
  for (const image of [compose.services['log-analyzer'].image, compose.services['noise-maker'].image]) {
    const size = Number(podman('image', 'inspect', '--format', '{{.Size}}', image));
    const base = Number(podman('image', 'inspect', '--format', '{{.Size}}', images.node));
    console.log(
      `containers: image ${image}: ${(size / 1e6).toFixed(0)} MB, ${((size - base) / 1e6).toFixed(1)} MB above ${images.node}`,
    );
  }
  for (const service of ['log-analyzer', 'noise-maker', 'noise-maker-queue']) {
    const [user, readOnly] = podman(
      'inspect',
      '--format',
      '{{.Config.User}} {{.HostConfig.ReadonlyRootfs}}',
      container(service),
    )
      .trim()
      .split(' ');
    const uid = podman('exec', container(service), 'node', '-p', 'process.getuid()').trim();
    check(
      uid !== '0' && readOnly === 'true',
      `${service} runs as ${user} (uid ${uid}), root file system read-only: ${readOnly}`,
    );
  }

  // 2. Lines through the shared volume, messages through Redis
  const counting = await until(120_000, async () => {
    const [analyzer, noise] = [await metricsOf(ANALYZER_URL), await metricsOf(NOISE_URL)];
    return sumMetric(noise, 'noise_maker_lines_written_total') > 0 && sumMetric(analyzer, 'log_lines_total') > 0;
  });
  check(counting, 'the analyzer counts the lines noise-maker writes into the shared volume');
  const draining = await until(60_000, async () => sumMetric(await metricsOf(ANALYZER_URL), 'app_requests_total') > 0);
  check(draining, 'the analyzer drains the messages noise-maker-queue puts on Redis');
  for (const service of ['log-analyzer', 'noise-maker', 'redis']) {
    const healthy = await until(60_000, () => {
      try {
        podman('healthcheck', 'run', container(service));
        return true;
      } catch {
        return false;
      }
    });
    check(healthy, `${service}'s health check passes (podman healthcheck run)`);
  }

  // 3. Prometheus through the service names, and the dashboard
  const prom = prometheus('http://127.0.0.1:9090');
  let targets = [];
  const allUp = await until(90_000, async () => {
    try {
      const r = await (await fetch(`${prom.base}/api/v1/targets`)).json();
      targets = r.data.activeTargets.map((t) => `${t.labels.job} ${t.scrapeUrl} ${t.health}`);
      return targets.length === 2 && targets.every((t) => t.endsWith(' up'));
    } catch {
      return false;
    }
  });
  check(allUp, `Prometheus has every target up through the service names: ${targets.join('; ')}`);
  await twoScrapesOf(prom, 'log_analyzer_redis_messages_total');
  await twoScrapesOf(prom, 'log_lines_total');
  await twoScrapesOf(prom, 'noise_maker_lines_written_total');
  await checkDashboard(prom, check);

  // 4. A restart under load, then the senders stop and say what they sent
  podmanCompose('restart', 'log-analyzer');
  const back = await until(60_000, async () => (await metricsOf(ANALYZER_URL)) !== '');
  check(
    back && /resuming from checkpoint/.test(logsOf('log-analyzer')),
    'log-analyzer restarted and says it resumes from its checkpoint',
  );
  await until(30_000, async () => sumMetric(await metricsOf(ANALYZER_URL), 'log_lines_total') > 0);
  podmanCompose('stop', 'noise-maker', 'noise-maker-queue');
  const written = [...logsOf('noise-maker').matchAll(/wrote (\d+) lines/g)].map((m) => Number(m[1]));
  const sent = logsOf('noise-maker-queue')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
  const said = written.length === 1 && sent.length === 1;
  check(
    said,
    `both senders stopped and said what they sent (${written.join(', ')} lines, ${sent.length} queue totals)`,
  );
  if (!said) throw new Error(`noise-maker-queue said:\n${logsOf('noise-maker-queue').slice(-1000)}`);
  const want = written[0];
  const exact = async () => {
    const text = await metricsOf(ANALYZER_URL);
    return sumMetric(text, 'log_lines_total') === want && mismatchesOf(text, sent[0].families).length === 0;
  };
  const settled = await until(60_000, exact);
  // One more checkpoint cycle, then the same again: a late double count would show now.
  const writes = sumMetric(await metricsOf(ANALYZER_URL), 'log_analyzer_checkpoint_writes_total');
  await until(
    30_000,
    async () => sumMetric(await metricsOf(ANALYZER_URL), 'log_analyzer_checkpoint_writes_total') > writes,
  );
  const text = await metricsOf(ANALYZER_URL);
  check(
    settled && (await exact()),
    `after the restart the analyzer counted exactly what was sent: ${sumMetric(text, 'log_lines_total')} of ${want} lines; queue ${mismatchesOf(text, sent[0].families).join(', ') || 'exact'}`,
  );
} catch (error) {
  check(false, error.message);
} finally {
  try {
    down();
    const left = podman(
      'ps',
      '-a',
      '--filter',
      `label=io.podman.compose.project=${PROJECT}`,
      '--format',
      '{{.Names}}',
    ).trim();
    const volumes = podman('volume', 'ls', '--format', '{{.Name}}')
      .split('\n')
      .filter((v) => v.startsWith(`${PROJECT}_`));
    const networks = podman('network', 'ls', '--format', '{{.Name}}')
      .split('\n')
      .filter((v) => v.startsWith(`${PROJECT}_`));
    const leftovers = [left, ...volumes, ...networks].filter(Boolean);
    check(
      leftovers.length === 0,
      `podman-compose down -v left nothing behind${leftovers.length ? `: ${leftovers.join(' ')}` : ''}`,
    );
  } catch (error) {
    check(false, `podman-compose down -v: ${error.message}`);
  }
  rmSync(work, { recursive: true, force: true });
}

console.log(
  failures.length === 0
    ? `containers: all checks passed in ${seconds()} s`
    : `containers: ${failures.length} check(s) failed in ${seconds()} s`,
);
process.exit(failures.length === 0 ? 0 : 1);
