// What scan and serve share: the format compiled once, the store with the log families, the
// parse pool sized from the same settings, and the parse stage between file chunks and the store.

import { type LogFamilies, logFamilies } from './store/log-families.js';
import { Store } from './store/store.js';
import { compileFormat } from './transforms/log/log-format.js';
import { type OnMerged, ParseStage } from './transforms/log/parse-stage.js';
import { ParsePool } from './transforms/pool/parse-pool.js';

export interface CountingOptions {
  format: string;
  workers: number;
  maxLineBytes: number;
  /** Bytes per read (default: the pool's). */
  readBytes?: number;
  /** A parse worker other than the real one (tests). */
  workerFile?: string;
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
  const pool = new ParsePool({
    workers: options.workers,
    format: plan.source,
    maxLineBytes: options.maxLineBytes,
    ...(options.readBytes ? { readBytes: options.readBytes } : {}),
    ...(options.workerFile ? { workerFile: options.workerFile } : {}),
  });
  return { store, families, pool, parse: new ParseStage(pool, families, onMerged) };
}
