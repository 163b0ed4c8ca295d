// What is acknowledged survives: the push log under a file size limit (short writes, EFBIG) and
// kill -9; a checkpoint that cannot be used (corrupt, unreadable) falls back to the previous
// generation, or refuses the start. Each test runs the analyzer in its own process, where the failure needs one.

import {
  appendFileSync,
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { LOCK_REFRESH_MS, LOCK_STALE_AFTER_MS } from '../src/store/checkpoint-lock.js';
import { lines, type Served, spawnServe, tempDir, useProcesses, WAIT } from './helpers.js';

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

/** A push of another name than x: applied when answered, it leaves x_total as it is. */
const marker = JSON.stringify([{ name: 'marker', type: 'gauge', value: 1 }]);

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

/** Lines counted so far, from /api/status (a scrape of /metrics would take a checkpoint). */
async function linesRead(s: Served): Promise<number> {
  const status = await (await fetch((await s.url).replace(/\/metrics$/, '/api/status'))).json();
  return (status.files as { lines: number }[]).reduce((sum, f) => sum + f.lines, 0);
}

/** A checkpoint is taken now: a scrape of /metrics takes one (what it serves is durable). */
const scrape = async (s: Served) => (await fetch(await s.url)).text();

/**
 * Three steps of pushes and lines, a checkpoint after the first two (so `.prev` has step 1 and
 * the newest step 2), then kill -9. Returns the arguments to start again with.
 */
async function threeStepsThenKill(): Promise<{ dir: string; args: string[]; checkpoint: string; file: string }> {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const file = join(dir, 'access.log');
  writeFileSync(file, '');
  const checkpoint = join(dir, 'state', 'cp.json');
  const args = ['--watch', file, '--from', 'beginning', '--positions', checkpoint, '--checkpoint-interval', '1h'];
  const s = serve(args);
  for (let step = 1; step <= 3; step++) {
    appendFileSync(file, lines(10));
    expect(await push(s, increments)).toBe(200);
    await vi.waitFor(async () => expect(await linesRead(s)).toBe(10 * step), WAIT);
    // One more cycle, then the total again: a checkpoint after steps 1 and 2; after step 3, which
    // must not take one (the newest generation stays step 2's), a marker pushed and applied.
    if (step < 3) await scrape(s);
    else expect(await push(s, marker)).toBe(200);
    expect(await linesRead(s)).toBe(10 * step);
  }
  s.child.kill('SIGKILL');
  await s.exited;
  return { dir, args, checkpoint, file };
}

it('a corrupt newest checkpoint: the start falls back to the previous generation, replays the push log, reads the file again from there', async () => {
  const { dir, args, checkpoint } = await threeStepsThenKill();
  expect(JSON.parse(readFileSync(`${checkpoint}.prev`, 'utf8')).sources.push.applied).toBe(1);
  writeFileSync(checkpoint, '{"format":"log-analyzer-checkpoint","version":2,"store":{"famil');
  const back = serve(args);
  await back.url;
  await vi.waitFor(async () => expect(await back.value('log_lines_total')).toBe(30), WAIT);
  expect(await back.value('x_total')).toBe(1200);
  expect(back.stderr()).toMatch(/cp\.json is unusable \(.*\): resuming from the previous generation .*cp\.json\.prev/);
  expect(readdirSync(join(dir, 'state')).filter((f) => f.startsWith('cp.json.corrupt-'))).toHaveLength(1);
  // One more checkpoint later, still exact.
  await scrape(back);
  expect({ lines: await back.value('log_lines_total'), x: await back.value('x_total') }).toEqual({
    lines: 30,
    x: 1200,
  });
});

it('a checkpoint that cannot be read (EIO) falls back too; nothing usable: one line and exit 2; --start-fresh starts, keeping both aside', async () => {
  const { dir, args, checkpoint } = await threeStepsThenKill();
  // A real read error, even for root: /proc/self/mem reads fail with EIO at offset 0.
  writeFileSync(checkpoint, '');
  const { rmSync } = await import('node:fs');
  rmSync(checkpoint);
  symlinkSync('/proc/self/mem', checkpoint);
  const back = serve(args);
  await back.url;
  expect(await back.value('x_total')).toBe(1200);
  expect(back.stderr()).toMatch(/cp\.json is unusable \(cannot be read: EIO; moved aside\)/);
  back.child.kill('SIGTERM');
  expect(await back.exited).toBe(0);

  // Both generations corrupt: refused with one line, exit 2, nothing moved.
  writeFileSync(checkpoint, 'garbage');
  writeFileSync(`${checkpoint}.prev`, 'garbage too');
  const refused = serve(args);
  expect(await refused.exited).toBe(2);
  const said = refused.stderr().trim().split('\n');
  expect(said).toEqual([
    expect.stringMatching(
      /^log-analyzer: no usable checkpoint: .*cp\.json is unusable .* and .*cp\.json\.prev is unusable .*--start-fresh/,
    ),
  ]);
  expect(readFileSync(checkpoint, 'utf8')).toBe('garbage');

  const fresh = serve([...args, '--start-fresh']);
  await fresh.url;
  expect(await fresh.value('x_total')).toBe(0);
  const aside = readdirSync(join(dir, 'state')).filter((f) => f.includes('.corrupt-'));
  const kept = aside.filter((f) => lstatSync(join(dir, 'state', f)).isFile()); // the first is the symlink
  expect(kept.map((f) => readFileSync(join(dir, 'state', f), 'utf8')).sort()).toEqual(['garbage', 'garbage too']);
});

it('a second instance on the same checkpoint exits 2 with one line; after kill -9 of the first, a new one starts', async () => {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const checkpoint = join(dir, 'state', 'cp.json');
  const args = ['--watch', join(dir, '*.log'), '--positions', checkpoint];
  const first = serve(args);
  await first.url;
  expect(await push(first, increments)).toBe(200);

  const second = serve(args);
  expect(await second.exited).toBe(2);
  expect(second.stderr().trim().split('\n')).toEqual([
    `log-analyzer: checkpoint ${checkpoint} is in use by another log-analyzer (pid ${first.child.pid}, lock ${checkpoint}.lock); stop it, or give this one another --positions`,
  ]);
  expect(await first.value('x_total')).toBe(400); // the first goes on, untouched

  first.child.kill('SIGKILL');
  await first.exited;
  const third = serve(args); // the lock is stale now: taken over
  await third.url;
  expect(await third.value('x_total')).toBe(400);
  third.child.kill('SIGTERM');
  expect(await third.exited).toBe(0);
  expect(existsSync(`${checkpoint}.lock`)).toBe(false); // released at stop
});

/** Runs the analyzer as pid 1 of its own pid namespace under host name `host`: a container of its own. */
function inContainer(host: string): string[] {
  const namespaces = ['--user', '--map-root-user', '--uts', '--pid', '--fork', '--mount-proc', '--kill-child'];
  return ['unshare', ...namespaces, 'sh', '-c', 'hostname "$0" && exec "$@"', host];
}

it('two containers on one checkpoint, each pid 1 under its own host name: the second exits 2 while the first refreshes its lock; a restart of the first takes it at once, another container only a window after the last refresh', async () => {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const checkpoint = join(dir, 'state', 'cp.json');
  const lock = `${checkpoint}.lock`;
  const args = ['--watch', join(dir, '*.log'), '--positions', checkpoint];
  const started = (s: Served) => Promise.race([s.exited, s.url.then(() => 'started')]);
  const refused = new RegExp(
    `^log-analyzer: checkpoint ${checkpoint} is in use by another log-analyzer \\(pid 1 on host container-a, taken over if not refreshed within \\d+ s, lock ${checkpoint}\\.lock\\); stop it, or give this one another --positions$`,
  );
  const backdate = () => {
    const past = (Date.now() - LOCK_STALE_AFTER_MS - 1_000) / 1000;
    utimesSync(lock, past, past);
  };

  const a = serve(args, inContainer('container-a'));
  expect(await started(a)).toBe('started');
  expect(await push(a, increments)).toBe(200);
  expect(JSON.parse(readFileSync(lock, 'utf8'))).toMatchObject({ pid: 1, host: 'container-a' });
  backdate(); // stale now, were it not for the holder's heartbeat:
  await vi.waitFor(() => expect(statSync(lock).mtimeMs).toBeGreaterThan(Date.now() - 2 * LOCK_REFRESH_MS), WAIT);

  const b = serve(args, inContainer('container-b'));
  expect(await started(b)).toBe(2);
  expect(b.stderr().trim().split('\n')).toEqual([expect.stringMatching(refused)]);
  expect(await a.value('x_total')).toBe(400); // the first goes on, untouched

  a.child.kill('SIGKILL'); // --kill-child: its pid 1 goes with it
  await a.exited;
  const restarted = serve(args, inContainer('container-a')); // a container restart: same host name, pid 1
  expect(await started(restarted)).toBe('started');
  expect(await restarted.value('x_total')).toBe(400);
  restarted.child.kill('SIGKILL');
  await restarted.exited;

  const early = serve(args, inContainer('container-b')); // its lock was refreshed moments ago
  expect(await started(early)).toBe(2);
  expect(early.stderr().trim().split('\n')).toEqual([expect.stringMatching(refused)]);
  backdate(); // as if the window had passed with no refresh
  const late = serve(args, inContainer('container-b'));
  expect(await started(late)).toBe('started');
  expect(await late.value('x_total')).toBe(400);
  expect(JSON.parse(readFileSync(lock, 'utf8'))).toMatchObject({ pid: 1, host: 'container-b' });
});
