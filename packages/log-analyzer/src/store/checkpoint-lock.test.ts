import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  heldMessage,
  LOCK_STALE_AFTER_MS,
  type LockHolder,
  lockCheckpoint,
  lockVerdict,
  parseHolder,
  type Running,
  startTimeOf,
  stateOf,
} from './checkpoint-lock.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('lockVerdict', () => {
  const self: LockHolder = { pid: 10, start: '500', boot: 'b1', host: 'h1' };
  const other: LockHolder = { pid: 20, start: '300', boot: 'b1', host: 'h1' };
  const container: LockHolder = { pid: 10, start: '1', boot: 'b1', host: 'c2' }; // pid 1 in its namespace, like us
  const machine: LockHolder = { pid: 20, start: '300', boot: 'b2', host: 'm2' };
  const table: {
    name: string;
    given: { holder: LockHolder | null; running: Running | null; ageMs: number };
    want: 'held' | 'stale';
  }[] = [
    { name: 'another live process', given: { holder: other, running: { start: '300' }, ageMs: 0 }, want: 'held' },
    {
      name: 'another live process here, however old its refresh',
      given: { holder: other, running: { start: '300' }, ageMs: 3_600_000 },
      want: 'held',
    },
    { name: 'its process is gone', given: { holder: other, running: null, ageMs: 0 }, want: 'stale' },
    {
      name: 'its pid now is another process',
      given: { holder: other, running: { start: '999' }, ageMs: 0 },
      want: 'stale',
    },
    {
      name: 'our own pid and host (a container restart), refreshed just now',
      given: { holder: { ...self, start: '1' }, running: { start: '500' }, ageMs: 0 },
      want: 'stale',
    },
    {
      name: 'written before a reboot, not refreshed since',
      given: { holder: { ...other, boot: 'b0' }, running: { start: '300' }, ageMs: 30_000 },
      want: 'stale',
    },
    {
      name: 'same host name, another boot, refreshed (two machines named alike)',
      given: { holder: { ...other, boot: 'b0' }, running: null, ageMs: 1_000 },
      want: 'held',
    },
    {
      name: 'another container on this host with our pid, refreshed',
      given: { holder: container, running: { start: '500' }, ageMs: 29_999 },
      want: 'held',
    },
    {
      name: 'another container whose pid here is another process, refreshed',
      given: { holder: { ...container, pid: 20 }, running: { start: '300' }, ageMs: 1_000 },
      want: 'held',
    },
    {
      name: 'another container, not refreshed for the window',
      given: { holder: container, running: { start: '500' }, ageMs: 30_000 },
      want: 'stale',
    },
    { name: 'another machine, refreshed', given: { holder: machine, running: null, ageMs: 5_000 }, want: 'held' },
    {
      name: 'another machine, not refreshed for the window',
      given: { holder: machine, running: { start: '300' }, ageMs: 45_000 },
      want: 'stale',
    },
    {
      name: 'a lock of an older version (no host) is judged here',
      given: { holder: { ...other, host: null }, running: null, ageMs: 0 },
      want: 'stale',
    },
    { name: 'unreadable content', given: { holder: null, running: null, ageMs: 0 }, want: 'stale' },
    {
      name: 'its process is dead but not yet reaped (a zombie)',
      given: { holder: other, running: { start: '300', state: 'Z' }, ageMs: 0 },
      want: 'stale',
    },
    {
      name: 'its process is running (state S)',
      given: { holder: other, running: { start: '300', state: 'S' }, ageMs: 0 },
      want: 'held',
    },
    // kill(0, 0) and kill(-1, 0) signal a group and succeed: "running" without /proc.
    {
      name: 'pid 0',
      given: { holder: { ...other, pid: 0, start: null }, running: { start: null }, ageMs: 0 },
      want: 'stale',
    },
    {
      name: 'pid -1',
      given: { holder: { ...other, pid: -1, start: null }, running: { start: null }, ageMs: 0 },
      want: 'stale',
    },
    {
      name: 'no /proc: alive is held',
      given: { holder: { pid: 20, start: null, boot: null, host: null }, running: { start: null }, ageMs: 0 },
      want: 'held',
    },
  ];
  for (const { name, given, want } of table) {
    it(name, () => expect(lockVerdict(given.holder, self, given.running, given.ageMs)).toBe(want));
  }

  const messages: { name: string; given: { holder: LockHolder; ageMs: number }; want: string }[] = [
    { name: 'here: the pid', given: { holder: other, ageMs: 0 }, want: '(pid 20, lock cp.lock)' },
    {
      name: 'another host: where, and how long until it is taken over',
      given: { holder: container, ageMs: 4_200 },
      want: '(pid 10 on host c2, taken over if not refreshed within 26 s, lock cp.lock)',
    },
    {
      name: 'another boot of a host named like ours',
      given: { holder: { ...other, boot: 'b0' }, ageMs: 29_999 },
      want: '(pid 20 on host h1 (another boot), taken over if not refreshed within 1 s, lock cp.lock)',
    },
  ];
  for (const { name, given, want } of messages) {
    it(`says ${name}`, () =>
      expect(heldMessage('cp', given.holder, self, given.ageMs)).toBe(
        `checkpoint cp is in use by another log-analyzer ${want}; stop it, or give this one another --positions`,
      ));
  }

  it('reads the start time and the state past a command name with spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    expect(startTimeOf(`123 (a (b) c) ${fields.join(' ')}`)).toBe('22');
    expect(stateOf(`123 (a (b) Z c) Z ${fields.slice(1).join(' ')}`)).toBe('Z');
  });

  const contents: { name: string; given: string; want: number | null }[] = [
    { name: 'a pid', given: '{"pid":42,"start":"7","boot":"b","host":"h"}', want: 42 },
    { name: 'pid 0', given: '{"pid":0,"start":"7"}', want: null },
    { name: 'pid -1', given: '{"pid":-1}', want: null },
    { name: 'a fractional pid', given: '{"pid":4.5}', want: null },
    { name: 'a pid as text', given: '{"pid":"42"}', want: null },
    { name: 'no pid', given: '{"start":"7"}', want: null },
    { name: 'not JSON', given: '{"pid":4', want: null },
  ];
  for (const { name, given, want } of contents) {
    it(`reads a lock holding ${name}`, () => expect(parseHolder(given)?.pid ?? null).toBe(want));
  }
});

