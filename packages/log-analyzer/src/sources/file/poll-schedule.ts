// The file source's poll schedule: how often the Tailer re-checks each followed file, and whether
// one is due on a tick. Pure; the Tailer's timer and the tails' activity feed it.

/**
 * How often a tail is polled. With events, polling only catches what an event missed: chokidar
 * can drop the last change of a burst, so a file written in the last 10 s is polled every
 * `baseMs`; a quiet file is woken by the next event at once and polled only as a safety net.
 * Without events (--poll) every file is polled every `baseMs`. Pure.
 */
export function pollEveryMs(baseMs: number, quietMs: number, events: boolean): number {
  if (!events || quietMs < 10_000) return baseMs;
  return quietMs < 60_000 ? Math.max(baseMs, 5_000) : Math.max(baseMs, 30_000);
}

/**
 * Whether a tail last checked at `lastCheckedMs` is due at `nowMs` when it is polled every
 * `everyMs`. A ms of slack: an interval timer may fire a ms early, and a tail polled every tick
 * must not skip every other one.
 */
export function pollDue(nowMs: number, lastCheckedMs: number, everyMs: number): boolean {
  return nowMs - lastCheckedMs + 1 >= everyMs;
}
