// Reloading the configuration without a restart: on SIGHUP, and when the config file changes. The
// file and the environment are read again onto the serve options (config/apply.ts); what can
// change in place does (watched patterns, scrape targets and interval, the history's cap); a
// change to anything else is said to take effect at the next start; a bad new configuration is
// refused with its error and the old one keeps running, as is one that would weaken auth
// silently (config/changes.ts). Every reload says what changed, secrets redacted. Counted in
// log_analyzer_config_reloads_total{result}; log_analyzer_config_info{hash} names the file read.

import { createHash } from 'node:crypto';
import { readFileSync, watchFile } from 'node:fs';
import type { Command } from 'commander';
import { Counter, Gauge, type Registry } from 'prom-client';
import { pushNameStartRefusal } from '../cli/parsers.js';
import { resolveArgvPath } from '../sources/file/argv-path.js';
import { type ApiKey, roleRefusal } from '../sources/push/api-keys.js';
import type { PushConfig } from '../sources/push/push-source.js';
import type { ScrapeConfig } from '../sources/scrape/scrape-source.js';
import { alertsOf, pushLimitsOf, scrapeOf } from './analyzer-config.js';
import { apiKeysOf, applyConfig } from './apply.js';
import { authRefusal, describeReload, keysChange } from './changes.js';
import { BY_OPTION, optionName, TABLE } from './settings.js';

/** What a reload changes in place. */
export interface Reloadable {
  watch: readonly string[];
  /** The log format (compiled already): chunks read from now on are parsed with it. */
  format: string;
  apiKeys: ApiKey[];
  /** The push limits a pushed sample is checked against. */
  pushLimits: Pick<
    PushConfig,
    | 'maxItems'
    | 'maxLabels'
    | 'maxLabelValueBytes'
    | 'maxSeriesBytes'
    | 'maxSeries'
    | 'maxSeriesPerFamily'
    | 'maxSeriesPerTenant'
    | 'ttlMs'
  >;
  scrape: Pick<ScrapeConfig, 'targets' | 'intervalMs'>;
  historyMaxSeries: number;
  /** The rule files (read again, whether or not the list changed: SIGHUP is how a rule file's edit is taken). */
  rules: readonly string[];
}

/** What a reload drives: app.ts's Analyzer. Declared here so that config does not import the wiring above it. */
export interface ReloadTarget {
  selfRegistry: Registry;
  reload(next: Reloadable): Promise<void>;
}

/** Options a reload changes in place (settings.ts); a change to any other waits for the next start. */
const IN_PLACE: ReadonlySet<string> = new Set(TABLE.filter((s) => s.reload).map(optionName));

/** An option's name as the config file spells it (its flag's attribute name when it has no key). */
const keyOf = (option: string) => BY_OPTION.get(option)?.key ?? option;

function hashOf(path: string | undefined): string {
  if (!path) return 'none';
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 12);
  } catch {
    return 'unreadable';
  }
}

export function watchConfig(options: {
  serve: Command;
  path: string | undefined;
  analyzer: ReloadTarget;
  /** Each reload's account, with its trigger (SIGHUP, the file) and result, for the service log. */
  say(message: string, fields?: { event: 'reload'; trigger: string; result: 'success' | 'failure' }): void;
}): { reload(why: string): Promise<boolean> } {
  const { serve, path, analyzer, say } = options;
  const registers = [analyzer.selfRegistry];
  const reloads = new Counter({
    name: 'log_analyzer_config_reloads_total',
    help: 'Configuration reloads (SIGHUP or a changed config file), by result.',
    labelNames: ['result'],
    registers,
  });
  const info = new Gauge({
    name: 'log_analyzer_config_info',
    help: 'The configuration in use: the first 12 hex digits of the config file’s SHA-256 (none without one).',
    labelNames: ['hash'],
    registers,
  });
  info.set({ hash: hashOf(path) }, 1);
  // The keys and --metrics-auth in force (main.ts checked them at the start).
  let keys: ApiKey[] = (() => {
    try {
      return apiKeysOf(serve.opts());
    } catch {
      return [];
    }
  })();
  const metricsAuth = Boolean(serve.opts().metricsAuth);
  let running: Promise<boolean> = Promise.resolve(true);
  const reload = (why: string): Promise<boolean> => {
    running = running.then(async () => {
      const before = { ...serve.opts() };
      const sources = new Map(
        serve.options.map((o) => [o.attributeName(), serve.getOptionValueSource(o.attributeName())]),
      );
      // A refused configuration leaves the options as they were, so the next reload compares with what runs.
      const restore = () => {
        for (const [name, source] of sources) serve.setOptionValueWithSource(name, before[name], source ?? 'default');
      };
      try {
        await applyConfig(serve, path);
        const opts = serve.opts();
        let apiKeys: ApiKey[];
        try {
          apiKeys = apiKeysOf(opts);
          const refusal = authRefusal({
            keysBefore: keys.length,
            keysAfter: apiKeys.length,
            pushOpen: Boolean(opts.pushOpen),
            metricsAuth: metricsAuth || Boolean(opts.metricsAuth),
          });
          if (refusal) throw new Error(refusal);
          const roles = roleRefusal(apiKeys, metricsAuth || Boolean(opts.metricsAuth));
          if (roles) throw new Error(roles);
          const nameStart = pushNameStartRefusal(opts.pushNamespace, opts.pushPrefix);
          if (nameStart) throw new Error(nameStart);
        } catch (error) {
          restore();
          throw error;
        }
        const list = (v: unknown): string[] => (typeof v === 'string' ? v.split(',') : ((v as string[]) ?? []));
        const watch = await Promise.all(
          list(opts.watch)
            .map((w) => w.trim())
            .filter(Boolean)
            .map(resolveArgvPath),
        );
        await analyzer.reload({
          watch,
          format: opts.format,
          apiKeys,
          pushLimits: pushLimitsOf(opts),
          scrape: scrapeOf(opts),
          historyMaxSeries: opts.historyMaxSeries,
          rules: alertsOf(opts).rules,
        });
        const changedKeys = keysChange(keys, apiKeys);
        const opened = apiKeys.length === 0 && keys.length > 0 ? ' (push is open to anyone: --push-open)' : '';
        const said = describeReload({
          before,
          after: opts,
          inPlace: IN_PLACE,
          keyOf,
          keys: changedKeys && changedKeys + opened,
        });
        keys = apiKeys;
        reloads.inc({ result: 'success' });
        info.reset();
        info.set({ hash: hashOf(path) }, 1);
        say(`${why}: configuration reloaded: ${said}`, { event: 'reload', trigger: why, result: 'success' });
        return true;
      } catch (error) {
        reloads.inc({ result: 'failure' });
        say(`${why}: the new configuration is refused, the running one stays: ${(error as Error).message}`, {
          event: 'reload',
          trigger: why,
          result: 'failure',
        });
        return false;
      }
    });
    return running;
  };
  process.on('SIGHUP', () => void reload('SIGHUP'));
  if (path) {
    watchFile(path, { interval: 1000 }, (now, before) => {
      if (now.mtimeMs !== before.mtimeMs || now.size !== before.size) void reload(`${path} changed`);
    }).unref();
  }
  return { reload };
}
