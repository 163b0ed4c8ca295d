#!/usr/bin/env node
// Command line: argv, env and signals only. Builds a config and hands it to scan or createAnalyzer.

import { Command } from 'commander';
import type { Analyzer } from './app.js';
import { pushNameStartRefusal } from './cli/parsers.js';
import { apiKeysOf, applyConfig, printConfig } from './config/apply.js';
import { senderEnvironment } from './config/environment.js';
import { addScanOptions, addServeOptions } from './config/serve-options.js';
import type { WebSecurity } from './export/web-security.js';
import type { Logger } from './metrics/logger.js';
import { type Tracing, tracesUrl } from './metrics/tracing.js';
import { type ApiKey, roleRefusal } from './sources/push/api-keys.js';
import { redactedUrl } from './sources/queue/queue-plan.js';
import type { Rule } from './transforms/log/rule-config.js';
import { VERSION } from './version.js';

// The names other clients use (the queue senders' Redis__ConnectionString, METRICS_CONFIG, …) are read too; ours win.
Object.assign(process.env, senderEnvironment(process.env));

/** A host a person can open: an address that binds every interface is reached at localhost. */
function shownHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

/** The service log, once the flags are checked: before it, a bad flag is one plain line on stderr. */
let log: Logger | null = null;

function fail(message: string, code = 2): never {
  if (log) log.fatal(message);
  else process.stderr.write(`log-analyzer: ${message}\n`);
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
type ScanOpts = {
  format: string;
  workers: number;
  maxLineBytes: number;
  continuation?: string;
  maxLabelValues: number;
};
scan.action(async (files: string[], opts: ScanOpts & { logRule?: Rule[]; route?: string[] }) => {
  // --files entries' formats are checked by their parser; scan reads only the FILEs given.
  let text: string;
  // Set by the scan's callback: most lines did not parse.
  const found: { hint: { lines: number; parseFailures: number } | null } = { hint: null };
  try {
    // Loaded on demand: scan needs neither the HTTP server nor the watcher, and starts faster without them.
    const { scanFiles } = await import('./scan.js');
    const counting = { ...opts, rules: opts.logRule ?? [], routes: opts.route ?? [] };
    text = await scanFiles(files, counting, (totals) => {
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
    const { formatName, FORMAT_NAMES } = await import('./transforms/log/formats.js');
    const used = formatName(opts.format);
    const better = suggestFormat(sample, opts.format);
    process.stderr.write(
      `log-analyzer: ${hint.parseFailures} of ${hint.lines} lines did not parse as ${used}; ${better ? `try --format ${better}` : `which format are they? (--format: ${FORMAT_NAMES.join(', ')}, a LogFormat or log_format string, or a JSON mapping)`}\n`,
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
    if (opts.webConfigFile) {
      const { loadWebConfig } = await import('./export/web-security.js');
      try {
        loadWebConfig(opts.webConfigFile);
      } catch (error) {
        fail(`--web-config-file ${opts.webConfigFile}: ${(error as Error).message}`);
      }
    }
    process.stdout.write(`${configPath}: ok\n`);
    process.exit(0);
  }
  if (opts.printConfig) {
    await printConfig(serve, opts, origins);
    process.exit(0);
  }
  const watched: string[] = typeof opts.watch === 'string' ? opts.watch.split(',') : opts.watch;
  // [[files]] entries' patterns are followed too; the default --watch only when nothing else is.
  const entries: { watch: string[] }[] = opts.files ?? [];
  const watchList = [
    ...entries.flatMap((e) => e.watch),
    ...(entries.length > 0 && serve.getOptionValueSource('watch') === 'default' ? [] : watched),
  ];
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
  const { createLogger, resolvedFormat } = await import('./metrics/logger.js');
  const logger = createLogger({
    format: resolvedFormat(opts.logFormat, process.stderr.isTTY === true),
    level: opts.logLevel,
  });
  log = logger;
  // Node's warnings as log lines too (its default listener would write them as plain text).
  process.removeAllListeners('warning');
  process.on('warning', (warning) => logger.warn({ warning: warning.name }, warning.message));
  // Off unless asked for: then the OpenTelemetry SDK is loaded (metrics/tracing.ts), never otherwise.
  const traces = tracesUrl(opts.tracingEndpoint, Boolean(opts.tracing), process.env);
  let tracing: Tracing | null = null;
  if (traces) {
    tracing = await (await import('./metrics/tracing.js')).startTracing(traces, VERSION, (m) => logger.warn(m));
  }
  const roles = roleRefusal(apiKeys, Boolean(opts.metricsAuth));
  if (roles) fail(roles);
  // Read whole before anything listens: a bad file is one line naming its key.
  let web: WebSecurity | null = null;
  if (opts.webConfigFile) {
    const { WebSecurity: Web } = await import('./export/web-security.js');
    try {
      web = new Web(opts.webConfigFile, {
        say: (m) => logger.info(m),
        // Refused before the app's request log sees them: logged here the same way.
        onRefused: (reason, request) => {
          if (request) logger.warn({ ...request, route: 'web-config', reason }, 'request refused');
        },
      });
    } catch (error) {
      fail(`--web-config-file ${opts.webConfigFile}: ${(error as Error).message}`);
    }
  }
  try {
    // Before anything starts: an unwritable checkpoint is one clear line and exit 2, not a spin.
    if (positionsFile) await (await import('./store/checkpoint.js')).checkWritable(positionsFile);
    const { createAnalyzer } = await import('./app.js');
    const {
      aggregationOf,
      alertsOf,
      analyzerSettingsOf,
      customMetricsOf,
      historyOf,
      pushConfigOf,
      queueConfigOf,
      scrapeOf,
      statsdOf,
      systemOf,
    } = await import('./config/analyzer-config.js');
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
      aggregation: aggregationOf(opts),
      customMetrics: customMetricsOf(opts),
      environment: opts.environment as string,
      web,
      log: logger,
      tracing,
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
  watchConfig({
    serve,
    path: configPath,
    analyzer,
    say: (m, fields) => (fields?.result === 'failure' ? logger.warn(fields, m) : logger.info(fields ?? {}, m)),
  });
  if (web) {
    web.register(analyzer.selfRegistry);
    web.watch();
    const reloadWeb = web.reload.bind(web);
    process.on('SIGHUP', () => reloadWeb('SIGHUP'));
  }
  const resumed = analyzer.resumed ? `; resuming from checkpoint ${positionsFile}` : '';
  const draining = opts.redisUrl ? `; draining ${opts.redisKey} on ${redactedUrl(opts.redisUrl)}` : '';
  const statsd = analyzer.statsd ? `; StatsD on UDP and TCP port ${analyzer.statsd.port}` : '';
  logger.info(
    `started version ${VERSION}: following ${watchList.join(', ')}${resumed}${draining}${statsd}; metrics on ${web?.tls ? 'https' : 'http'}://${shownHost(opts.host)}:${port}${opts.metricsPath}`,
  );
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      logger.warn(`${signal} again: exiting now (the last checkpoint stands)`);
      process.exit(1);
    }
    stopping = true;
    logger.info(`${signal}: checkpointing and stopping`);
    // Whatever happens, exit within a few seconds: the last checkpoint is consistent anyway.
    setTimeout(() => {
      logger.error('stopping took too long; exiting (the last checkpoint stands)');
      process.exit(1);
    }, 5000).unref();
    await analyzer.stop();
    await tracing?.shutdown();
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
