// The write loop: keeps lines written equal to what the schedule says is due, spreads them
// over the outputs, and stops at --count, at --duration, or when asked to.

import { LineSource, type LineSourceOptions } from './generate/line-source.js';
import { type Lines, linesOnThisThread, ParallelLines } from './generate/parallel-lines.js';
import { type Runner, startRunner } from './runner.js';
import { createSchedule, type ScheduleOptions } from './schedule/rate-schedule.js';
import { FileSink, type Rotation } from './sink/file-sink.js';

export interface RunOptions {
  outputs: readonly string[];
  rate: number | 'max';
  schedule: Omit<ScheduleOptions, 'rate'>;
  durationSeconds: number | null;
  count: number | null;
  rotation: Rotation | null;
  lines: Omit<LineSourceOptions, 'simulatedRate'>;
  /** At --rate max, threads that render lines while this one writes (0: render here). */
  renderThreads: number;
}

export interface RunStats {
  lines: number;
  malformed: number;
  seconds: number;
  rotations: number;
  /** Lines the rate asked for by the end (0 at --rate max): more than `lines` when it could not be reached. */
  due: number;
}

/** Lines rendered per write at most: big enough to amortise syscalls, small enough to stay smooth. */
const BATCH = 4096;
/** Lines written in one turn of the loop at most, between two looks at the clock. */
const MAX_PER_TURN = 65_536;
/** At --rate max, simulated timestamps advance this many lines per second. */
const NOMINAL_MAX_RATE = 1000;

export function startRun(options: RunOptions, now: () => number = () => performance.now()): Runner<RunStats> {
  const sinks = options.outputs.map((path) => new FileSink(path, options.rotation));
  const lineOptions = { ...options.lines, simulatedRate: options.rate === 'max' ? NOMINAL_MAX_RATE : options.rate };
  const lines: Lines =
    options.rate === 'max' && options.renderThreads > 0
      ? new ParallelLines(lineOptions, options.renderThreads)
      : linesOnThisThread(new LineSource(lineOptions));
  const schedule = options.rate === 'max' ? null : createSchedule({ ...options.schedule, rate: options.rate });
  const stats: RunStats = { lines: 0, malformed: 0, seconds: 0, rotations: 0, due: 0 };
  const started = now();
  let next = 0; // the output that gets the next odd line

  /** Splits n lines evenly over the outputs (the remainder goes round-robin), in batches. */
  const writeLines = (n: number) => {
    const k = sinks.length;
    for (let j = 0; j < k; j++) {
      const sink = sinks[(next + j) % k] as FileSink;
      let left = Math.floor(n / k) + (j < n % k ? 1 : 0);
      while (left > 0) {
        // A batch never crosses a line-count rotation, so rotated files hold exactly N lines.
        const batch = Math.min(left, BATCH, sink.linesUntilRotation);
        sink.write(lines.take(batch, Date.now()), batch);
        left -= batch;
        stats.lines += batch;
      }
    }
    next = (next + (n % k)) % k;
    stats.malformed = lines.malformed;
  };

  const loop = async (stopped: AbortSignal) => {
    for (;;) {
      let elapsed = (now() - started) / 1000;
      const finished = options.durationSeconds !== null && elapsed >= options.durationSeconds;
      if (finished) elapsed = options.durationSeconds as number;
      let target = schedule ? schedule.due(elapsed) : stats.lines + BATCH;
      if (options.count !== null) target = Math.min(target, options.count);
      if (schedule) stats.due = Math.max(stats.due, target);
      // --duration is a hard stop: a turn writes at most MAX_PER_TURN lines, so the clock is
      // looked at often even when the rate is out of reach, and the turn at the end is the last
      // (what the rate asked for and could not get is the shortfall the summary says).
      if (target > stats.lines) writeLines(Math.min(target - stats.lines, MAX_PER_TURN, await lines.ready()));
      if (stopped.aborted || finished || (options.count !== null && stats.lines >= options.count)) break;
      if (!schedule) {
        await new Promise((resolve) => setImmediate(resolve)); // max rate: only yield (signals get through)
        continue;
      }
      if (target > stats.lines) {
        await new Promise((resolve) => setImmediate(resolve)); // behind: write on, letting signals in
        continue;
      }
      // Sleep until about when the next line is due (the schedule's rate now), at most a second,
      // and never past the end.
      const perSecond = schedule.due(elapsed + 1) - schedule.due(elapsed);
      let ms = perSecond > 0 ? Math.min(1000, Math.max(2, 1000 / perSecond)) : 1000;
      if (options.durationSeconds !== null) ms = Math.min(ms, (options.durationSeconds - elapsed) * 1000);
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, ms)));
    }
  };

  return startRunner(stats, loop, async () => {
    await lines.close();
    for (const sink of sinks) {
      sink.close();
      stats.rotations += sink.rotations;
    }
    stats.seconds = (now() - started) / 1000;
  });
}
