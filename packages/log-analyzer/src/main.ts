#!/usr/bin/env node
// Command line: argv, env and signals only. Builds a config and hands it to scan or createAnalyzer.

import { Command } from 'commander';
import type { Analyzer } from './app.js';
import { pushNameStartRefusal } from './cli/parsers.js';
import { apiKeysOf, applyConfig, printConfig } from './config/apply.js';
import { senderEnvironment } from './config/environment.js';
import { addScanOptions, addServeOptions } from './config/serve-options.js';
import type { ApiKey } from './sources/push/api-keys.js';
import { redactedUrl } from './sources/queue/queue-plan.js';
import { PRESETS } from './transforms/log/log-format.js';
import { VERSION } from './version.js';

// The names other clients use (the queue senders' Redis__ConnectionString, METRICS_CONFIG, …) are read too; ours win.
Object.assign(process.env, senderEnvironment(process.env));

/** A host a person can open: an address that binds every interface is reached at localhost. */
function shownHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

function fail(message: string, code = 2): never {
  process.stderr.write(`log-analyzer: ${message}\n`);
  process.exit(code);
}

const program = new Command('log-analyzer')
  .description('Turns Apache access logs into Prometheus metrics.')
  .version(VERSION)
  .showHelpAfterError('(run with --help for usage)');

const scan = addScanOptions(
  program
    .command('scan')
    .description('read FILEs once from the start and print their metrics in Prometheus text format')
    .argument('<file...>', 'access log files'),
);
scan.action(async (files: string[], opts: { format: string; workers: number; maxLineBytes: number }) => {
  let text: string;
  // Set by the scan's callback: most lines did not parse.
  const found: { hint: { lines: number; parseFailures: number } | null } = { hint: null };
  try {
    // Loaded on demand: scan needs neither the HTTP server nor the watcher, and starts faster without them.
    const { scanFiles } = await import('./scan.js');
    text = await scanFiles(files, opts, (totals) => {
      if (totals.lines >= 10 && totals.parseFailures >= totals.lines / 2) found.hint = totals;
    });
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    fail(e.code && e.path ? `cannot read ${e.path}: ${e.code === 'ENOENT' ? 'no such file' : e.code}` : e.message);
  }
  process.stdout.write(text);
  const { hint } = found;
  if (hint) {
    // Most lines did not parse: say with which format, and which preset reads them, if one does.
    const { readFileSync } = await import('node:fs');
    const { suggestFormat } = await import('./transforms/log/suggest-format.js');
    const sample = readFileSync(files[0] as string)
      .subarray(0, 256 * 1024)
      .toString('latin1')
      .split('\n')
      .slice(0, 200)
      .filter(Boolean)
      .map((l) => Buffer.from(l, 'latin1'));
    const used = Object.entries(PRESETS).find(([, source]) => source === opts.format)?.[0] ?? opts.format;
    const better = suggestFormat(sample, opts.format);
    process.stderr.write(
      `log-analyzer: ${hint.parseFailures} of ${hint.lines} lines did not parse as ${used}; ${better ? `try --format ${better}` : `which format are they? (--format: ${Object.keys(PRESETS).join(', ')}, or a LogFormat string)`}\n`,
    );
  }
});

const serve = addServeOptions(
  program
    .command('serve', { isDefault: true })
    .description('follow log files and serve their metrics over HTTP (the default command)'),
);

