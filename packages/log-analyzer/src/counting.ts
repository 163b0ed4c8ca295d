// What scan and serve share: the format compiled once, the log metrics in their own registry,
// and the parse pool sized from the same settings.

import { Registry } from 'prom-client';
import { createLogMetrics, type LogMetrics } from './aggregate/metrics.js';
import { compileFormat } from './parse/log-format.js';
import { ParsePool } from './pool/parse-pool.js';

export interface CountingOptions {
  format: string;
  workers: number;
  maxLineBytes: number;
  /** Bytes per read (default: the pool's). */
  readBytes?: number;
}

export interface Counting {
  /** Only what the log lines say: deterministic, what `scan` prints. */
  logRegistry: Registry;
  logMetrics: LogMetrics;
  pool: ParsePool;
}

export function createCounting(options: CountingOptions): Counting {
  const plan = compileFormat(options.format);
  const logRegistry = new Registry();
  return {
    logRegistry,
    logMetrics: createLogMetrics(logRegistry, plan.durationField !== null),
    pool: new ParsePool({
      workers: options.workers,
      format: plan.source,
      maxLineBytes: options.maxLineBytes,
      ...(options.readBytes ? { readBytes: options.readBytes } : {}),
    }),
  };
}
