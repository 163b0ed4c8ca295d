#!/usr/bin/env node
// End-to-end check of the stack without containers, run by .ci/run:
//  1. compose.yaml against the Compose spec, and everything it refers to;
//  2. `promtool check config prometheus.yml`;
//  3. noise-maker + log-analyzer on this machine, a real Prometheus scraping them with a config
//     derived from prometheus.yml, and every PromQL expression of the Grafana dashboard run
//     against it: each must succeed and return at least one series;
//     noise-maker pushes metrics over HTTP and onto a Redis queue the analyzer drains, and
//     Prometheus sees exactly the totals it says it sent;
//  4. `promtool check metrics` on the analyzer's /metrics (pushed families included);
//  5. mtail's apache_combined example accepts every good line noise-maker writes.
// Needs `prometheus`, `promtool`, `mtail` and `redis-server` on PATH (.ci/run installs them from Debian).

import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANALYZER, freePort, NOISE_MAKER, ROOT, scrape, sleep, start, sumMetric } from '../../bench/lib.mjs';
import { checkCompose } from './check-compose.mjs';
import { checkDashboard, prometheus as prometheusAt, twoScrapesOf } from './prometheus.mjs';

const failures = [];
const check = (ok, message) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${message}`);
  if (!ok) failures.push(message);
};

for (const tool of ['prometheus', 'promtool', 'mtail', 'redis-server', 'redis-cli']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    console.error(`e2e: ${tool} is not installed (apt-get install prometheus mtail redis-server redis-tools)`);
    process.exit(2);
  }
}

// 1. Compose
const composeProblems = checkCompose(ROOT);
for (const p of composeProblems) check(false, p);
check(composeProblems.length === 0, 'compose.yaml follows the Compose spec and its references resolve');

// 2. Prometheus config
const promtoolConfig = spawnSync('promtool', ['check', 'config', join(ROOT, 'prometheus.yml')], { encoding: 'utf8' });
check(
  promtoolConfig.status === 0,
  `promtool check config prometheus.yml${promtoolConfig.status ? `: ${promtoolConfig.stdout}${promtoolConfig.stderr}` : ''}`,
);

const dir = mkdtempSync(join(tmpdir(), 'e2e-'));
const processes = [];
try {
  // 3. The local stack
  const [analyzerPort, noisePort, prometheusPort, redisPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const redis = start(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--dir', dir],
    {
      stdout: 'pipe',
    },
  );
  processes.push(redis);
  await new Promise((resolve) => {
    let out = '';
    redis.child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('Ready to accept connections')) resolve();
    });
    redis.exited.then(resolve);
  });
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const log = join(dir, 'logs', 'access.log');
  const noise = start(process.execPath, [
    NOISE_MAKER,
    '--output',
    log,
    '--rate',
    '300',
    '--format',
    'combined_duration',
    '--error-rate',
    '0.05',
    '--malformed-rate',
    '0.01',
    '--stats-port',
    String(noisePort),
    '--stats-host',
    '127.0.0.1',
    '--duration',
    '10m',
  ]);
  processes.push(noise);
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const analyzer = start(process.execPath, [
    ANALYZER,
    '--watch',
    join(dir, 'logs', '*.log'),
    '--format',
    'combined_duration',
    '--from',
    'beginning',
    '--port',
    String(analyzerPort),
    '--host',
    '127.0.0.1',
    '--positions',
    join(dir, 'positions.json'),
    '--redis-url',
    redisUrl,
  ]);
  processes.push(analyzer);

  const config = readFileSync(join(ROOT, 'prometheus.yml'), 'utf8')
    .replaceAll('log-analyzer:8080', `127.0.0.1:${analyzerPort}`)
    .replaceAll('noise-maker:9101', `127.0.0.1:${noisePort}`);
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const prometheus = start('prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'tsdb')}`,
    `--web.listen-address=127.0.0.1:${prometheusPort}`,
    '--log.level=warn',
  ]);
  processes.push(prometheus);
  const prom = prometheusAt(`http://127.0.0.1:${prometheusPort}`);
  const query = prom.query;

  // Two scrapes of each job.
  const deadline = Date.now() + 90_000;
  let scrapes = 0;
  while (Date.now() < deadline) {
    try {
      const r = await query('min(count_over_time(up[5m]))');
      scrapes = Number(r.data?.result?.[0]?.value?.[1] ?? 0);
      const up = await query('sum(up)');
      if (scrapes >= 2 && Number(up.data?.result?.[0]?.value?.[1]) === 2) break;
    } catch {}
    await sleep(1000);
  }
  check(scrapes >= 2, `Prometheus scraped both jobs at least twice (${scrapes})`);

  // Pushed metrics reach Prometheus exactly: noise-maker pushes, Prometheus's sum equals its totals.
  const pushed = JSON.parse(
    execFileSync(
      process.execPath,
      [
        NOISE_MAKER,
        'push',
        '--url',
        `http://127.0.0.1:${analyzerPort}`,
        '--rate',
        '20000',
        '--count',
        '40000',
        '--series',
        '500',
        '--seed',
        '3',
        '--quiet',
      ],
      { encoding: 'utf8' },
    ),
  );
  // And onto the queue (a few messages no decoder takes, for the rejected panel).
  const queued = JSON.parse(
    execFileSync(
      process.execPath,
      [NOISE_MAKER, 'push', '--redis-url', redisUrl, '--rate', '20000', '--count', '40000', '--series', '500'],
      { encoding: 'utf8' },
    ),
  );
  execFileSync('redis-cli', ['-p', String(redisPort), 'LPUSH', 'prom-stream-gateway:metric-queue', 'not json', '{}']);
  const want = pushed.families.app_requests_total.sum + queued.families.app_requests_total.sum;
  let got = null;
  const pushDeadline = Date.now() + 30_000;
  while (Date.now() < pushDeadline && got !== want) {
    const r = await query('sum(app_requests_total{job="log-analyzer"})');
    got = Number(r.data?.result?.[0]?.value?.[1] ?? Number.NaN);
    if (got !== want) await sleep(1000);
  }
  check(got === want, `Prometheus sees exactly the pushed and queued app_requests_total: ${got} of ${want}`);
  const dead = execFileSync('redis-cli', ['-p', String(redisPort), 'LLEN', 'prom-stream-gateway:metric-queue:dead'], {
    encoding: 'utf8',
  }).trim();
  check(dead === '2', `the two refused messages are in the dead-letter list (${dead})`);

  // A rate needs two samples in its window: wait for a second scrape of the queue's counters.
  await twoScrapesOf(prom, 'log_analyzer_redis_messages_total');
  await checkDashboard(prom, check);

  // 4. promtool on the analyzer's exposition
  const metrics = await scrape(`http://127.0.0.1:${analyzerPort}/metrics`);
  const lint = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
  check(
    lint.status === 0 && `${lint.stdout}${lint.stderr}`.trim() === '',
    `promtool check metrics is silent on /metrics${lint.stdout}${lint.stderr}`,
  );
  check(sumMetric(metrics, 'log_lines_total') > 0, 'the analyzer counted lines');

  // 5. mtail accepts every line noise-maker writes when it writes no malformed ones on purpose
  const mtailDir = join(dir, 'mtail');
  mkdirSync(join(mtailDir, 'progs'), { recursive: true });
  cpSync('/usr/share/doc/mtail/examples/apache_combined.mtail', join(mtailDir, 'progs', 'apache_combined.mtail'));
  const sample = join(mtailDir, 'sample.log');
  execFileSync(
    process.execPath,
    [NOISE_MAKER, '--count', '20000', '--rate', 'max', '--seed', '5', '--output', sample],
    { stdio: 'pipe' },
  );
  const counts = execFileSync(process.execPath, [ANALYZER, 'scan', sample], { encoding: 'utf8' });
  const good = sumMetric(counts, 'http_requests_total');
  const mtail = spawnSync(
    'mtail',
    ['--one_shot', '--one_shot_format', 'prometheus', '--progs', join(mtailDir, 'progs'), '--logs', sample],
    { encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  const accepted = sumMetric(mtail.stdout, 'apache_http_requests_total');
  check(
    accepted === 20_000 && good === 20_000,
    `mtail's apache_combined accepts every line: ${accepted} of 20000 (the analyzer: ${good})`,
  );
} finally {
  for (const p of processes) p.child.kill('SIGTERM');
  await Promise.all(processes.map((p) => p.exited));
  rmSync(dir, { recursive: true, force: true });
}

console.log(failures.length === 0 ? 'e2e: all checks passed' : `e2e: ${failures.length} check(s) failed`);
process.exit(failures.length === 0 ? 0 : 1);