serve.action(async (opts) => {
  const configPath: string | undefined = opts.config;
  let origins: Map<string, string>;
  try {
    origins = await applyConfig(serve, configPath);
  } catch (error) {
    fail((error as Error).message);
  }
  Object.assign(opts, serve.opts());
  if (opts.checkConfig) {
    if (opts.metricsAuth && !opts.apiKey?.length && !opts.apiKeysFile)
      fail('--metrics-auth needs at least one API key');
    process.stdout.write(`${configPath}: ok\n`);
    process.exit(0);
  }
  if (opts.printConfig) {
    await printConfig(serve, opts, origins);
    process.exit(0);
  }
  const watchList: string[] = typeof opts.watch === 'string' ? opts.watch.split(',') : opts.watch;
  let analyzer: Analyzer;
  const positionsFile: string | null = opts.positions === false ? null : opts.positions;
  if (opts.checkpointInterval < 10) fail('--checkpoint-interval must be at least 10ms');
  if (opts.historyStep < 1000) fail('--history-step must be at least 1s');
  if (opts.historyWindow < opts.historyStep || opts.historyWindow / opts.historyStep > 100_000) {
    fail('--history-window must hold from 1 to 100000 steps (--history-step)');
  }
  if (opts.historyRollup < opts.historyStep || opts.historyRollupWindow < opts.historyRollup) {
    fail('--history-rollup must be at least --history-step, and --history-rollup-window at least --history-rollup');
  }
  let apiKeys: ApiKey[];
  try {
    apiKeys = apiKeysOf(opts);
  } catch (error) {
    fail((error as Error).message);
  }
  if (opts.metricsAuth && apiKeys.length === 0) fail('--metrics-auth needs --api-key or --api-keys-file');
  const nameStart = pushNameStartRefusal(opts.pushNamespace, opts.pushPrefix);
  if (nameStart) fail(nameStart);
  try {
    // Before anything starts: an unwritable checkpoint is one clear line and exit 2, not a spin.
    if (positionsFile) await (await import('./store/checkpoint.js')).checkWritable(positionsFile);
    const { createAnalyzer } = await import('./app.js');
    const { alertsOf, analyzerSettingsOf, historyOf, pushConfigOf, queueConfigOf, scrapeOf, statsdOf, systemOf } =
      await import('./config/analyzer-config.js');
    // A name that is not UTF-8 arrives with its bytes replaced: find the file it means.
    const { resolveArgvPath } = await import('./sources/file/argv-path.js');
    const watch = await Promise.all(
      watchList
        .map((w) => w.trim())
        .filter(Boolean)
        .map(resolveArgvPath),
    );
    analyzer = await createAnalyzer({
      ...analyzerSettingsOf(opts),
      watch,
      positionsFile,
      push: pushConfigOf(opts, apiKeys),
      history: historyOf(opts),
      scrape: scrapeOf(opts),
      system: systemOf(opts),
      queue: queueConfigOf(opts),
      statsd: statsdOf(opts),
      alerts: alertsOf(opts),
    });
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    fail(e.message);
  }
  let port: number;
  try {
    port = await analyzer.listen(opts.port, opts.host);
  } catch (error) {
    await analyzer.stop();
    fail(`cannot listen on ${opts.host}:${opts.port}: ${(error as Error).message}`);
  }
  // Before the start line: once it is out, a SIGHUP means reload (not the default: exit).
  const { watchConfig } = await import('./config/reload.js');
  watchConfig({ serve, path: configPath, analyzer, say: (m) => process.stderr.write(`log-analyzer: ${m}\n`) });
  const resumed = analyzer.resumed ? `; resuming from checkpoint ${positionsFile}` : '';
  const draining = opts.redisUrl ? `; draining ${opts.redisKey} on ${redactedUrl(opts.redisUrl)}` : '';
  const statsd = analyzer.statsd ? `; StatsD on UDP and TCP port ${analyzer.statsd.port}` : '';
  process.stderr.write(
    `log-analyzer ${VERSION}: following ${watchList.join(', ')}${resumed}${draining}${statsd}; metrics on http://${shownHost(opts.host)}:${port}${opts.metricsPath}\n`,
  );
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      process.stderr.write(`log-analyzer: ${signal} again: exiting now (the last checkpoint stands)\n`);
      process.exit(1);
    }
    stopping = true;
    process.stderr.write(`log-analyzer: ${signal}: checkpointing and stopping\n`);
    // Whatever happens, exit within a few seconds: the last checkpoint is consistent anyway.
    setTimeout(() => {
      process.stderr.write('log-analyzer: stopping took too long; exiting (the last checkpoint stands)\n');
      process.exit(1);
    }, 5000).unref();
    await analyzer.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
});

// `log-analyzer --help` shows the default command's options too.
program.addHelpText('after', () => `\nThe default command is serve; its options:\n\n${serve.helpInformation()}`);

const config = program.command('config').description('show or check the configuration');
config
  .command('print')
  .description('the effective configuration and where each value came from (serve flags may follow)')
  .allowUnknownOption()
  .allowExcessArguments()
  .action(async (_opts, command: Command) => {
    await serve.parseAsync([...command.args, '--print-config'], { from: 'user' });
  });
config
  .command('check')
  .description('validate a config file and exit (0: valid)')
  .argument('<file>', 'the TOML file')
  .action(async (file: string) => {
    await serve.parseAsync(['--config', file, '--check-config'], { from: 'user' });
  });

await program.parseAsync();
