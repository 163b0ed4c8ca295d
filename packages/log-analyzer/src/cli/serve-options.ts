// The serve command's options, every one also LOG_ANALYZER_<FLAG> (see parsers.ts), and the keys
// of the config file that set them (config/config-file.ts).

import { type Command, Option } from 'commander';
import { QUEUE_DEFAULTS } from '../sources/queue/queue-source.js';
import {
  bytes,
  collect,
  consumerId,
  duration,
  integer,
  metricNamePart,
  option,
  redisUrl,
  scrapeTarget,
  urlPath,
} from './parsers.js';

export function addServeOptions(serve: Command): Command {
  return serve
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
      option(
        '--start-fresh',
        'when neither the checkpoint nor its previous generation can be used: move them aside and start from zero (default: refuse to start)',
      ).default(false),
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
    .addOption(
      option('--max-streams <n>', 'live-page streams (/ui/events) at once, at most half of --max-connections')
        .default(16)
        .argParser(integer(1, 100_000)),
    )
    .addOption(
      option(
        '--slow-reader-timeout <duration>',
        'a client that takes no byte of its answer, or sends no byte of its request body, for this long is closed',
      )
        .default(10_000, '10s')
        .argParser(duration),
    )
    .addOption(
      option(
        '--allowed-hosts <host...>',
        'Host headers answered besides IP addresses and localhost (default: any, or only loopback when bound to it)',
      ).argParser(collect),
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
      option('--push-max-series-bytes <n>', "most UTF-8 bytes of a pushed series' label names and values together")
        .default(2048)
        .argParser(integer(1, 1_048_576)),
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
        'most pushed series of one tenant (default: a tenth of --push-max-series)',
      ).argParser(integer(1, 10_000_000)),
    )
    .addOption(
      option(
        '--api-key <key[:tenant]...>',
        'writes need one of these keys (Authorization: Bearer KEY or X-API-Key); :* may set any tenant_id',
      ).argParser(collect),
    )
    .addOption(option('--api-keys-file <file>', 'more keys, one KEY[:TENANT] per line'))
    .addOption(
      option('--metrics-auth', 'reading (/metrics, its JSON, /ui, /api/status) needs an API key too').default(false),
    )
    .addOption(
      option('--push-open', 'a reload may remove every API key, leaving push open (refused otherwise)').default(false),
    )
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
      option('--redis-allow-tenant-id', 'queue messages may set tenant_id (else refused: tenant_not_allowed)').default(
        false,
      ),
    )
    .addOption(
      option('--redis-max-message-bytes <size>', 'a larger queue message is dead-lettered (too_large) unread')
        .default(QUEUE_DEFAULTS.maxMessageBytes, '1MiB')
        .argParser(bytes),
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
    .addOption(
      option('--history-rollup <duration>', 'rollups of this length').default(300_000, '5m').argParser(duration),
    )
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
    )
    .addOption(option('--config <file>', 'a TOML config file (also METRICS_CONFIG); flags and environment win over it'))
    .addOption(option('--metrics-path <path>', 'the path /metrics is served at').default('/metrics').argParser(urlPath))
    .addOption(new Option('--print-config').hideHelp())
    .addOption(new Option('--check-config').hideHelp());
}
