// Issue 26 item 6, the route label on the access-log families: serve with --route-label counts
// requests by route exactly (templates first, then ids), hostile paths normalised or folded, and
// routes past --max-label-values folded into other with the folds counted.

import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { spawnServe, tempDir, useProcesses, WAIT } from './helpers.js';

const T = '[03/Dec/2026:17:00:00 +0000]';
const line = (path: string, status = 200) => `10.0.0.1 - - ${T} "GET ${path} HTTP/1.1" ${status} 7\n`;

describe('--route-label (serve)', () => {
  const { running, cleanups } = useProcesses();

  it('counts access-log requests by route exactly, hostile paths included, and folds routes past the limit', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const log = join(t.dir, 'access.log');
    writeFileSync(log, '');
    const s = spawnServe([
      '--watch',
      log,
      '--format',
      'common',
      '--no-positions',
      '--from',
      'beginning',
      '--route-label',
      '--max-label-values',
      '4',
      '--route',
      '/users/{name}',
    ]);
    running.push(s);
    await s.url;
    let text = '';
    for (let i = 0; i < 30; i++) text += line(`/users/u${i}?page=${i}`); // the template
    for (let i = 0; i < 20; i++) text += line(`/orders/${1000 + i}/items/${i}`, i % 2 ? 200 : 404); // ids
    text += line('/static/../users/../health'); // dot segments: /health
    text += line(`/${'a'.repeat(5000)}`); // huge: cut, the 4th value
    text += line('/%2e%2e/x'); // 5th value: folded
    text += line('/zzz'); // 6th: folded
    appendFileSync(log, text);
    await vi.waitFor(async () => expect(await s.value('log_lines_total')).toBe(54), WAIT);

    expect(await s.value('log_errors_total', 'reason="parse_failure"')).toBe(0);
    expect(await s.value('http_requests_total', 'route="/users/{name}"')).toBe(30);
    expect(await s.value('http_requests_total', 'status="200",route="/orders/{id}/items/{id}"')).toBe(10);
    expect(await s.value('http_requests_total', 'status="404",route="/orders/{id}/items/{id}"')).toBe(10);
    expect(await s.value('http_requests_total', 'route="/health"')).toBe(1);
    expect(await s.value('http_requests_total', `route="/${'a'.repeat(127)}"`)).toBe(1);
    expect(await s.value('http_requests_total', 'route="other"')).toBe(2);
    expect(await s.value('http_response_bytes_total', 'route="other"')).toBe(14);
    expect(await s.value('log_analyzer_label_values_folded_total', 'metric="http_requests_total",label="route"')).toBe(
      2,
    );
    // one more cycle: nothing moves
    appendFileSync(log, line('/users/again'));
    await vi.waitFor(async () => expect(await s.value('log_lines_total')).toBe(55), WAIT);
    expect(await s.value('http_requests_total', 'route="/users/{name}"')).toBe(31);
    expect(await s.value('http_requests_total', 'route="other"')).toBe(2);
  });
});
