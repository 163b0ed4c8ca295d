import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type LockHolder, lockCheckpoint, lockVerdict, startTimeOf } from './checkpoint-lock.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('lockVerdict', () => {
  const self: LockHolder = { pid: 10, start: '500', boot: 'b1' };
  const other: LockHolder = { pid: 20, start: '300', boot: 'b1' };
  const table: {
    name: string;
    given: { holder: LockHolder | null; running: { start: string | null } | null };
    want: 'held' | 'stale';
  }[] = [
    { name: 'another live process', given: { holder: other, running: { start: '300' } }, want: 'held' },
    { name: 'its process is gone', given: { holder: other, running: null }, want: 'stale' },
    { name: 'its pid now is another process', given: { holder: other, running: { start: '999' } }, want: 'stale' },
    {
      name: 'written before a reboot',
      given: { holder: { ...other, boot: 'b0' }, running: { start: '300' } },
      want: 'stale',
    },
    {
      name: 'our own pid (a container restart)',
      given: { holder: { ...self, start: '1' }, running: { start: '500' } },
      want: 'stale',
    },
    { name: 'unreadable content', given: { holder: null, running: null }, want: 'stale' },
    {
      name: 'no /proc: alive is held',
      given: { holder: { pid: 20, start: null, boot: null }, running: { start: null } },
      want: 'held',
    },
  ];
  for (const { name, given, want } of table) {
    it(name, () => expect(lockVerdict(given.holder, self, given.running)).toBe(want));
  }

  it('reads the start time past a command name with spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    expect(startTimeOf(`123 (a (b) c) ${fields.join(' ')}`)).toBe('22');
  });
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

  it('in one process a second lock takes over (our own pid), and the release of the first leaves it', async () => {
    const path = checkpoint();
    const first = await lockCheckpoint(path);
    const second = await lockCheckpoint(path);
    await first.release();
    expect(existsSync(second.path)).toBe(true);
    await second.release();
    expect(existsSync(second.path)).toBe(false);
  });
});