describe('lockCheckpoint', () => {
  const checkpoint = () => {
    const d = mkdtempSync(join(tmpdir(), 'lock-'));
    dirs.push(d);
    return join(d, 'state', 'cp.json');
  };

  it('refuses while another live process holds it, naming the file and its pid', async () => {
    const path = checkpoint();
    const lock = await lockCheckpoint(path);
    // Held by pid 1, as it really runs now.
    const start = startTimeOf(readFileSync('/proc/1/stat', 'utf8'));
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    writeFileSync(lock.path, JSON.stringify({ pid: 1, start, boot }));
    await expect(lockCheckpoint(path)).rejects.toThrow(
      `checkpoint ${path} is in use by another log-analyzer (pid 1, lock ${path}.lock); stop it, or give this one another --positions`,
    );
    // Not ours any more: release leaves it alone.
    await lock.release();
    expect(existsSync(lock.path)).toBe(true);
  });

  it('takes over the lock of a process that is gone, and releases its own', async () => {
    const path = checkpoint();
    const first = await lockCheckpoint(path);
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(first.path, JSON.stringify({ pid: Number(gone.stdout), start: '1', boot: null }));
    const second = await lockCheckpoint(path);
    expect(JSON.parse(readFileSync(second.path, 'utf8')).pid).toBe(process.pid);
    await second.release();
    expect(existsSync(second.path)).toBe(false);
  });

  it('takes over a lock holding pid 0 or -1 (kill(0|-1, 0) succeeds: once judged held forever)', async () => {
    const path = checkpoint();
    for (const pid of [0, -1]) {
      const first = await lockCheckpoint(path);
      writeFileSync(first.path, JSON.stringify({ pid, start: null, boot: null }));
      const second = await lockCheckpoint(path);
      expect(JSON.parse(readFileSync(second.path, 'utf8')).pid).toBe(process.pid);
      await second.release();
    }
  });

  it('takes over the lock of a holder that died but is not yet reaped (state Z)', async () => {
    const path = checkpoint();
    // The forked child exits at once; its parent never waits for it: a zombie. (perl is in every
    // Debian; a shell's `sleep 0 & exec sleep 30` raced: the shell could reap it before the exec.)
    const script = '$| = 1; my $pid = fork; exit 0 unless $pid; print "$pid\n"; sleep 30';
    const parent = spawn('perl', ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const [line] = (await once(parent.stdout, 'data')) as [Buffer];
      const pid = Number(line.toString().trim());
      const stat = () => readFileSync(`/proc/${pid}/stat`, 'utf8');
      await vi.waitFor(() => expect(stateOf(stat())).toBe('Z'));
      const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
      const first = await lockCheckpoint(path);
      writeFileSync(first.path, JSON.stringify({ pid, start: startTimeOf(stat()), boot }));
      const second = await lockCheckpoint(path);
      expect(JSON.parse(readFileSync(second.path, 'utf8')).pid).toBe(process.pid);
      await second.release();
    } finally {
      parent.kill();
    }
  });

  it('in one process a second lock takes over (our own pid), and the release of the first leaves it', async () => {
    const path = checkpoint();
    const first = await lockCheckpoint(path);
    const second = await lockCheckpoint(path);
    await first.release();
    expect(existsSync(second.path)).toBe(true);
    await second.release();
    expect(existsSync(second.path)).toBe(false);
  });

  it('held from another host, it stands while refreshed, is taken over a window after the last refresh, and its holder is told', async () => {
    const path = checkpoint();
    let clock = 1_800_000_000_000;
    const now = () => clock;
    let beat: () => Promise<void> = async () => {};
    const lost: string[] = [];
    const first = await lockCheckpoint(path, {
      host: 'container-a',
      now,
      heartbeat: (refresh) => {
        beat = refresh;
        return () => {};
      },
      lost: (message) => lost.push(message),
    });
    const quiet = () => () => {};
    const refused = (seconds: number) =>
      `checkpoint ${path} is in use by another log-analyzer (pid ${process.pid} on host container-a, taken over if not refreshed within ${seconds} s, lock ${path}.lock); stop it, or give this one another --positions`;
    // Same pid, as two containers' pid 1: only the host name tells them apart.
    await expect(lockCheckpoint(path, { host: 'container-b', now, heartbeat: quiet })).rejects.toThrow(refused(30));
    clock += 25_000;
    await expect(lockCheckpoint(path, { host: 'container-b', now, heartbeat: quiet })).rejects.toThrow(refused(5));
    await beat();
    clock += 25_000; // 50 s after the take, 25 s after the refresh
    await expect(lockCheckpoint(path, { host: 'container-b', now, heartbeat: quiet })).rejects.toThrow(refused(5));
    expect(JSON.parse(readFileSync(first.path, 'utf8')).host).toBe('container-a'); // refreshed, never rewritten

    clock += LOCK_STALE_AFTER_MS - 25_000; // the first stops refreshing: a window after its last refresh
    const second = await lockCheckpoint(path, { host: 'container-b', now, heartbeat: quiet });
    expect(JSON.parse(readFileSync(second.path, 'utf8')).host).toBe('container-b');
    await beat(); // the first, back from a pause, learns it lost the lock (once)
    await beat();
    expect(lost).toEqual([
      `lock ${path}.lock is no longer ours (held by pid ${process.pid} on host container-b): another log-analyzer may be writing this checkpoint`,
    ]);
    await first.release();
    expect(existsSync(second.path)).toBe(true);
    await second.release();
    expect(existsSync(second.path)).toBe(false);
  });
});
