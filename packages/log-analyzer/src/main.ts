#!/usr/bin/env node
// Command line: argv, env and signals only. Builds a config and hands it to scan or createAnalyzer.

import { Command, InvalidArgumentError, Option } from 'commander';
import type { Analyzer } from './app.js';
import { compileFormat, DEFAULT_FORMAT, FormatError, PRESETS } from './parse/log-format.js';
import { defaultWorkers } from './pool/parse-pool.js';
import { type ApiKey, parseApiKey, parseApiKeysFile } from './sources/push/api-keys.js';
import { CONSUMER_ID, redactedUrl, senderEnvironment } from './sources/queue/queue-plan.js';
import { QUEUE_DEFAULTS } from './sources/queue/queue-source.js';
import type { ScrapeTarget } from './sources/scrape/scrape-source.js';
import { VERSION } from './version.js';

// The queue senders' settings (Redis__ConnectionString, …) are read too; ours win.
Object.assign(process.env, senderEnvironment(process.env));

/** Every flag can also come from LOG_ANALYZER_<FLAG>, e.g. --max-line-bytes ← LOG_ANALYZER_MAX_LINE_BYTES. */
function option(flags: string, description: string): Option {
  const long = /--([a-z-]+)/.exec(flags)?.[1] ?? '';
  return new Option(flags, description).env(`LOG_ANALYZER_${long.replace(/-/g, '_').toUpperCase()}`);
}

function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

function format(value: string): string {
  try {
    return compileFormat(value).source;
  } catch (error) {
    throw new InvalidArgumentError(error instanceof FormatError ? error.message : String(error));
  }
}

/** "10m", "90s", "500ms", "2h", or a number of milliseconds. */
function duration(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value);
  if (!m) throw new InvalidArgumentError('expected a duration such as 500ms, 90s, 10m or 2h');
  const scale = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * scale);
}

/** "1MiB", "512KiB", "1000000", "2MB" (powers of 1024). */
function bytes(value: string): number {
  const m = /^\s*(\d+)\s*(B|K|KB|KiB|M|MB|MiB)?\s*$/i.exec(value);
  if (!m || Number(m[1]) < 1) throw new InvalidArgumentError('expected a size such as 1MiB, 512KiB or 65536');
  const unit = (m[2] ?? 'b').toLowerCase()[0] as 'b' | 'k' | 'm';
  return Number(m[1]) * { b: 1, k: 1024, m: 1024 * 1024 }[unit];
}

function metricNamePart(what: string, start: boolean) {
  return (value: string): string => {
    if (value !== '' && !(start ? /^[a-zA-Z_:][a-zA-Z0-9_:]*$/ : /^[a-zA-Z0-9_:]+$/).test(value)) {
      throw new InvalidArgumentError(
        `a ${what} may hold only letters, digits, _ and :${start ? ', not starting with a digit' : ''}`,
      );
    }
    return value;
  };
}

/** Collects --api-key values (checked in the action, so a bad key is never echoed back). */
function collect(value: string, previous: string[] = []): string[] {
  // From the environment, several keys come comma-separated.
  return [...previous, ...value.split(',').filter(Boolean)];
}

function redisUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('expected a URL such as redis://localhost:6379 or redis://host:6379/2');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new InvalidArgumentError('expected a redis:// or rediss:// URL');
  }
  if (!/^\/?(\d+)?$/.test(url.pathname))
    throw new InvalidArgumentError('the path of the URL must be a database number');
  return value;
}

function consumerId(value: string): string {
  if (!CONSUMER_ID.test(value)) throw new InvalidArgumentError('letters, digits, ., _ and - only (at most 100)');
  return value;
}

/** Collects --scrape-target values: TYPE:NAME=URL. */
function scrapeTarget(value: string, previous: ScrapeTarget[] = []): ScrapeTarget[] {
  const m = /^(prometheus|health|custom):([A-Za-z0-9_.-]{1,64})=(https?:\/\/\S+)$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('expected TYPE:NAME=URL, TYPE one of prometheus, health, custom');
  try {
    new URL(m[3] as string);
  } catch {
    throw new InvalidArgumentError(`${m[3]} is not a URL`);
  }
  if (previous.some((t) => t.name === m[2])) throw new InvalidArgumentError(`two targets are named ${m[2]}`);
  return [...previous, { type: m[1] as ScrapeTarget['type'], name: m[2] as string, url: m[3] as string }];
}

