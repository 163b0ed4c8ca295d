// The handle both loops hand back (the file writer in run.ts, the pusher in push-run.ts): live stats,
// a promise of the final ones, and stop(). Owns the stop flag and the order of the end: loop, then finish.

export interface Runner<Stats> {
  /** The tallies so far, updated in place while the run goes on. */
  readonly stats: Stats;
  /** Resolves when the run ends (count or duration reached, or stop() called), after `finish` ran. */
  done: Promise<Stats>;
  stop(): void;
}

/**
 * Runs `loop` until it returns (it checks `stopped.aborted` between turns), then `finish` (always, also
 * when the loop threw), and resolves with `stats`. The loop starts at once, before this returns.
 */
export function startRunner<Stats>(
  stats: Stats,
  loop: (stopped: AbortSignal) => Promise<void>,
  finish: () => Promise<void> | void,
): Runner<Stats> {
  const stopper = new AbortController();
  const done = (async () => {
    try {
      await loop(stopper.signal);
    } finally {
      await finish();
    }
    return stats;
  })();
  return {
    stats,
    done,
    stop() {
      stopper.abort();
    },
  };
}
