// The config file (TOML) and the nested environment names, as values of the command line's own
// options: a key's text goes through the same parser as its flag (so a port, a duration or a size
// is checked the same way wherever it comes from), and the file's shape (sections, key names,
// types) is checked by one schema, made from the settings table (settings.ts). Precedence:
// defaults < file < environment < flags.
// Pure but for reading the file: the caller applies what this returns.

import { parse, TomlError } from 'smol-toml';
import { z } from 'zod';
import { fileLabelsProblem } from '../store/log-families.js';
import { type EnvAlias, nestedEnvName, optionName, TABLE } from './settings.js';

/** A key of the file: its section and name, the serve option it sets, and the TOML type it takes. */
export interface FileKey {
  key: string;
  /** The serve command's option (attribute name). */
  option: string;
  type: 'string' | 'number' | 'boolean' | 'list' | 'targets' | 'rules' | 'webhooks';
}

/** The file's sections, in the order `config print` writes them (a new one: after these). */
const SECTIONS = [
  ...new Set([
    ...['server', 'metrics', 'files', 'checkpoint', 'push', 'redis', 'history', 'scrape', 'system'],
    ...TABLE.flatMap((s) => (s.key ? [s.key.split('.')[0] as string] : [])),
  ]),
];

/** Every key of the file (the settings table's, by section), and the option it sets. */
export const SETTINGS: readonly FileKey[] = SECTIONS.flatMap((section) =>
  TABLE.filter((s) => s.key?.startsWith(`${section}.`)).map((s) => ({
    key: s.key as string,
    option: optionName(s),
    type: s.toml ?? 'string',
  })),
);

const BY_KEY = new Map(SETTINGS.map((s) => [s.key, s]));

const value: Record<FileKey['type'], z.ZodType> = {
  string: z.string({ error: 'expected a string' }),
  number: z.number({ error: 'expected a number' }),
  boolean: z.boolean({ error: 'expected true or false' }),
  list: z.array(z.string({ error: 'expected a string' }), { error: 'expected a list of strings' }),
  // Each target as its flag's text (type:name=url), so one parser checks both.
  targets: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected a name of letters, digits, _ . -'),
        url: z.url({ protocol: /^https?$/, error: 'expected a URL' }),
        type: z.enum(['prometheus', 'health', 'custom'], { error: 'expected prometheus, health or custom' }),
      }),
      { error: 'expected a list of { name, url, type }' },
    )
    .transform((targets) => targets.map((t) => `${t.type}:${t.name}=${t.url}`)),
  // Each table as JSON, the text its flag (--log-rule) takes: one parser checks both, naming the rule.
  rules: z
    .array(z.record(z.string(), z.unknown(), { error: 'expected a table' }), {
      error: 'expected [[…]] tables, one per rule',
    })
    .transform((rules) => rules.map((r) => JSON.stringify(r))),
  // Each webhook as JSON text, which its flag's parser (rules/webhook-config.ts) checks key by key.
  webhooks: z
    .array(z.record(z.string(), z.unknown(), { error: 'expected a table' }), {
      error: 'expected [[alerts.webhooks]] tables of name, url, …',
    })
    .transform((hooks) => hooks.map((h) => JSON.stringify(h))),
};

/** The file's shape: sections of known keys (a duration or size may be a number or a string like "10s"). */
const SCHEMA = z.strictObject(
  Object.fromEntries(
    [...new Set(SETTINGS.map((s) => s.key.split('.')[0] as string))].map((section) => [
      section,
      z
        .strictObject(
          Object.fromEntries(
            SETTINGS.filter((s) => s.key.startsWith(`${section}.`)).map((s) => [
              s.key.slice(section.length + 1),
              (s.type === 'string'
                ? z.union([value.string, value.number], { error: 'expected a string' })
                : value[s.type]
              ).optional(),
            ]),
          ),
        )
        .optional(),
    ]),
  ),
);

export class ConfigError extends Error {}

