// One analyzer per checkpoint: `<checkpoint>.lock` names the process that holds it (pid, its start
// time in clock ticks since boot, the boot id, the host name), so a second instance on the same
// checkpoint (and so the same push log and Redis consumer name) refuses to start instead of
// overwriting the first's. Node has no flock: the lock file is made whole under a temporary name
// and linked into place (link fails if the name exists, like O_EXCL). The holder touches its mtime
// every LOCK_REFRESH_MS until release, so a holder /proc cannot see (another container, another
// machine on a shared volume) is stale only once it stops refreshing. The verdict is pure
// (lockVerdict); /proc, the clock and the timer are at the edge.

import { randomBytes } from 'node:crypto';
import { link, open, readFile, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { CheckpointError, makeDirectories } from './checkpoint.js';

/** How often the holder refreshes its lock's mtime. */
export const LOCK_REFRESH_MS = 5_000;
/**
 * A lock held from another host or boot is stale after this long without a refresh (six missed
 * refreshes: a busy event loop or a slow NFS server is not a dead holder). Clocks must agree to
 * well within it, since the mtime is the holder's clock and its age is read on ours.
 */
export const LOCK_STALE_AFTER_MS = 30_000;

/** Who holds a lock: a process is its pid and its start time (pids are reused), on one boot of one host. */
export interface LockHolder {
  pid: number;
  /** /proc/<pid>/stat's starttime (field 22); null where there is no /proc. */
  start: string | null;
  /** /proc/sys/kernel/random/boot_id; null where there is none. */
  boot: string | null;
  /** os.hostname(): a container's own, kept across its restarts; null in locks of older versions. */
  host: string | null;
}

/**
 * Pure: whether our /proc speaks of the holder's pid: the same host name and the same boot
 * (unknown on either side counts as the same). Two containers on one host share the boot but not
 * the host name, and each may be pid 1 in its own pid namespace.
 */
export function seenHere(holder: LockHolder, self: LockHolder): boolean {
  const same = (a: string | null, b: string | null) => a === null || b === null || a === b;
  return same(holder.host, self.host) && same(holder.boot, self.boot);
}

/** What /proc says of a pid: its start time and its state (`R`, `S`, … `Z`); null where there is no /proc. */
export interface Running {
  start: string | null;
  state?: string | null;
}

/**
 * Pure: whether a lock still stands. `holder` is the file's content (null: unreadable), `running`
 * what /proc says of its pid now (null: no such process), `ageMs` how long since its last refresh.
 * Here the pid decides: gone, dead and not yet reaped (state Z or X), reused, or our own (a
 * container restart keeps its host name and its pid 1) is stale at once. Elsewhere only the
 * refresh can tell, so it stands for LOCK_STALE_AFTER_MS. A pid that is no process's (0 or
 * negative: kill(0|-1, 0) signals a group and succeeds) never holds it.
 */
export function lockVerdict(
  holder: LockHolder | null,
  self: LockHolder,
  running: Running | null,
  ageMs: number,
): 'held' | 'stale' {
  if (!holder || !(Number.isInteger(holder.pid) && holder.pid > 0)) return 'stale';
  if (!seenHere(holder, self)) return ageMs < LOCK_STALE_AFTER_MS ? 'held' : 'stale';
  if (holder.pid === self.pid) return 'stale';
  if (!running || running.state === 'Z' || running.state === 'X') return 'stale';
  if (holder.start !== null && running.start !== null && holder.start !== running.start) return 'stale';
  return 'held';
}

/** Pure: the starttime field of a /proc/<pid>/stat line (the command name may hold spaces and parentheses). */
export function startTimeOf(stat: string): string | null {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] ?? null;
}

/** Pure: the state field of a /proc/<pid>/stat line (Z: a zombie, dead but not yet reaped). */
export function stateOf(stat: string): string | null {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] || null;
}

/** Pure: the refusal, one line; for a holder elsewhere, where it runs and when it would be taken over. */
export function heldMessage(checkpoint: string, holder: LockHolder, self: LockHolder, ageMs: number): string {
  let where = '';
  if (!seenHere(holder, self)) {
    const left = Math.max(1, Math.ceil((LOCK_STALE_AFTER_MS - ageMs) / 1000));
    const host = holder.host ?? 'unknown';
    where = ` on host ${host}${holder.host !== null && holder.host === self.host ? ' (another boot)' : ''}, taken over if not refreshed within ${left} s`;
  }
  return `checkpoint ${checkpoint} is in use by another log-analyzer (pid ${holder.pid}${where}, lock ${checkpoint}.lock); stop it, or give this one another --positions`;
}

