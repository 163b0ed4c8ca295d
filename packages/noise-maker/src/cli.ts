#!/usr/bin/env node
// Command line: flags (mapped to each runner's options by runner-options.ts), the combinations they may
// not take; signals; progress and the final summary on stderr.

import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { compileFormat, DEFAULT_FORMAT, FormatError, PRESETS } from 'log-analyzer/format';
import { type AppRunStats, startAppRun } from './app-run.js';
import { APP_STYLES, type AppLevel, type AppStyle, parseWeights } from './generate/app-lines.js';
import { JSON_LOG_FORMATS, noiseFormat } from './generate/format-line.js';
import { PROTOCOLS } from './generate/protocol-bodies.js';
import {
  parseDuration,
  parseFraction,
  parsePort,
  parsePositive,
  parseRate,
  parseRotateEvery,
  parseStartTime,
  parseWhole,
  UsageError,
} from './options.js';
import { percentile, startPush } from './push-run.js';
import { type RunStats, startRun } from './run.js';
import type { Runner } from './runner.js';
import { type Flags, type PushFlags, pushOptions, runOptions } from './runner-options.js';

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

/** A file error as "cannot write|rotate PATH: CODE"; any other error as its message. */
function fileError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e.code && e.path
    ? `cannot ${e.syscall === 'rename' || e.syscall === 'unlink' || e.syscall === 'copyfile' ? 'rotate' : 'write'} ${e.path}: ${e.code}`
    : e.message;
}

/** Starts a command's runner; an error while starting is one line (`describe`) and exit 2. */
function start<R>(begin: () => R, describe: (error: unknown) => string): R {
  try {
    return begin();
  } catch (error) {
    fail(describe(error));
  }
}

/**
 * Waits for a started runner's end: SIGINT and SIGTERM stop it (it still finishes and is summarised),
 * and a terminal gets `progress` every second unless --quiet (`shown`: the summary then overwrites it).
 */
async function untilDone<S>(
  runner: Runner<S>,
  quiet: boolean,
  progress: (stats: S) => string,
): Promise<{ stats: S; shown: boolean }> {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => runner.stop());
  const timer =
    process.stderr.isTTY && !quiet
      ? setInterval(() => process.stderr.write(`\r${progress(runner.stats)}`), 1000)
      : null;
  try {
    return { stats: await runner.done, shown: timer !== null };
  } finally {
    if (timer) clearInterval(timer);
  }
}

/** What commander parses for `app`. */
interface AppFlags {
  output: string[];
  rate: number | 'max';
  duration?: number;
  count?: number;
  style: AppStyle;
  levels: Partial<Record<AppLevel, number>>;
  traceRate: number;
  seed?: number;
  startTime?: number;
  rotateEvery?: number;
  keep: number;
  quiet: boolean;
}
const DEFAULT_LEVELS = 'trace=1,debug=10,info=70,warn=12,error=6,fatal=1';