/** Text a flag's parser takes, from a value of the file or the environment. */
export type OptionValues = Map<string, { value: string | string[] | boolean; key: string; from: string }>;

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const up = d[i - 1] as number[];
      row[j] = Math.min(
        (up[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (up[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** The known key nearest to `key`, when near enough to be a typo. */
export function didYouMean(key: string): string | null {
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const known of [...BY_KEY.keys(), ...new Set(SETTINGS.map((s) => s.key.split('.')[0] as string))]) {
    const distance = editDistance(key, known);
    if (distance < bestDistance) {
      best = known;
      bestDistance = distance;
    }
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(key.length / 4)) ? best : null;
}

/** The line (1-based) of `path` in a TOML text: the key's line within its [section]; 1 when unknown. */
export function lineOf(text: string, path: readonly (string | number)[]): number {
  const [section, key, index, field] = path;
  const lines = text.split('\n');
  if (typeof index === 'number') {
    // An array of tables: [[section.key]] headers, or inline { … } tables after `key =`.
    const headers = lines.flatMap((l, i) => (l.trim().startsWith(`[[${section}.${key}]]`) ? [i] : []));
    if (headers.length > index) {
      const from = headers[index] as number;
      const end = headers[index + 1] ?? lines.length;
      const at = lines
        .slice(from, end)
        .findIndex((l) => field !== undefined && new RegExp(`^\\s*${field}\\s*=`).test(l));
      return from + Math.max(at, 0) + 1;
    }
    const start = lineOf(text, [section as string, key as string]) - 1;
    let seen = -1;
    for (let i = start; i < lines.length; i++) {
      seen += ((lines[i] as string).match(/\{/g) ?? []).length;
      if (seen >= index) return i + 1;
    }
    return start + 1;
  }
  let current = '';
  let sectionLine = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    const header = /^\[+\s*([^\]]+?)\s*\]+/.exec(line);
    if (header) {
      current = header[1] as string;
      if (current === section) sectionLine = i + 1;
      // An array of tables ([[alerts.webhooks]]): its first header is where the key is.
      if (key !== undefined && current === `${section}.${key}` && line.startsWith('[[')) return i + 1;
      continue;
    }
    if (current === section && key !== undefined && new RegExp(`^"?${key}"?\\s*=`).test(line)) return i + 1;
  }
  return sectionLine || 1;
}

/**
 * `[[files]]` entries: files read with a format of their own (`[files.fields]`: a JSON format's
 * mapping, `status = "code"`). In this form `files` is a list, so the process-wide file settings
 * (workers, max_line_bytes, …) come from flags or the environment.
 */
const FILE_ENTRY = z.strictObject({
  watch: z.array(z.string({ error: 'expected a string' }), { error: 'expected a list of paths or globs' }).min(1),
  format: z.string({ error: 'expected a format' }),
  fields: z.record(z.string(), z.string({ error: 'expected a field path' })).optional(),
  labels: z.record(z.string(), z.string({ error: 'expected a string' }), { error: 'expected a table' }).optional(),
});

/** The line of the index-th `[[files]]` header (1-based; 1 when not found). */
function entryLine(text: string, index: number): number {
  const headers = text.split('\n').flatMap((l, i) => (/^\s*\[\[\s*files\s*\]\]/.test(l) ? [i + 1] : []));
  return headers[index] ?? 1;
}

/** The [[files]] entries as --files values (JSON texts; a mapping folded into the format's text). */
function fileEntries(entries: unknown[], text: string, file: string): string[] {
  return entries.map((entry, index) => {
    const checked = FILE_ENTRY.safeParse(entry);
    if (!checked.success) {
      // A misspelt key first: it is usually why a required one is missing.
      const issues = checked.error.issues;
      const issue = issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0];
      const path = ['files', index, ...(issue?.path ?? [])].map((p) => (typeof p === 'symbol' ? String(p) : p));
      const field = issue?.code === 'unrecognized_keys' ? issue.keys[0] : path[2];
      const line = entryLine(text, index);
      const why = issue?.code === 'unrecognized_keys' ? `unknown key ${field}` : (issue?.message ?? 'invalid');
      throw new ConfigError(`${file}:${line}: files[${index}]: ${why}`);
    }
    const { watch, format, fields, labels } = checked.data;
    const problem = labels ? fileLabelsProblem(labels) : null;
    if (problem) throw new ConfigError(`${file}:${entryLine(text, index)}: files[${index}]: ${problem}`);
    const mapped = fields ? [format, ...Object.entries(fields).map(([f, path]) => `${f}=${path}`)].join(' ') : format;
    return JSON.stringify({ watch, format: mapped, ...(labels ? { labels } : {}) });
  });
}

/** Reads a config file's text: the option values it sets, or the errors, each `FILE:LINE: key: why`. */
export function readConfig(text: string, file: string): OptionValues {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    if (error instanceof TomlError) throw new ConfigError(`${file}:${error.line}: ${error.message.split('\n')[0]}`);
    throw error;
  }
  let entries: string[] | null = null;
  const files = (raw as Record<string, unknown>).files;
  if (Array.isArray(files)) {
    entries = fileEntries(files, text, file);
    raw = { ...(raw as Record<string, unknown>), files: undefined };
  }
  const checked = SCHEMA.safeParse(raw);
  if (!checked.success) {
    const errors = checked.error.issues.map((issue) => {
      let path = issue.path.map((p) => (typeof p === 'number' ? p : String(p)));
      let why = issue.message;
      if (issue.code === 'unrecognized_keys') {
        const [unknown] = issue.keys;
        path = [...path, unknown as string];
        const near = didYouMean(path.join('.'));
        why = `unknown key${near ? ` (did you mean ${near}?)` : ''}`;
      }
      const shown = path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${p}`)).join('');
      return `${file}:${lineOf(text, path)}: ${shown}: ${why}`;
    });
    throw new ConfigError(errors.join('\n'));
  }
  const values: OptionValues = new Map();
  if (entries) values.set('files', { value: entries, key: 'files', from: `${file}:${entryLine(text, 0)}` });
  for (const [section, keys] of Object.entries(checked.data as Record<string, Record<string, unknown>>)) {
    for (const [name, v] of Object.entries(keys ?? {})) {
      const key = `${section}.${name}`;
      const setting = BY_KEY.get(key) as FileKey;
      const from = `${file}:${lineOf(text, [section, name])}`;
      values.set(setting.option, {
        value: typeof v === 'number' ? String(v) : (v as string | string[] | boolean),
        key,
        from,
      });
    }
  }
  return values;
}

/** A key's environment names besides APP__SECTION__KEY (settings.ts), by option. */
const KEY_ALIASES = new Map(TABLE.map((s) => [optionName(s), (s.aliases ?? []).filter((a) => a.as === 'key')]));

/**
 * The nested environment names: APP__SECTION__KEY for every key (APP__SERVER__PORT,
 * APP__METRICS__PROMETHEUS_ENDPOINT, …), then a key's other names (EXPORTER_PORT for the port);
 * the first one set wins. Lists are comma-separated.
 */
export function readEnvironment(env: Readonly<Record<string, string | undefined>>): OptionValues {
  const values: OptionValues = new Map();
  for (const setting of SETTINGS) {
    const names: readonly Omit<EnvAlias, 'as'>[] = [
      { name: nestedEnvName(setting.key) },
      ...(KEY_ALIASES.get(setting.option) ?? []),
    ];
    let found: { name: string; text: string } | undefined;
    for (const { name, read } of names) {
      const raw = env[name];
      const text = raw && read ? read(raw) : raw;
      if (text) {
        found = { name, text };
        break;
      }
    }
    if (!found) continue;
    const { name, text } = found;
    const value =
      setting.type === 'boolean'
        ? /^(1|true|yes|on)$/i.test(text)
        : setting.type === 'list'
          ? text
              .split(',')
              .map((t) => t.trim())
              .filter(Boolean)
          : text;
    values.set(setting.option, { value, key: setting.key, from: name });
  }
  return values;
}
