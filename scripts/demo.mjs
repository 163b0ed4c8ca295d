#!/usr/bin/env node
// The container-free stack: noise-maker appends to ./logs/access.log, log-analyzer serves
// http://localhost:8080/metrics, and Prometheus scrapes both when a `prometheus` binary is on PATH.
// Ctrl-C stops everything. Settings: DEMO_RATE (lines/s, default 200), DEMO_FORMAT.

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const rate = process.env.DEMO_RATE ?? '200';
const format = process.env.DEMO_FORMAT ?? 'combined_duration';
mkdirSync(join(root, 'logs'), { recursive: true });

const children = [];
function start(name, command, args) {
  // Its own process group: Ctrl-C reaches only the demo, which stops each child once, gracefully
  // (a child that got the terminal's SIGINT and then the demo's SIGTERM would exit at once).
  const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`demo: ${name} exited (${signal ?? code}); stopping the demo`);
      stop(1);
    }
  });
  children.push(child);
}

let stopping = false;
function stop(code = 0) {
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 2000).unref();
  Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.on('exit', r))))).then(() =>
    process.exit(code),
  );
}
process.on('SIGINT', () => stop());
process.on('SIGTERM', () => stop());
// Whatever ends the demo, its children end with it.
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
});

const node = process.execPath;
start('log-analyzer', node, [
  'packages/log-analyzer/bin/log-analyzer.js',
  '--watch',
  './logs/*.log',
  '--format',
  format,
  '--port',
  '8080',
  // The example alerting rules (README: Alerts): see them on /ui and /api/v1/alerts.
  '--rules',
  'deploy/rules/*.yml',
]);
start('noise-maker', node, [
  'packages/noise-maker/bin/noise-maker.js',
  '--output',
  './logs/access.log',
  '--rate',
  rate,
  '--pattern',
  'wave',
  '--period',
  '2m',
  '--format',
  format,
  '--malformed-rate',
  '0.005',
  '--rotate-every',
  '50MB',
  '--stats-port',
  '9101',
  '--quiet',
]);

const hasPrometheus = spawnSync('sh', ['-c', 'command -v prometheus'], { encoding: 'utf8' }).status === 0;
if (hasPrometheus) {
  // The stack's prometheus.yml with the container names swapped for localhost.
  const config = readFileSync(join(root, 'prometheus.yml'), 'utf8')
    .replaceAll('log-analyzer:8080', 'localhost:8080')
    .replaceAll('noise-maker:9101', 'localhost:9101');
  mkdirSync(join(root, '.demo/prometheus'), { recursive: true });
  writeFileSync(join(root, '.demo/prometheus.yml'), config);
  start('prometheus', 'prometheus', [
    '--config.file=.demo/prometheus.yml',
    '--storage.tsdb.path=.demo/prometheus',
    '--web.listen-address=127.0.0.1:9090',
    '--log.level=warn',
  ]);
}

// The live page first: the one a newcomer wants to open.
console.error(`demo: live page    http://localhost:8080/ui
demo: noise-maker writes ${rate} lines/s (a 2-minute wave) to ./logs/access.log
demo: metrics      http://localhost:8080/metrics
demo: status       http://localhost:8080/api/status
demo: noise-maker  http://localhost:9101/metrics
demo: prometheus   ${hasPrometheus ? 'http://localhost:9090' : 'not started (install one: apt-get install prometheus)'}
demo: Ctrl-C stops it all`);
