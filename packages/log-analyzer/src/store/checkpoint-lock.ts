// One analyzer per checkpoint: `<checkpoint>.lock` names the process that holds it (pid, its start
// time in clock ticks since boot, the boot id), so a second instance on the same checkpoint (and
// so the same push log and Redis consumer name) refuses to start instead of overwriting the
// first's. Node has no flock: the lock file is made whole under a temporary name and linked into
// place (link fails if the name exists, like O_EXCL). A lock whose process is gone (or rebooted
// away, or a pid now used by another process, or our own pid after a container restart) is stale
// and taken over. The verdict is pure (lockVerdict); /proc is read at the edge.

import { randomBytes } from 'node:crypto';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { CheckpointError, makeDirectories } from './checkpoint.js';

/** Who holds a lock: a process is its pid and its start time (pids are reused), on one boot. */
export interface LockHolder {
  pid: number;
  /** /proc/<pid>/stat's starttime (field 22); null where there is no /proc. */
  start: string | null;
  /** /proc/sys/kernel/random/boot_id; null where there is none. */
  boot: string | null;
}

/**
 * Pure: whether a lock still stands. `holder` is the file's content (null: unreadable), `running`
 * what /proc says of its pid now (null: no such process).
 */
export function lockVerdict(
  holder: LockHolder | null,
  self: LockHolder,
  running: { start: string | null } | null,
): 'held' | 'stale' {
  if (!holder) return 'stale';
  if (holder.boot !== null && self.boot !== null && holder.boot !== self.boot) return 'stale';
  if (holder.pid === self.pid) return 'stale';
  if (!running) return 'stale';
  if (holder.start !== null && running.start !== null && holder.start !== running.start) return 'stale';
  return 'held';
}

/** Pure: the starttime field of a /proc/<pid>/stat line (the command name may hold spaces and parentheses). */
export function startTimeOf(stat: string): string | null {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] ?? null;
}

function parseHolder(text: string): LockHolder | null {
  try {
    const h = JSON.parse(text);
    return Number.isInteger(h?.pid) ? { pid: h.pid, start: h.start ?? null, boot: h.boot ?? null } : null;
  } catch {
    return null;
  }
}

/** What /proc says of a pid now; null: no such process. */
async function runningAs(pid: number): Promise<{ start: string | null } | null> {
  try {
    return { start: startTimeOf(await readFile(`/proc/${pid}/stat`, 'utf8')) };
  } catch {
    try {
      process.kill(pid, 0); // no /proc: at least whether it exists
      return { start: null };
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM' ? { start: null } : null;
    }
  }
}

async function self(): Promise<LockHolder> {
  const read = (path: string) => readFile(path, 'utf8').catch(() => null);
  const stat = await read('/proc/self/stat');
  return {
    pid: process.pid,
    start: stat === null ? null : startTimeOf(stat),
    boot: (await read('/proc/sys/kernel/random/boot_id'))?.trim() ?? null,
  };
}

export interface CheckpointLock {
  path: string;
  release(): Promise<void>;
}

/** Takes `<checkpoint>.lock`, or throws a CheckpointError (one line: the file, the other pid). */
export async function lockCheckpoint(checkpoint: string): Promise<CheckpointLock> {
  const path = `${checkpoint}.lock`;
  const me = await self();
  // The nonce tells this lock from one another analyzer in the same process took over (tests).
  const content = `${JSON.stringify({ ...me, nonce: randomBytes(6).toString('hex') })}\n`;
  const temp = `${path}.${process.pid}`;
  makeDirectories(dirname(resolve(path)));
  await writeFile(temp, content);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(temp, path);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw error;
      }
      const text = await readFile(path, 'utf8').catch(() => null);
      if (text === null) continue; // gone meanwhile: try again
      const holder = parseHolder(text);
      if (holder && lockVerdict(holder, me, await runningAs(holder.pid)) === 'held') {
        throw new CheckpointError(
          `checkpoint ${checkpoint} is in use by another log-analyzer (pid ${holder.pid}, lock ${path}); stop it, or give this one another --positions`,
        );
      }
      // Stale: its process is gone. (Two starts taking over the same stale lock at the same
      // instant could both succeed; a start is not that frequent.)
      await unlink(path).catch(() => {});
    }
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    const e = error as NodeJS.ErrnoException;
    throw new CheckpointError(`cannot lock checkpoint ${checkpoint} (${path}): ${e.code ?? e.message}`);
  } finally {
    await unlink(temp).catch(() => {});
  }
  return {
    path,
    async release() {
      // Only ours: never a lock another process took over after deciding ours was stale.
      if ((await readFile(path, 'utf8').catch(() => null)) === content) await unlink(path).catch(() => {});
    },
  };
}