function urlPath(value: string): string {
  if (!/^\/[A-Za-z0-9._~\-/]*$/.test(value) || value === '/') {
    throw new InvalidArgumentError('expected a path such as /metrics');
  }
  return value;
}

function fail(message: string, code = 2): never {
  process.stderr.write(`log-analyzer: ${message}\n`);
  process.exit(code);
}

const shared = [
  option('-f, --format <format>', `a preset (${Object.keys(PRESETS).join(', ')}) or an Apache LogFormat string`)
    .default(PRESETS[DEFAULT_FORMAT], DEFAULT_FORMAT)
    .argParser(format),
  option('-w, --workers <n>', 'parse worker threads').default(defaultWorkers()).argParser(integer(1, 256)),
  option('--max-line-bytes <n>', 'longer lines are skipped and counted as errors (line_too_long)')
    .default(65536)
    .argParser(integer(1, 64 * 1024 * 1024)),
];

const program = new Command('log-analyzer')
  .description('Turns Apache access logs into Prometheus metrics.')
  .version(VERSION)
  .showHelpAfterError('(run with --help for usage)');

const scan = program
  .command('scan')
  .description('read FILEs once from the start and print their metrics in Prometheus text format')
  .argument('<file...>', 'access log files');
for (const o of shared) scan.addOption(o);
scan.action(async (files: string[], opts: { format: string; workers: number; maxLineBytes: number }) => {
  let text: string;
  try {
    // Loaded on demand: scan needs neither the HTTP server nor the watcher, and starts faster without them.
    const { scanFiles } = await import('./scan.js');
    text = await scanFiles(files, opts);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    fail(e.code && e.path ? `cannot read ${e.path}: ${e.code === 'ENOENT' ? 'no such file' : e.code}` : e.message);
  }
  process.stdout.write(text);
});