/** Pure: a lock file's content; null (unreadable, so stale) unless it names a pid > 0. */
export function parseHolder(text: string): LockHolder | null {
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  try {
    const h = JSON.parse(text);
    const pid = h?.pid;
    return Number.isInteger(pid) && pid > 0 ? { pid, start: str(h.start), boot: str(h.boot), host: str(h.host) } : null;
  } catch {
    return null;
  }
}

/** The lock's content and mtime from one open (on NFS an open revalidates cached attributes); null: gone. */
async function readLock(path: string): Promise<{ text: string; mtimeMs: number } | null> {
  const handle = await open(path, 'r').catch(() => null);
  if (!handle) return null;
  try {
    const [text, stat] = await Promise.all([handle.readFile('utf8'), handle.stat()]);
    return { text, mtimeMs: stat.mtimeMs };
  } catch {
    return null;
  } finally {
    await handle.close();
  }
}

/** What /proc says of a pid now; null: no such process. */
async function runningAs(pid: number): Promise<Running | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return { start: startTimeOf(stat), state: stateOf(stat) };
  } catch {
    try {
      process.kill(pid, 0); // no /proc: at least whether it exists
      return { start: null };
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM' ? { start: null } : null;
    }
  }
}

async function self(host: string): Promise<LockHolder> {
  const read = (path: string) => readFile(path, 'utf8').catch(() => null);
  const stat = await read('/proc/self/stat');
  return {
    pid: process.pid,
    start: stat === null ? null : startTimeOf(stat),
    boot: (await read('/proc/sys/kernel/random/boot_id'))?.trim() ?? null,
    host,
  };
}

export interface CheckpointLock {
  path: string;
  release(): Promise<void>;
}

export interface LockOptions {
  /** Our host name (tests: two hosts in one process); os.hostname() by default. */
  host?: string;
  /** Milliseconds since the epoch; Date.now by default. */
  now?: () => number;
  /** Starts calling `refresh` (every LOCK_REFRESH_MS on an unref'd timer by default); returns its stop. */
  heartbeat?: (refresh: () => Promise<void>) => () => void;
  /** Told once, at a refresh, when another process has taken the lock over (this one was judged stale). */
  lost?: (message: string) => void;
}

function everyRefresh(refresh: () => Promise<void>): () => void {
  const timer = setInterval(() => void refresh(), LOCK_REFRESH_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** Takes `<checkpoint>.lock`, or throws a CheckpointError (one line: the file, the other pid). */
export async function lockCheckpoint(checkpoint: string, options: LockOptions = {}): Promise<CheckpointLock> {
  const { now = Date.now, heartbeat = everyRefresh, lost } = options;
  const path = `${checkpoint}.lock`;
  const me = await self(options.host ?? hostname());
  // The nonce tells this lock from one another analyzer in the same process took over (tests).
  const content = `${JSON.stringify({ ...me, nonce: randomBytes(6).toString('hex') })}\n`;
  const temp = `${path}.${process.pid}`;
  // The mtime is always our clock (a fresh file on NFS would carry the server's), as at each refresh.
  const touch = (file: string) => {
    const seconds = now() / 1000;
    return utimes(file, seconds, seconds);
  };
  makeDirectories(dirname(resolve(path)));
  await writeFile(temp, content);
  try {
    await touch(temp);
    for (let attempt = 0; ; attempt++) {
      try {
        await link(temp, path);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw error;
      }
      const found = await readLock(path);
      if (found === null) continue; // gone meanwhile: try again
      const holder = parseHolder(found.text);
      const age = Math.round(now() - found.mtimeMs); // utimes keeps sub-millisecond noise
      if (holder && lockVerdict(holder, me, await runningAs(holder.pid), age) === 'held') {
        throw new CheckpointError(heldMessage(checkpoint, holder, me, age));
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
  let told = false;
  let released = false;
  const stop = heartbeat(async () => {
    const text = await readFile(path, 'utf8').catch(() => null);
    // A failed touch is retried at the next beat; only LOCK_STALE_AFTER_MS of failures lose the lock.
    if (text === content) return touch(path).catch(() => {});
    if (told || released) return;
    told = true;
    const other = text === null ? null : parseHolder(text);
    const state = other ? `held by pid ${other.pid}${other.host ? ` on host ${other.host}` : ''}` : 'removed';
    lost?.(`lock ${path} is no longer ours (${state}): another log-analyzer may be writing this checkpoint`);
  });
  return {
    path,
    async release() {
      released = true;
      stop();
      // Only ours: never a lock another process took over after deciding ours was stale.
      if ((await readFile(path, 'utf8').catch(() => null)) === content) await unlink(path).catch(() => {});
    },
  };
}
