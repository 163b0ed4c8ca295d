// Issue 26 items 1 and 8, as a user runs serve: a config file's [[files]] entries read two files of
// two formats at once (an nginx log_format and JSON with a field mapping), and a file read with the
// wrong format is said once on stderr and shown in /api/status with the preset that reads it.

import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { spawnServe, tempDir, useProcesses, WAIT } from './helpers.js';

const T = '[03/Dec/2026:17:00:00 +0000]';
const nginxLine = (i: number) =>
  `10.0.0.${i % 250} - - ${T} "${i % 3 ? 'GET' : 'POST'} /a/${i} HTTP/1.1" ${i % 5 ? 200 : 503} 10 0.0${i % 10}0 0.001, 0.002\n`;
const jsonLine = (i: number) =>
  `{"http":{"method":"${i % 2 ? 'PUT' : 'GET'}","code":${i % 4 ? 200 : 404}},"took_ms":${i},"bytes":3}\n`;

async function statusOf(url: Promise<string>) {
  return (await fetch((await url).replace(/\/metrics$/, '/api/status'))).json() as Promise<{
    files: { path: string; format: string; notParsing: { format: string; suggestion: string | null } | null }[];
  }>;
}

describe('formats per file (serve)', () => {
  const { running, cleanups } = useProcesses();

  it('reads two files of two formats at once from [[files]] entries', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const nginx = join(t.dir, 'nginx.log');
    const json = join(t.dir, 'app.json');
    writeFileSync(nginx, '');
    writeFileSync(json, '');
    const config = join(t.dir, 'config.toml');
    writeFileSync(
      config,
      `[[files]]
watch = ["${nginx}"]
format = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent $request_time $upstream_response_time'

[[files]]
watch = ["${t.dir}/*.json"]
format = "json"
[files.fields]
status = "http.code"
method = "http.method"
duration = "took_ms:ms"
`,
    );
    const s = spawnServe(['--config', config, '--no-positions', '--from', 'beginning']);
    running.push(s);
    await s.url;
    let nginxText = '';
    let jsonText = '';
    for (let i = 0; i < 300; i++) nginxText += nginxLine(i);
    for (let i = 0; i < 200; i++) jsonText += jsonLine(i);
    appendFileSync(nginx, nginxText);
    appendFileSync(json, jsonText);
    await vi.waitFor(async () => expect(await s.value('log_lines_total')).toBe(500), WAIT);

    const n = (f: (i: number) => boolean, count: number) => Array.from({ length: count }, (_, i) => i).filter(f).length;
    expect(await s.value('log_errors_total', 'reason="parse_failure"')).toBe(0);
    expect(await s.value('http_requests_total', `file="${nginx}",method="POST",status="503"`)).toBe(
      n((i) => i % 3 === 0 && i % 5 === 0, 300),
    );
    expect(await s.value('http_requests_total', `file="${nginx}",method="GET",status="200"`)).toBe(
      n((i) => i % 3 !== 0 && i % 5 !== 0, 300),
    );
    expect(await s.value('http_requests_total', `file="${json}",method="PUT",status="200"`)).toBe(
      n((i) => i % 2 === 1 && i % 4 !== 0, 200),
    );
    expect(await s.value('http_requests_total', `file="${json}",method="GET",status="404"`)).toBe(
      n((i) => i % 4 === 0, 200),
    );
    expect(await s.value('http_request_duration_seconds_count', `file="${json}"`)).toBe(200);
    expect(await s.value('http_upstream_duration_seconds_count', `file="${nginx}"`)).toBe(300);
    const status = await statusOf(s.url);
    expect(status.files.find((f) => f.path === json)?.format).toMatch(/^json status=http\.code/);
    expect(status.files.every((f) => f.notParsing === null)).toBe(true);
    // One more cycle: a marker line in the nginx file is counted, and the JSON file's counts did not move.
    appendFileSync(nginx, nginxLine(300));
    await vi.waitFor(async () => expect(await s.value('log_lines_total')).toBe(501), WAIT);
    expect(await s.value('log_lines_total', `file="${json}"`)).toBe(200);
    expect(await s.value('http_request_duration_seconds_count', `file="${json}"`)).toBe(200);
  });

  it('says once on stderr, and in /api/status, that a file does not parse with its format, and which preset reads it', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const file = join(t.dir, 'access.log');
    writeFileSync(file, '');
    const s = spawnServe(['--watch', file, '--format', 'combined', '--no-positions', '--from', 'beginning']);
    running.push(s);
    await s.url;
    const durationLine = (i: number) => `10.0.0.1 - - ${T} "GET /${i} HTTP/1.1" 200 5 "-" "curl" ${1000 + i}\n`;
    const batch = (from: number) => Array.from({ length: 500 }, (_, i) => durationLine(from + i)).join('');
    appendFileSync(file, batch(0));
    await vi.waitFor(() => expect(s.stderr()).toMatch(/did not parse as combined/), WAIT);
    expect(s.stderr()).toMatch(
      new RegExp(
        `${file}: \\d+ of the last \\d+ lines did not parse as combined; they look like --format combined_duration`,
      ),
    );
    const status = await statusOf(s.url);
    expect(status.files.find((f) => f.path === file)?.notParsing).toMatchObject({
      format: 'combined',
      suggestion: 'combined_duration',
    });
    // More failing lines: still said once.
    appendFileSync(file, batch(500) + batch(1000) + batch(1500));
    await vi.waitFor(async () => expect(await s.value('log_lines_total')).toBe(2000), WAIT);
    expect(s.stderr().match(/did not parse as/g)).toHaveLength(1);
    expect((await statusOf(s.url)).files.find((f) => f.path === file)?.notParsing).not.toBeNull();
    // One more cycle: one more failing line is counted, and the warning is still said once.
    appendFileSync(file, durationLine(2000));
    await vi.waitFor(async () => expect(await s.value('log_lines_total')).toBe(2001), WAIT);
    expect(s.stderr().match(/did not parse as/g)).toHaveLength(1);
  });
});