const serve = program
  .command('serve', { isDefault: true })
  .description('follow log files and serve their metrics over HTTP (the default command)')
  .addOption(option('--watch <path...>', 'files or globs (*, **, ?, [ab]) to follow').default(['./logs/*.log']))
  .addOption(option('-p, --port <port>', 'HTTP port').default(8080).argParser(integer(0, 65535)))
  .addOption(option('--host <host>', 'HTTP address to bind').default('0.0.0.0'))
  .addOption(
    option('--from <where>', 'where to start reading files present at start (later files: from the beginning)')
      .choices(['end', 'beginning'])
      .default('end'),
  )
  .addOption(option('--max-files <n>', 'most files followed at once').default(1000).argParser(integer(1)))
  .addOption(
    option('--poll-interval <ms>', 'how often every file is re-checked').default(250).argParser(integer(10, 60_000)),
  )
  .addOption(
    option('--rotate-wait <ms>', 'how long a rotated-away file is still read after its last write')
      .default(5000)
      .argParser(integer(0, 3_600_000)),
  )
  .addOption(
    option('--poll', 'poll the file system instead of using events (network and VM-shared mounts)').default(false),
  )
  .addOption(
    option('--positions <file>', 'the checkpoint: counts and read positions, kept across restarts').default(
      './.log-analyzer/positions.json',
    ),
  )
  .addOption(new Option('--no-positions', 'no checkpoint: every start is a first start, counters start at 0'))
  .addOption(
    option(
      '--checkpoint-interval <duration>',
      'how often counts and positions are checkpointed (and /metrics moves on)',
    )
      .default(1000, '1s')
      .argParser(duration),
  )
  .addOption(
    option('--forget-after <duration>', 'a file gone this long is forgotten, with its series')
      .default(600_000, '10m')
      .argParser(duration),
  )
  .addOption(
    option('--max-connections <n>', 'HTTP connections at once (the oldest idle or slow one is closed at the cap)')
      .default(256)
      .argParser(integer(1, 100_000)),
  )
  .addOption(new Option('--no-push', 'no push endpoints (POST /api/metrics, /metrics/track, /update)'))
  .addOption(
    option('--push-namespace <name>', 'put before every pushed name, with a _')
      .default('')
      .argParser(metricNamePart('namespace', true)),
  )
  .addOption(
    option('--push-prefix <text>', 'put before every pushed name')
      .default('')
      .argParser(metricNamePart('prefix', false)),
  )
  .addOption(
    option('--push-cumulative <source...>', 'sources whose counters push running totals, not increments').default([]),
  )
  .addOption(
    option('--push-ttl <duration>', 'drop pushed series not updated for this long (default: never)').argParser(
      duration,
    ),
  )
  .addOption(
    option(
      '--push-ack <when>',
      'answer a push once durable in the checkpoint, or once merged (faster, a crash may lose the last second)',
    )
      .choices(['durable', 'merged'])
      .default('durable'),
  )
  .addOption(
    option('--push-max-body <size>', 'largest push body (413 above)')
      .default(1024 * 1024, '1MiB')
      .argParser(bytes),
  )
  .addOption(
    option('--push-max-items <n>', 'most samples in one push').default(10_000).argParser(integer(1, 1_000_000)),
  )
  .addOption(
    option('--push-max-labels <n>', 'most labels on one pushed series').default(32).argParser(integer(0, 1000)),
  )
  .addOption(
    option('--push-max-label-bytes <n>', 'longest pushed label value, in UTF-8 bytes')
      .default(1024)
      .argParser(integer(1, 65536)),
  )
  .addOption(
    option('--push-max-series <n>', 'most pushed series in all').default(100_000).argParser(integer(1, 10_000_000)),
  )
  .addOption(
    option('--push-max-series-per-family <n>', 'most series of one pushed name')
      .default(10_000)
      .argParser(integer(1, 10_000_000)),
  )
  .addOption(
    option(
      '--push-max-series-per-tenant <n>',
      "most pushed series of one API key's tenant (default: --push-max-series)",
    ).argParser(integer(1, 10_000_000)),
  )
  .addOption(
    option(
      '--api-key <key[:tenant]...>',
      'writes need one of these keys (Authorization: Bearer KEY or X-API-Key)',
    ).argParser(collect),
  )
  .addOption(option('--api-keys-file <file>', 'more keys, one KEY[:TENANT] per line'))
  .addOption(option('--metrics-auth', '/metrics needs an API key too').default(false))
  .addOption(
    option(
      '--redis-url <url>',
      'drain a Redis list of metric messages: redis://HOST:PORT[/DB] (default: off)',
    ).argParser(redisUrl),
  )
  .addOption(option('--redis-key <key>', 'the list senders LPUSH onto').default(QUEUE_DEFAULTS.key))
  .addOption(
    option('--redis-workers <n>', 'batches claimed and decoding at once')
      .default(QUEUE_DEFAULTS.workers)
      .argParser(integer(1, 64)),
  )
  .addOption(
    option('--redis-db <n>', 'the database, unless the URL names one')
      .default(QUEUE_DEFAULTS.db)
      .argParser(integer(0, 1_000_000)),
  )
  .addOption(
    option('--redis-batch <n>', 'most messages claimed at once')
      .default(QUEUE_DEFAULTS.batch)
      .argParser(integer(1, 100_000)),
  )
  .addOption(
    option('--redis-dead-max <n>', 'dead letters kept in <key>:dead')
      .default(QUEUE_DEFAULTS.deadMax)
      .argParser(integer(0, 10_000_000)),
  )
  .addOption(
    option(
      '--redis-consumer <id>',
      "this replica's name for its processing lists (default: the checkpoint's, else host name + random)",
    ).argParser(consumerId),
  )
  .addOption(
    option('--redis-lease <duration>', 'a replica silent this long has its processing lists taken over')
      .default(QUEUE_DEFAULTS.leaseMs, '30s')
      .argParser(duration),
  )
  .addOption(
    option('--history-max-series <n>', 'series whose short-term history is kept (the least recently changed go)')
      .default(10_000)
      .argParser(integer(1, 1_000_000)),
  )
  .addOption(
    option('--history-step <duration>', 'one point per series this often').default(10_000, '10s').argParser(duration),
  )
  .addOption(
    option('--history-window <duration>', 'points kept per series').default(3_600_000, '1h').argParser(duration),
  )
  .addOption(option('--history-rollup <duration>', 'rollups of this length').default(300_000, '5m').argParser(duration))
  .addOption(
    option('--history-rollup-window <duration>', 'rollups kept per series')
      .default(86_400_000, '24h')
      .argParser(duration),
  )
  .addOption(
    option(
      '--scrape-target <type:name=url...>',
      'scrape another service: prometheus:api=http://api:8000/metrics, health:…, custom:…',
    ).argParser(scrapeTarget),
  )
  .addOption(
    option('--scrape-interval <seconds>', 'how often targets are scraped').default(15).argParser(integer(1, 86_400)),
  )
  .addOption(
    option('--system-stats', "the host's CPU, memory, disks and network as node_exporter names them").default(false),
  )
  .addOption(new Option('--no-system-cpu', 'with --system-stats: no CPU seconds, load or CPU limit'))
  .addOption(new Option('--no-system-ram', 'with --system-stats: no memory fields or memory limit'))
  .addOption(option('--system-disk', 'with --system-stats: file systems and disk bytes too').default(false))
  .addOption(new Option('--no-system-network', 'with --system-stats: no network bytes'))
  .addOption(
    new Option('--no-sort-labels', "accepted for the senders' setting; label order never makes two series here").env(
      'LOG_ANALYZER_NO_SORT_LABELS',
    ),
  );
