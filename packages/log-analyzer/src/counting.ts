// What scan and serve share: the formats compiled once, the store with the log families, the
// parse pool sized from the same settings, and the parse stage between file chunks and the store.
// Which format reads a file: the first [[files]] entry whose pattern matches it, else --format.

import { resolve } from 'node:path';
import { LOG_FAMILIES } from './metrics/catalog.js';
import { compileWatchPattern, type WatchPattern } from './sources/file/glob.js';
import { AppFamilies } from './store/app-families.js';
import { LabelLimits } from './store/label-limits.js';
import {
  type FileLabelNames,
  type LogFamilies,
  logFamilies,
  NO_FILE_LABELS,
  withFileLabels,
} from './store/log-families.js';
import { Store } from './store/store.js';
import { compileAnyFormat } from './transforms/log/formats.js';
import { type OnMerged, ParseStage } from './transforms/log/parse-stage.js';
import type { Rule } from './transforms/log/rule-config.js';
import { ParsePool } from './transforms/pool/parse-pool.js';

/** A [[files]] entry of the config file (or a --files value): these files, read with this format. */
export interface FileEntry {
  watch: readonly string[];
  /** A format's text (formats.ts), checked already. */
  format: string;
  /** Labels every log family's series of these files carry (checked: log-families.ts fileLabelsProblem). */
  labels?: Readonly<Record<string, string>>;
}

export const DEFAULT_MAX_LABEL_VALUES = 100;

export interface CountingOptions {
  format: string;
  /** Files with a format of their own; the rest are read with `format`. */
  files?: readonly FileEntry[];
  workers: number;
  maxLineBytes: number;
  /** Bytes per read (default: the pool's). */
  readBytes?: number;
  /** A parse worker other than the real one (tests). */
  workerFile?: string;
  /** The `app` format's continuation pattern (RE2 syntax). */
  continuation?: string | null;
  /** User rules (log rules), checked at load (transforms/log/rule-config.ts). */
  rules?: readonly Rule[];
  /** Route templates for `route` labels. */
  routes?: readonly string[];
  /** Distinct values kept per label taken from log lines (default 100). */
  maxLabelValues?: number;
  /** --route-label: http_requests_total and http_response_bytes_total carry a bounded `route`. */
  routeLabel?: boolean;
}

export interface Counting {
  store: Store;
  families: LogFamilies;
  pool: ParsePool;
  /** The file source's chunk sinks: chunk → pool → summary → merged into `families`. */
  parse: ParseStage;
  /** The format text a file is read with. */
  formatOf(file: string): string;
}

/** Which format reads each file: entries' patterns in order, the default for the rest. Pure. */
export function formatChooser(entries: readonly FileEntry[], fallback: () => string): (file: string) => string {
  const compiled: { patterns: WatchPattern[]; format: string }[] = entries.map((e) => ({
    patterns: e.watch.map((p) => compileWatchPattern(p)),
    format: compileAnyFormat(e.format).source,
  }));
  // scan names files as given (relative, often): a pattern is matched against the absolute path too.
  return (file) =>
    compiled.find((e) => e.patterns.some((p) => p.matches(file) || p.matches(resolve(file))))?.format ?? fallback();
}

/**
 * The entries' label names (sorted, each once) and a file's values for them: its entry's (the
 * first whose pattern matches, as for formats), "" for names its entry lacks or with no entry. Pure.
 */
export function fileLabelNames(entries: readonly FileEntry[]): FileLabelNames {
  const names = [...new Set(entries.flatMap((e) => Object.keys(e.labels ?? {})))].sort();
  if (names.length === 0) return NO_FILE_LABELS;
  const compiled = entries.map((e) => ({
    patterns: e.watch.map((p) => compileWatchPattern(p)),
    values: names.map((n) => e.labels?.[n] ?? ''),
  }));
  const none = names.map(() => '');
  return {
    names,
    valuesOf: (file) =>
      compiled.find((e) => e.patterns.some((p) => p.matches(file) || p.matches(resolve(file))))?.values ?? none,
  };
}

export function createCounting(options: CountingOptions, onMerged?: OnMerged): Counting {
  const formats = [options.format, ...(options.files ?? []).map((e) => e.format)].map((f) => compileAnyFormat(f));
  const store = new Store();
  const extra = fileLabelNames(options.files ?? []);
  const maxLabelValues = options.maxLabelValues ?? DEFAULT_MAX_LABEL_VALUES;
  const folded = () => store.family(LOG_FAMILIES.labelValuesFolded);
  const routeLimits = options.routeLabel
    ? new LabelLimits(maxLabelValues, (metric, label, n) => folded().inc([metric, label], n))
    : null;
  const families = logFamilies(
    store,
    formats.some((f) => f.duration),
    extra,
    routeLimits,
  );
  if (formats.some((f) => f.upstream))
    families.upstream = store.family(withFileLabels(LOG_FAMILIES.upstream, extra.names));
  const rules = options.rules ?? [];
  const app = formats.some((f) => f.kind === 'app');
  if (app || rules.length > 0) {
    families.app = new AppFamilies(store, {
      messages: app,
      rules,
      maxLabelValues,
      fileLabelNames: extra.names,
    });
  }
  const pool = new ParsePool({
    workers: options.workers,
    format: (formats[0] as (typeof formats)[0]).source,
    maxLineBytes: options.maxLineBytes,
    ...(options.readBytes ? { readBytes: options.readBytes } : {}),
    ...(options.workerFile ? { workerFile: options.workerFile } : {}),
    continuation: options.continuation ?? null,
    routes: options.routeLabel ? [...(options.routes ?? [])] : null,
  });
  const formatOf = formatChooser(options.files ?? [], () => pool.format);
  const userRules = rules.length > 0 ? { rules, routes: options.routes ?? [] } : null;
  return { store, families, pool, parse: new ParseStage(pool, families, onMerged, formatOf, userRules), formatOf };
}
