// `noise-maker app`: writes application-log messages (generate/app-lines.ts) at an exact rate of
// messages per second, to one or more files, and keeps the tally of what it wrote by level.

import { AppLines, type AppLinesOptions, type AppTally } from './generate/app-lines.js';
import { type Runner, startRunner } from './runner.js';
import { createSchedule, steady } from './schedule/rate-schedule.js';
import { FileSink, type Rotation } from './sink/file-sink.js';

export interface AppRunOptions {
  outputs: readonly string[];
  /** Messages per second, or as fast as possible. */
  rate: number | 'max';
  durationSeconds: number | null;
  count: number | null;
  /** Rotation after N messages (a message's trace lines stay in one file), or at a size. */
  rotation: Rotation | null;
  lines: Omit<AppLinesOptions, 'simulatedRate'>;
}

export interface AppRunStats extends AppTally {
  seconds: number;
  rotations: number;
  /** Messages the rate asked for by the end. */
  due: number;
}

const BATCH = 1024;

export function startAppRun(options: AppRunOptions, now: () => number = () => performance.now()): Runner<AppRunStats> {
  const sinks = options.outputs.map((path) => new FileSink(path, options.rotation));
  const source = new AppLines({ ...options.lines, simulatedRate: options.rate === 'max' ? 1000 : options.rate });
  const schedule =
    options.rate === 'max' ? null : createSchedule({ ...steady(options.lines.seed), rate: options.rate });
  const stats: AppRunStats = { ...source.tally, seconds: 0, rotations: 0, due: 0 };
  const started = now();
  let next = 0;

  const write = (n: number) => {
    for (let left = n; left > 0; ) {
      const sink = sinks[next % sinks.length] as FileSink;
      // FileSink counts what it is given: messages here, so a rotation never splits a trace.
      const batch = Math.min(left, BATCH, sink.linesUntilRotation);
      sink.write(source.next(batch, Date.now()), batch);
      left -= batch;
      next++;
    }
    Object.assign(stats, source.tally, { levels: { ...source.tally.levels } });
  };

  const loop = async (stopped: AbortSignal) => {
    for (;;) {
      let elapsed = (now() - started) / 1000;
      const finished = options.durationSeconds !== null && elapsed >= options.durationSeconds;
      if (finished) elapsed = options.durationSeconds as number;
      let target = schedule ? schedule.due(elapsed) : stats.messages + BATCH;
      if (options.count !== null) target = Math.min(target, options.count);
      stats.due = Math.max(stats.due, target);
      if (target > stats.messages) write(target - stats.messages);
      if (stopped.aborted || finished || (options.count !== null && stats.messages >= options.count)) break;
      await new Promise((resolve) => (schedule ? setTimeout(resolve, 5) : setImmediate(resolve)));
    }
  };

  return startRunner(stats, loop, () => {
    for (const sink of sinks) {
      sink.close();
      stats.rotations += sink.rotations;
    }
    stats.seconds = (now() - started) / 1000;
  });
}
