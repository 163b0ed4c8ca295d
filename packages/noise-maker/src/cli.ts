#!/usr/bin/env node
// Command line: flags → validated RunOptions; signals; progress and the final summary on stderr.

import { Command, InvalidArgumentError, Option } from 'commander';
import { compileFormat, DEFAULT_FORMAT, FormatError, PRESETS } from 'log-analyzer/format';
import {
  parseDuration,
  parseFraction,
  parsePositive,
  parseRate,
  parseRotateEvery,
  parseStartTime,
  parseWhole,
  UsageError,
} from './options.js';
import { startRun } from './run.js';
import type { Pattern } from './schedule/rate-schedule.js';
import type { RotateMode } from './sink/file-sink.js';
import { startStatsServer } from './stats-server.js';

/** Lets commander report our parse errors as its own one-line "error: option ... argument ..." messages. */
function arg<T>(parse: (value: string) => T) {
  return (value: string): T => {
    try {
      return parse(value);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
}

function fail(message: string): never {
  process.stderr.write(`noise-maker: ${message}\n`);
  process.exit(2);
}

interface Flags {
  output: string[];
  rate: number | 'max';
  pattern: Pattern;
  burstFactor: number;
  burstEvery: number;
  burstLength: number;
  period: number;
  waveAmplitude: number;
  duration?: number;
  count?: number;
  format: string;
  errorRate: number;
  malformedRate: number;
  seed?: number;
  startTime?: number;
  rotateEvery?: { lines: number | null; bytes: number | null };
  rotateMode: RotateMode;
  keep: number;
  statsPort?: number;
  statsHost: string;
  quiet: boolean;
}

const program = new Command('noise-maker')
  .description('Appends realistic synthetic Apache access-log traffic to files at exact rates.')
  .showHelpAfterError('(run with --help for usage)')
  .option('-o, --output <file...>', 'files to append to (several share the rate); - is stdout', ['-'])
  .addOption(new Option('-r, --rate <n>', 'lines per second, or "max"').default(1000).argParser(arg(parseRate)))
  .addOption(
    new Option('--pattern <pattern>', 'how the rate varies over time')
      .choices(['steady', 'poisson', 'burst', 'wave'])
      .default('steady'),
  )
  .option('--burst-factor <x>', 'burst: rate multiplier during a burst', arg(parsePositive('--burst-factor')), 5)
  .option('--burst-every <duration>', 'burst: time from one burst to the next', arg(parseDuration), 10)
  .option('--burst-length <duration>', 'burst: how long a burst lasts', arg(parseDuration), 1)
  .option('--period <duration>', 'wave: length of one cycle', arg(parseDuration), 60)
  .option(
    '--wave-amplitude <fraction>',
    'wave: swing around the mean rate (0..1)',
    arg(parseFraction('--wave-amplitude')),
    0.5,
  )
  .option('-d, --duration <duration>', 'stop after this long (30s, 5m, 1h)', arg(parseDuration))
  .option('-n, --count <lines>', 'stop after this many lines', arg(parseWhole('--count', 1)))
  .option(
    '-f, --format <format>',
    `a preset (${Object.keys(PRESETS).join(', ')}) or an Apache LogFormat string`,
    arg((v) => {
      try {
        return compileFormat(v).source;
      } catch (error) {
        throw new UsageError(error instanceof FormatError ? error.message : String(error));
      }
    }),
    PRESETS[DEFAULT_FORMAT],
  )
  .option('--error-rate <fraction>', 'share of requests answered with a 5xx', arg(parseFraction('--error-rate')), 0.01)
  .option('--malformed-rate <fraction>', 'share of lines written broken', arg(parseFraction('--malformed-rate')), 0)
  .option('--seed <n>', 'random seed (default: from the clock; printed in the summary)', arg(parseWhole('--seed', 0)))
  .option('--start-time <iso>', 'simulated timestamps from this time, advancing with the rate', arg(parseStartTime))
  .option('--rotate-every <lines|size>', 'rotate after N lines (100000) or at a size (10MB)', arg(parseRotateEvery))
  .addOption(
    new Option('--rotate-mode <mode>', 'how to rotate, as logrotate does')
      .choices(['rename', 'copytruncate'])
      .default('rename'),
  )
  .option('--keep <n>', 'rotated files kept (file.1 … file.N)', arg(parseWhole('--keep', 0)), 5)
  .option('--stats-port <port>', 'serve noise_maker_* metrics on this port', arg(parseWhole('--stats-port', 1)))
  .option('--stats-host <host>', 'address for --stats-port', '0.0.0.0')
  .option('-q, --quiet', 'no progress line, even on a terminal', false)
  .action(async (flags: Flags) => {
    if (flags.rotateEvery && flags.output.includes('-')) fail('--rotate-every needs file outputs, not stdout (-)');
    const seed = flags.seed ?? Date.now() % 2 ** 31;
    let runner: ReturnType<typeof startRun>;
    try {
      runner = startRun({
        outputs: flags.output,
        rate: flags.rate,
        schedule: {
          pattern: flags.pattern,
          burstFactor: flags.burstFactor,
          burstEverySeconds: flags.burstEvery,
          burstLengthSeconds: flags.burstLength,
          periodSeconds: flags.period,
          waveAmplitude: flags.waveAmplitude,
          seed,
        },
        durationSeconds: flags.duration ?? null,
        count: flags.count ?? null,
        rotation: flags.rotateEvery
          ? {
              everyLines: flags.rotateEvery.lines,
              everyBytes: flags.rotateEvery.bytes,
              mode: flags.rotateMode,
              keep: flags.keep,
            }
          : null,
        lines: {
          format: flags.format,
          seed,
          errorRate: flags.errorRate,
          malformedRate: flags.malformedRate,
          startTimeMs: flags.startTime ?? null,
        },
      });
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      fail(e.code && e.path ? `cannot write ${e.path}: ${e.code}` : e.message);
    }
    const stats = runner.stats;
    const server = flags.statsPort
      ? await startStatsServer(flags.statsPort, flags.statsHost, stats).catch((e: Error) =>
          fail(`--stats-port: ${e.message}`),
        )
      : null;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => runner.stop());

    const progress =
      process.stderr.isTTY && !flags.quiet
        ? setInterval(() => process.stderr.write(`\r${stats.lines} lines written…`), 1000)
        : null;
    let result: Awaited<typeof runner.done>;
    try {
      result = await runner.done;
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      fail(e.code && e.path ? `cannot write ${e.path}: ${e.code}` : e.message);
    } finally {
      if (progress) clearInterval(progress);
      server?.close();
    }
    const rate = result.seconds > 0 ? Math.round(result.lines / result.seconds) : result.lines;
    process.stderr.write(
      `${progress ? '\r' : ''}noise-maker: wrote ${result.lines} lines (${result.malformed} malformed) in ${result.seconds.toFixed(2)} s, ${rate} lines/s, seed ${seed}${result.rotations ? `, ${result.rotations} rotations` : ''}\n`,
    );
    process.exit(0);
  });

await program.parseAsync();
