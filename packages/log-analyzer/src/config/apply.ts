// Applying the config file and the nested environment names to the serve command's options, and
// printing the result (`log-analyzer config print`, secrets redacted: config/changes.ts).

import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { type ApiKey, parseApiKey, parseApiKeysFile } from '../sources/push/api-keys.js';
import type { ScrapeTarget } from '../sources/scrape/scrape-source.js';
import type { Rule } from '../transforms/log/rule-config.js';
import { redacted } from './changes.js';
import { BY_OPTION } from './settings.js';

/** Where a value may come from, weakest first: a stronger one is never replaced by a weaker one. */
const RANK: Record<string, number> = { default: 0, config: 1, env: 2, cli: 3 };

/**
 * Fills the options the command line and LOG_ANALYZER_* left at their defaults from the config
 * file, then from APP__SECTION__KEY and EXPORTER_PORT (defaults < file < environment < flags);
 * every value goes through its flag's own parser. Called again on a reload: what the file set
 * before is set again from it, or back to its default when the file no longer has it. Returns
 * where each option's value came from; throws a ConfigError saying what is wrong (and changes
 * nothing then).
 */
export async function applyConfig(serve: Command, path: string | undefined): Promise<Map<string, string>> {
  const { ConfigError, readConfig, readEnvironment } = await import('./config-file.js');
  const origins = new Map<string, string>();
  const layers: [ReturnType<typeof readEnvironment>, 'config' | 'env'][] = [];
  if (path) {
    const { readFileSync } = await import('node:fs');
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new ConfigError(`--config: cannot read ${path}: ${why}`);
    }
    layers.push([readConfig(text, path), 'config']);
  }
  layers.push([readEnvironment(process.env), 'env']);
  // Every value parsed first: a bad one changes nothing.
  const updates: [string, unknown, 'config' | 'env'][] = [];
  for (const [values, source] of layers) {
    for (const [name, { value, key, from }] of values) {
      const was = serve.getOptionValueSource(name) ?? 'default';
      const rank = RANK[was] ?? 0;
      if (!((RANK[source] ?? 0) > rank || (source === 'config' && was === 'config'))) continue;
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
        throw new ConfigError(`${from}: ${key}: ${(error as Error).message}`);
      }
      updates.push([name, parsed, source]);
      origins.set(name, from);
    }
  }
  // What an earlier reading of the file set and it no longer does goes back to its default.
  for (const opt of serve.options) {
    const name = opt.attributeName();
    if (serve.getOptionValueSource(name) === 'config' && !origins.has(name)) {
      serve.setOptionValueWithSource(name, opt.defaultValue, 'default');
    }
  }
  for (const [name, value, source] of updates) serve.setOptionValueWithSource(name, value, source);
  return origins;
}

/** `config print`: every setting's effective value and where it came from. */
export async function printConfig(
  serve: Command,
  opts: Record<string, unknown>,
  origins: Map<string, string>,
): Promise<void> {
  const { SETTINGS } = await import('./config-file.js');
  const lines: string[] = [];
  let section = '';
  for (const setting of SETTINGS) {
    const [name, key] = setting.key.split('.') as [string, string];
    if (name !== section) {
      lines.push(`${lines.length ? '\n' : ''}[${name}]`);
      section = name;
    }
    const value = redacted(setting.option, opts[setting.option]);
    const source = serve.getOptionValueSource(setting.option);
    const origin =
      origins.get(setting.option) ?? (source === 'cli' ? 'flag' : source === 'env' ? 'environment' : 'default');
    const toml = (v: unknown): string =>
      setting.type === 'rules'
        ? `[${(v as Rule[]).map(ruleTable).join(', ')}]`
        : setting.type === 'webhooks'
          ? `[${(v as { name: string; url: string }[]).map((w) => `{ name = ${JSON.stringify(w.name)}, url = ${JSON.stringify(w.url)} }`).join(', ')}]`
          : setting.type === 'targets'
            ? `[${(v as ScrapeTarget[]).map((t) => `{ name = ${JSON.stringify(t.name)}, url = ${JSON.stringify(t.url)}, type = "${t.type}" }`).join(', ')}]`
            : JSON.stringify(v);
    // API keys are never printed: a comment with their count and tenants stands for them.
    const secret = BY_OPTION.get(setting.option)?.secret === 'keys' && Array.isArray(value);
    const shown =
      value === undefined ? '# (not set)' : secret ? `# ${key} = ${toml(value)}` : `${key} = ${toml(value)}`;
    const note = secret ? `${(value as unknown[]).length} redacted, ` : '';
    lines.push(
      `${value === undefined ? `# ${key}` : shown}${' '.repeat(Math.max(1, 48 - shown.length))}# ${note}${origin}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** The API keys the options name (--api-key, --api-keys-file); throws saying which is wrong, never echoing a key. */
export function apiKeysOf(opts: { apiKey?: string[]; apiKeysFile?: string }): ApiKey[] {
  const keys: ApiKey[] = [];
  for (const text of opts.apiKey ?? []) {
    try {
      keys.push(parseApiKey(text));
    } catch (error) {
      throw new Error(`--api-key: ${(error as Error).message}`);
    }
  }
  if (opts.apiKeysFile) {
    try {
      keys.push(...parseApiKeysFile(readFileSync(opts.apiKeysFile, 'utf8'), opts.apiKeysFile));
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      throw new Error(
        e.code ? `--api-keys-file: cannot read ${opts.apiKeysFile}: ${e.code}` : `--api-keys-file: ${e.message}`,
      );
    }
  }
  return keys;
}

/** A user rule as the inline TOML table that would give it (config print). */
export function ruleTable(rule: Rule): string {
  const fields: [string, unknown][] = [
    ['name', rule.name],
    ['type', rule.type],
    ...(rule.files.length > 0 ? [['files', rule.files] as [string, unknown]] : []),
    rule.regex !== null ? ['regex', rule.regex] : ['json_path', rule.jsonPath],
    ...(rule.value !== null ? [['value', rule.value] as [string, unknown]] : []),
    ...(rule.type === 'histogram' ? [['buckets', rule.buckets] as [string, unknown]] : []),
  ];
  const labels =
    rule.regex !== null
      ? JSON.stringify(rule.labels)
      : `{ ${rule.labels.map((l, i) => `${l} = ${JSON.stringify(rule.labelSources[i])}`).join(', ')} }`;
  return `{ ${fields.map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(', ')}, labels = ${labels} }`;
}
