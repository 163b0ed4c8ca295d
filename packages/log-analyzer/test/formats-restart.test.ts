// Issue 26 item 9: the new formats keep the project's guarantees. nginx and JSON files read by their
// [[files]] formats are counted exactly once through a rename rotation while the analyzer is down
// and a restart from the checkpoint; the upstream and duration histograms carry on from it.

import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Analyzer } from '../src/app.js';
import { expectSettled, metricValue, useAnalyzers, WAIT } from './helpers.js';

const NGINX = '$remote_addr [$time_local] "$request" $status $body_bytes_sent $request_time $upstream_response_time';
const nginx = (n: number) =>
  Array.from(
    { length: n },
    (_, i) => `10.0.0.1 [03/Dec/2026:17:00:00 +0000] "GET /${i} HTTP/1.1" 200 1 0.002 0.001, 0.001\n`,
  ).join('');
const json = (n: number) =>
  Array.from(
    { length: n },
    (_, i) => `{"request":{"method":"POST"},"status":201,"size":2,"duration":0.00${i % 10}}\n`,
  ).join('');

describe('formats through rotation and restart', () => {
  const analyzers = useAnalyzers(false);

  it('counts every nginx and JSON line once across a rotation while stopped and a restart from the checkpoint', async () => {
    const dir = analyzers.dir();
    const positionsFile = join(analyzers.scratch(), 'checkpoint.json');
    const a = join(dir, 'nginx.log');
    const b = join(dir, 'caddy.json');
    writeFileSync(a, '');
    writeFileSync(b, '');
    const files = [
      { watch: [a], format: NGINX },
      { watch: [join(dir, '*.json')], format: 'json_caddy' },
    ];
    const total = (x: Analyzer) => metricValue(x, 'http_requests_total');
    const first = await analyzers.start(['nginx.log', '*.json'], { positionsFile, files, from: 'beginning' });
    appendFileSync(a, nginx(300));
    appendFileSync(b, json(200));
    await expectSettled(first, () => total(first), 500, WAIT);
    await analyzers.stop(first);

    appendFileSync(a, nginx(50)); // the rest of the generation it knew
    renameSync(a, `${a}.1`);
    writeFileSync(a, nginx(70)); // a new generation, never seen
    appendFileSync(b, json(30));
    const second = await analyzers.start(['nginx.log', '*.json'], { positionsFile, files, from: 'end' });
    await expectSettled(second, () => total(second), 650, WAIT);
    expect(await metricValue(second, 'http_requests_total', { file: a, method: 'GET', status: '200' })).toBe(420);
    expect(await metricValue(second, 'http_requests_total', { file: b, method: 'POST', status: '201' })).toBe(230);
    expect(await metricValue(second, 'log_errors_total', { reason: 'parse_failure' })).toBe(0);
    expect(second.store.sum('http_upstream_duration_seconds', { file: a })).toBe(420);
    expect(second.store.sum('http_request_duration_seconds', { file: b })).toBe(230);
  });
});
