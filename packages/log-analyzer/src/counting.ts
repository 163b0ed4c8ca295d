// What scan and serve share: the format compiled once, the store with the log families, and the
// parse pool sized from the same settings.

import { type LogFamilies, logFamilies } from './store/log-families.js';
import { Store } from './store/store.js';
import { compileFormat } from './transforms/log/log-format.js';
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
}

export function createCounting(options: CountingOptions): Counting {
  const plan = compileFormat(options.format);
  const store = new Store();
  return {
    store,
    families: logFamilies(store, plan.durationField !== null),
    pool: new ParsePool({
      workers: options.workers,
      format: plan.source,
      maxLineBytes: options.maxLineBytes,
      ...(options.readBytes ? { readBytes: options.readBytes } : {}),
      ...(options.workerFile ? { workerFile: options.workerFile } : {}),
    }),
  };
}