const program = new Command('noise-maker')
  .description('Appends realistic synthetic Apache access-log traffic to files at exact rates.')
  .showHelpAfterError('(run with --help for usage)')
  // `push` has options of the same names (--rate, --seed, --count): after `push`, they are its own.
  .enablePositionalOptions()
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
    `a preset (${[...Object.keys(PRESETS), ...Object.keys(JSON_LOG_FORMATS)].join(', ')}), an Apache LogFormat or an nginx log_format string`,
    arg((v) => {
      try {
        return compileFormat(noiseFormat(v)).source;
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
  .option(
    '--stats-port <port>',
    'serve noise_maker_* metrics on this port (1 to 65535)',
    arg(parsePort('--stats-port')),
  )
  .option('--stats-host <host>', 'address for --stats-port', '0.0.0.0')
  .option('-q, --quiet', 'no progress line, even on a terminal', false)
  .action(async (flags: Flags) => {
    if (flags.rotateEvery && flags.output.includes('-')) fail('--rotate-every needs file outputs, not stdout (-)');
    const seed = flags.seed ?? Date.now() % 2 ** 31;
    const runner = start(() => startRun(runOptions(flags, seed, availableParallelism())), fileError);
    const server = flags.statsPort
      ? // Loaded only when asked for: prom-client's load is start-up time every run would pay.
        await import('./stats-server.js')
          .then(({ startStatsServer }) => startStatsServer(flags.statsPort as number, flags.statsHost, runner.stats))
          .catch((e: Error) => fail(`--stats-port: ${e.message}`))
      : null;
    let result: RunStats;
    let shown: boolean;
    try {
      ({ stats: result, shown } = await untilDone(runner, flags.quiet, (stats) => `${stats.lines} lines written…`));
    } catch (error) {
      fail(fileError(error));
    } finally {
      server?.close();
    }
    const rate = result.seconds > 0 ? Math.round(result.lines / result.seconds) : result.lines;
    process.stderr.write(
      `${shown ? '\r' : ''}noise-maker: wrote ${result.lines} lines (${result.malformed} malformed) in ${result.seconds.toFixed(2)} s, ${rate} lines/s, seed ${seed}${result.rotations ? `, ${result.rotations} rotations` : ''}${result.due > result.lines ? `; ${result.due - result.lines} lines short of the rate (it could not be reached)` : ''}\n`,
    );
    process.exit(0);
  });

program
  .command('push')
  .description(
    'pushes synthetic metrics (counters, gauges, histograms, summaries) to log-analyzer over HTTP, or onto a Redis queue',
  )
  .option('--url <url>', 'the server (the shape picks the path) or the full endpoint URL')
  // Checked in the action (not .choices): a bad value is one line and exit 2, as for any bad flag.
  .option('--protocol <protocol>', `what to push: ${PROTOCOLS.join(', ')}`, 'json')
  .option('--redis-url <url>', 'LPUSH queue messages onto a Redis list instead (redis://HOST:PORT[/DB])')
  .option('--redis-key <key>', 'the list', 'prom-stream-gateway:metric-queue')
  .addOption(
    new Option(
      '--shape <shape>',
      'the JSON body: /api/metrics batch, one tracked metric, a tracked batch, queue messages',
    )
      .choices(['batch', 'track', 'track-batch', 'queue'])
      .default('batch'),
  )
  .addOption(new Option('-r, --rate <n>', 'samples per second, or "max"').default(1000).argParser(arg(parseRate)))
  .option('--batch <n>', 'samples per request (not for --shape track)', arg(parseWhole('--batch', 1)), 1000)
  .option('--series <n>', 'distinct series sent to', arg(parseWhole('--series', 1)), 1000)
  .option('--connections <n>', 'requests in flight at once', arg(parseWhole('--connections', 1)), 4)
  .option('--seed <n>', 'random seed (default: from the clock; printed)', arg(parseWhole('--seed', 0)))
  .option('-d, --duration <duration>', 'stop after this long (30s, 5m)', arg(parseDuration))
  .option('-n, --count <samples>', 'stop after this many samples', arg(parseWhole('--count', 1)))
  .option('--api-key <key>', 'sent as Authorization: Bearer KEY')
  .option(
    '--bodies <n>',
    'distinct bodies rendered per connection, then sent again in turn',
    arg(parseWhole('--bodies', 1)),
    64,
  )
  .option('-q, --quiet', 'no progress line, even on a terminal', false)
  .action(async (flags: PushFlags) => {
    if (flags.duration === undefined && flags.count === undefined && flags.rate === 'max') {
      fail('push --rate max needs --duration or --count');
    }
    if (flags.batch > 100_000) fail('--batch must be at most 100000');
    const seed = flags.seed ?? Date.now() % 2 ** 31;
    if ((flags.url === undefined) === (flags.redisUrl === undefined)) fail('push needs one of --url or --redis-url');
    if (!(PROTOCOLS as readonly string[]).includes(flags.protocol)) {
      fail(`--protocol must be one of ${PROTOCOLS.join(', ')}, not '${flags.protocol}'`);
    }
    if (flags.protocol !== 'json' && flags.redisUrl !== undefined) fail(`--redis-url takes --protocol json only`);
    const runner = start(
      () => {
        const options = pushOptions(flags, seed);
        return startPush({
          ...options,
          onUnreachable: (error) =>
            process.stderr.write(
              `noise-maker: no answer from ${options.url} (${(error as NodeJS.ErrnoException).code ?? error.message}); still trying\n`,
            ),
        });
      },
      (error) => (error as Error).message,
    );
    const { stats, shown } = await untilDone(
      runner,
      flags.quiet,
      (stats) => `${stats.acknowledged} samples acknowledged…`,
    );
    const rate = stats.seconds > 0 ? Math.round(stats.acknowledged / stats.seconds) : stats.acknowledged;
    const p50 = percentile(stats.latencies, 0.5);
    const p99 = percentile(stats.latencies, 0.99);
    process.stderr.write(
      `${shown ? '\r' : ''}noise-maker: pushed ${stats.acknowledged} samples in ${stats.requests} requests in ${stats.seconds.toFixed(2)} s, ${rate} samples/s, p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, seed ${seed}` +
        `${stats.failedRequests ? `, ${stats.failedRequests} requests failed` : ''}${stats.rejected ? `, ${stats.rejected} samples refused` : ''}\n`,
    );
    // What a test compares with /metrics: per family, samples sent and the sum a scrape shows.
    process.stdout.write(
      `${JSON.stringify({
        protocol: flags.protocol,
        shape: flags.redisUrl === undefined ? flags.shape : 'queue',
        seed,
        seconds: stats.seconds,
        requests: stats.requests,
        samples: stats.acknowledged,
        rejected: stats.rejected,
        failed_requests: stats.failedRequests,
        samples_per_second: rate,
        latency_ms: { p50, p99 },
        families: stats.totals,
      })}\n`,
    );
    process.exit(stats.failedRequests > 0 || stats.rejected > 0 ? 1 : 0);
  });

program
  .command('app')
  .description(
    'writes application logs (log-analyzer --format app): a level mix in plain text, pino-like JSON or logfmt, with stack traces; prints what it wrote by level',
  )
  .option('-o, --output <file...>', 'files to append to (several share the rate); - is stdout', ['-'])
  .addOption(new Option('-r, --rate <n>', 'messages per second, or "max"').default(1000).argParser(arg(parseRate)))
  .option('-d, --duration <duration>', 'stop after this long (30s, 5m, 1h)', arg(parseDuration))
  .option('-n, --count <messages>', 'stop after this many messages', arg(parseWhole('--count', 1)))
  .addOption(
    new Option('--style <style>', 'how messages are written (mixed: in turn)').choices(APP_STYLES).default('mixed'),
  )
  .option('--levels <weights>', 'the level mix, LEVEL=WEIGHT,…', arg(parseWeights), parseWeights(DEFAULT_LEVELS))
  .option(
    '--trace-rate <fraction>',
    'share of error and fatal messages with a stack trace',
    arg(parseFraction('--trace-rate')),
    0.5,
  )
  .option('--seed <n>', 'random seed (default: from the clock; printed)', arg(parseWhole('--seed', 0)))
  .option('--start-time <iso>', 'simulated timestamps from this time, advancing with the rate', arg(parseStartTime))
  .option(
    '--rotate-every <messages>',
    'rotate (rename, as logrotate) after N messages',
    arg(parseWhole('--rotate-every', 1)),
  )
  .option('--keep <n>', 'rotated files kept (file.1 … file.N)', arg(parseWhole('--keep', 0)), 5)
  .option('-q, --quiet', 'no progress line, even on a terminal', false)
  .action(async (flags: AppFlags) => {
    if (flags.rotateEvery && flags.output.includes('-')) fail('--rotate-every needs file outputs, not stdout (-)');
    if (flags.rate === 'max' && flags.duration === undefined && flags.count === undefined) {
      fail('app --rate max needs --duration or --count');
    }
    const seed = flags.seed ?? Date.now() % 2 ** 31;
    const runner = start(
      () =>
        startAppRun({
          outputs: flags.output,
          rate: flags.rate,
          durationSeconds: flags.duration ?? null,
          count: flags.count ?? null,
          rotation: flags.rotateEvery
            ? { everyLines: flags.rotateEvery, everyBytes: null, mode: 'rename', keep: flags.keep }
            : null,
          lines: {
            seed,
            style: flags.style,
            weights: flags.levels,
            traceRate: flags.traceRate,
            startTimeMs: flags.startTime ?? null,
          },
        }),
      fileError,
    );
    let stats: AppRunStats;
    let shown: boolean;
    try {
      ({ stats, shown } = await untilDone(runner, flags.quiet, (s) => `${s.messages} messages written…`));
    } catch (error) {
      fail(fileError(error));
    }
    process.stderr.write(
      `${shown ? '\r' : ''}noise-maker: wrote ${stats.messages} messages (${stats.lines} lines, ${stats.traces} with a stack trace) in ${stats.seconds.toFixed(2)} s, seed ${seed}${stats.rotations ? `, ${stats.rotations} rotations` : ''}${stats.due > stats.messages ? `; ${stats.due - stats.messages} messages short of the rate` : ''}\n`,
    );
    // What a test compares with log_messages_total: messages by level.
    process.stdout.write(
      `${JSON.stringify({ seed, seconds: stats.seconds, messages: stats.messages, lines: stats.lines, traces: stats.traces, levels: stats.levels, rotations: stats.rotations })}\n`,
    );
    process.exit(0);
  });

await program.parseAsync();
