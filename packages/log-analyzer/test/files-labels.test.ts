// Issue 26 item 1, labels to add: two [[files]] entries with labels of their own, read by serve from a
// config file; every log family's series of a file carries its entry's labels, and a restart from the
// checkpoint serves the labelled series exactly as before, then counts on.

import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { type Served, spawnServe, tempDir, useProcesses, WAIT } from './helpers.js';

const T = '[03/Dec/2026:17:00:00 +0000]';
const nginxLine = (i: number) => `10.0.0.1 - - ${T} "GET /a/${i} HTTP/1.1" ${i % 4 ? 200 : 404} 10 "-" "curl/8" "-"\n`;
const appLine = (i: number) => `2026-12-03T17:00:00Z ${i % 3 ? 'INFO' : 'ERROR'} message ${i}\n`;

/** The log families' sample lines of one scrape, sorted (self metrics and comments left out). */
async function logSeries(s: Served): Promise<string[]> {
  const text = await (await fetch(await s.url)).text();
  return text
    .split('\n')
    .filter((l) => /^(log_lines_total|log_errors_total|log_messages_total|http_)/.test(l))
    .sort();
}

describe('[[files]] labels (serve)', () => {
  const { running, cleanups } = useProcesses();

  it('each entry labels its files series, and a restart from the checkpoint keeps them exactly', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const web = join(t.dir, 'web.log');
    const app = join(t.dir, 'app.log');
    const plain = join(t.dir, 'plain.log');
    for (const f of [web, app, plain]) writeFileSync(f, '');
    const config = join(t.dir, 'config.toml');
    writeFileSync(
      config,
      `[[files]]
watch = ["${web}"]
format = "nginx_main"
labels = { service = "web", env = "prod" }

[[files]]
watch = ["${app}"]
format = "app"
[files.labels]
service = "api"
`,
    );
    const args = [
      '--config',
      config,
      '--watch',
      `${t.dir}/*.log`,
      '--positions',
      join(t.dir, 'positions.json'),
      '--from',
      'beginning',
    ];
    const first = spawnServe(args);
    running.push(first);
    await first.url;
    appendFileSync(web, Array.from({ length: 200 }, (_, i) => nginxLine(i)).join(''));
    appendFileSync(app, Array.from({ length: 90 }, (_, i) => appLine(i)).join(''));
    appendFileSync(plain, 'not a line any format reads\n');
    await vi.waitFor(async () => expect(await first.value('log_lines_total')).toBe(291), WAIT);

    expect(
      await first.value('http_requests_total', `file="${web}",method="GET",status="200",env="prod",service="web"`),
    ).toBe(150);
    expect(
      await first.value('http_requests_total', `file="${web}",method="GET",status="404",env="prod",service="web"`),
    ).toBe(50);
    expect(await first.value('http_response_bytes_total', 'env="prod",service="web"')).toBe(2000);
    expect(await first.value('log_lines_total', `file="${web}",env="prod",service="web"`)).toBe(200);
    expect(await first.value('log_messages_total', `file="${app}",level="error",env="",service="api"`)).toBe(30);
    expect(await first.value('log_messages_total', `file="${app}",level="info",env="",service="api"`)).toBe(60);
    expect(await first.value('log_errors_total', `file="${plain}",reason="parse_failure",env="",service=""`)).toBe(1);
    // One more cycle: a marker line in the file without an entry is counted, and nothing else moved.
    appendFileSync(plain, 'a marker no format reads either\n');
    await vi.waitFor(async () => expect(await first.value('log_lines_total')).toBe(292), WAIT);
    expect(await first.value('log_lines_total', `file="${web}",env="prod",service="web"`)).toBe(200);
    expect(await first.value('log_messages_total', 'service="api"')).toBe(90);
    const before = await logSeries(first);
    expect(before.filter((l) => l.includes('service="web"')).length).toBeGreaterThan(0);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const second = spawnServe(args);
    running.push(second);
    await second.url;
    expect(await logSeries(second)).toEqual(before);
    appendFileSync(web, nginxLine(1));
    await vi.waitFor(async () => expect(await second.value('log_lines_total')).toBe(293), WAIT);
    expect(await second.value('http_requests_total', 'status="200",env="prod",service="web"')).toBe(151);
  });
});
