// What scan and serve share: the format compiled once, the store with the log families, the
// parse pool sized from the same settings, and the parse stage between file chunks and the store.

import { AppFamilies } from './store/app-families.js';
import { type LogFamilies, logFamilies } from './store/log-families.js';
import { Store } from './store/store.js';
import { compileFormat } from './transforms/log/log-format.js';
import { type OnMerged, ParseStage } from './transforms/log/parse-stage.js';
import type { Rule } from './transforms/log/rule-config.js';
import { ParsePool } from './transforms/pool/parse-pool.js';

export const DEFAULT_MAX_LABEL_VALUES = 100;

export interface CountingOptions {
  format: string;
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
}

export interface Counting {
  store: Store;
  families: LogFamilies;
  pool: ParsePool;
  /** The file source's chunk sinks: chunk → pool → summary → merged into `families`. */
  parse: ParseStage;
}

export function createCounting(options: CountingOptions, onMerged?: OnMerged): Counting {
  const plan = compileFormat(options.format);
  const store = new Store();
  const families = logFamilies(store, plan.durationField !== null);
  const rules = options.rules ?? [];
  if (plan.app || rules.length > 0) {
    families.app = new AppFamilies(store, {
      messages: plan.app === true,
      rules,
      maxLabelValues: options.maxLabelValues ?? DEFAULT_MAX_LABEL_VALUES,
    });
  }
  const pool = new ParsePool({
    workers: options.workers,
    format: plan.source,
    maxLineBytes: options.maxLineBytes,
    ...(options.readBytes ? { readBytes: options.readBytes } : {}),
    ...(options.workerFile ? { workerFile: options.workerFile } : {}),
    continuation: options.continuation ?? null,
  });
  const userRules = rules.length > 0 ? { rules, routes: options.routes ?? [] } : null;
  return { store, families, pool, parse: new ParseStage(pool, families, onMerged, userRules) };
}