serve
  .addOption(option('--config <file>', 'a TOML config file (also METRICS_CONFIG); flags and environment win over it'))
  .addOption(option('--metrics-path <path>', 'the path /metrics is served at').default('/metrics').argParser(urlPath))
  .addOption(new Option('--print-config').hideHelp())
  .addOption(new Option('--check-config').hideHelp());
for (const o of shared) serve.addOption(o);

/**
 * Fills the options the command line and LOG_ANALYZER_* left at their defaults from the config
 * file, then from APP__SECTION__KEY and EXPORTER_PORT (defaults < file < environment < flags);
 * every value goes through its flag's own parser. Returns where each option's value came from.
 */
async function applyConfig(path: string | undefined): Promise<Map<string, string>> {
  const { ConfigError, readConfig, readEnvironment } = await import('./config/config-file.js');
  const origins = new Map<string, string>();
  const layers: [ReturnType<typeof readEnvironment>, 'config' | 'env'][] = [];
  if (path) {
    const { readFileSync } = await import('node:fs');
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      fail(`--config: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    try {
      layers.push([readConfig(text, path), 'config']);
    } catch (error) {
      if (error instanceof ConfigError) fail(error.message);
      throw error;
    }
  }
  layers.push([readEnvironment(process.env), 'env']);
  for (const [values, source] of layers) {
    for (const [name, { value, key, from }] of values) {
      const was = serve.getOptionValueSource(name);
      if (was !== undefined && was !== 'default' && !(was === 'config' && source === 'env')) continue;
      const opt = serve.options.find((o) => o.attributeName() === name);
      if (!opt) continue;
      let parsed: unknown = value;
      try {
        if (Array.isArray(value)) {
          parsed =
            opt.parseArg && value.length > 0
              ? value.reduce<unknown>((acc, v) => opt.parseArg?.(v, acc as never), undefined)
              : value;
        } else if (typeof value === 'string' && opt.parseArg) parsed = opt.parseArg(value, undefined as never);
      } catch (error) {
        fail(`${from}: ${key}: ${(error as Error).message}`);
      }
      serve.setOptionValueWithSource(name, parsed, source);
      origins.set(name, from);
    }
  }
  return origins;
}

/** `config print`: every setting's effective value and where it came from. */
async function printConfig(opts: Record<string, unknown>, origins: Map<string, string>): Promise<void> {
  const { SETTINGS } = await import('./config/config-file.js');
  const lines: string[] = [];
  let section = '';
  for (const setting of SETTINGS) {
    const [name, key] = setting.key.split('.') as [string, string];
    if (name !== section) {
      lines.push(`${lines.length ? '\n' : ''}[${name}]`);
      section = name;
    }
    const value = opts[setting.option];
    const source = serve.getOptionValueSource(setting.option);
    const origin =
      origins.get(setting.option) ?? (source === 'cli' ? 'flag' : source === 'env' ? 'environment' : 'default');
    const toml = (v: unknown): string =>
      setting.type === 'targets'
        ? `[${(v as ScrapeTarget[]).map((t) => `{ name = ${JSON.stringify(t.name)}, url = ${JSON.stringify(t.url)}, type = "${t.type}" }`).join(', ')}]`
        : JSON.stringify(v);
    const shown = value === undefined ? '# (not set)' : `${key} = ${toml(value)}`;
    lines.push(`${value === undefined ? `# ${key}` : shown}${' '.repeat(Math.max(1, 48 - shown.length))}# ${origin}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

serve.action(async (opts) => {
  const configPath: string | undefined = opts.config ?? (process.env.METRICS_CONFIG || undefined);
  const origins = await applyConfig(configPath);
  Object.assign(opts, serve.opts());
  if (opts.checkConfig) {
    process.stdout.write(`${configPath}: ok\n`);
    process.exit(0);
  }
  if (opts.printConfig) {
    await printConfig(opts, origins);
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
  const apiKeys: ApiKey[] = [];
  for (const text of (opts.apiKey ?? []) as string[]) {
    try {
      apiKeys.push(parseApiKey(text));
    } catch (error) {
      fail(`--api-key: ${(error as Error).message}`);
    }
  }
  if (opts.apiKeysFile) {
    const { readFileSync } = await import('node:fs');
    try {
      apiKeys.push(...parseApiKeysFile(readFileSync(opts.apiKeysFile, 'utf8'), opts.apiKeysFile));
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      fail(e.code ? `--api-keys-file: cannot read ${opts.apiKeysFile}: ${e.code}` : `--api-keys-file: ${e.message}`);
    }
  }
  if (opts.metricsAuth && apiKeys.length === 0) fail('--metrics-auth needs --api-key or --api-keys-file');
  const cumulative: string[] =
    typeof opts.pushCumulative === 'string' ? opts.pushCumulative.split(',') : opts.pushCumulative;
  try {
    // Before anything starts: an unwritable checkpoint is one clear line and exit 2, not a spin.
    if (positionsFile) await (await import('./store/checkpoint.js')).checkWritable(positionsFile);
    const { createAnalyzer } = await import('./app.js');
    // A name that is not UTF-8 arrives with its bytes replaced: find the file it means.
    const { resolveArgvPath } = await import('./tail/argv-path.js');
    const watch = await Promise.all(
      watchList
        .map((w) => w.trim())
        .filter(Boolean)
        .map(resolveArgvPath),
    );
    analyzer = await createAnalyzer({
      watch,
      format: opts.format,
      workers: opts.workers,
      maxLineBytes: opts.maxLineBytes,
      from: opts.from,
      maxFiles: opts.maxFiles,
      pollIntervalMs: opts.pollInterval,
      rotateWaitMs: opts.rotateWait,
      usePolling: opts.poll,
      positionsFile,
      checkpointIntervalMs: opts.checkpointInterval,
      forgetAfterMs: opts.forgetAfter,
      maxConnections: opts.maxConnections,
      push: {
        enabled: opts.push,
        namespace: opts.pushNamespace,
        prefix: opts.pushPrefix,
        cumulativeSources: new Set(cumulative.map((c) => c.trim()).filter(Boolean)),
        ttlMs: opts.pushTtl ?? null,
        ack: opts.pushAck,
        maxBodyBytes: opts.pushMaxBody,
        maxItems: opts.pushMaxItems,
        maxLabels: opts.pushMaxLabels,
        maxLabelValueBytes: opts.pushMaxLabelBytes,
        maxSeries: opts.pushMaxSeries,
        maxSeriesPerFamily: opts.pushMaxSeriesPerFamily,
        maxSeriesPerTenant: opts.pushMaxSeriesPerTenant ?? opts.pushMaxSeries,
        apiKeys,
        metricsAuth: opts.metricsAuth,
      },
      metricsPath: opts.metricsPath,
      history: {
        maxSeries: opts.historyMaxSeries,
        stepMs: opts.historyStep,
        windowMs: opts.historyWindow,
        rollupMs: opts.historyRollup,
        rollupWindowMs: opts.historyRollupWindow,
      },
      scrape: { intervalMs: opts.scrapeInterval * 1000, targets: opts.scrapeTarget ?? [] },
      system: {
        enabled: opts.systemStats,
        cpu: opts.systemCpu,
        ram: opts.systemRam,
        disk: opts.systemDisk,
        network: opts.systemNetwork,
      },
      queue: opts.redisUrl
        ? {
            url: opts.redisUrl,
            key: opts.redisKey,
            workers: opts.redisWorkers,
            // The URL's database wins over --redis-db.
            db: /^\/\d+$/.test(new URL(opts.redisUrl).pathname)
              ? Number(new URL(opts.redisUrl).pathname.slice(1))
              : opts.redisDb,
            batch: opts.redisBatch,
            deadMax: opts.redisDeadMax,
            consumer: opts.redisConsumer ?? null,
            leaseMs: opts.redisLease,
          }
        : null,
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
  const resumed = analyzer.resumed ? `; resuming from checkpoint ${positionsFile}` : '';
  const draining = opts.redisUrl ? `; draining ${opts.redisKey} on ${redactedUrl(opts.redisUrl)}` : '';
  process.stderr.write(
    `log-analyzer ${VERSION}: following ${watchList.join(', ')}${resumed}${draining}; metrics on http://${opts.host}:${port}${opts.metricsPath}\n`,
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
