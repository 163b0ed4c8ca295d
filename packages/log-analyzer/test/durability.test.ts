// What is acknowledged survives: the push log under a file size limit (short writes, EFBIG) and
// kill -9. Each test runs the analyzer in its own process, where the failure needs one.

import { join } from 'node:path';
import { expect, it } from 'vitest';
import { type Served, spawnServe, tempDir, useProcesses } from './helpers.js';

const { running, cleanups } = useProcesses();

function serve(args: string[], prefix: string[] = []): Served {
  const s = spawnServe(args, prefix);
  running.push(s);
  return s;
}

/** 400 increments of x_total in one push (about 26 KB). */
const increments = JSON.stringify(
  Array.from({ length: 400 }, () => ({ name: 'x', type: 'counter', value: 1, labels: { pad: 'a'.repeat(12) } })),
);

async function push(s: Served, body: string): Promise<number> {
  const url = (await s.url).replace(/\/metrics$/, '/metrics/track/batch');
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await response.arrayBuffer();
  return response.status;
}

it('under ulimit -f, a push the log cannot take is answered 503, and after kill -9 every one answered 200 is counted', async () => {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const args = [
    '--watch',
    join(dir, '*.log'),
    '--positions',
    join(dir, 'state', 'cp.json'),
    '--checkpoint-interval',
    '1h',
  ];
  // 64 KiB per file: two pushes fit in a segment, the third is cut short (EFBIG: Node ignores SIGXFSZ).
  const limited = serve(args, ['bash', '-c', 'ulimit -f 64; exec "$@"', 'bash']);
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push(await push(limited, increments));
  expect(statuses.slice(0, 3)).toEqual([200, 200, 503]);
  limited.child.kill('SIGKILL');
  await limited.exited;

  const acknowledged = statuses.filter((s) => s === 200).length * 400;
  const restarted = serve(args);
  await restarted.url;
  expect(await restarted.value('x_total')).toBe(acknowledged);
});
