// /api/status's answer past version, uptime and ingestion: discovery, the checkpoint (where, whether
// this start resumed from it, when /metrics last moved on), each followed file with its lines and
// errors, and the parse pool. Built from each part's own status; the store is read once per answer.

import type { Store } from '../store/store.js';

export interface StatusParts<F extends { path: string }> {
  /** The file source's discovery (undefined before it exists). */
  discovery: object | undefined;
  checkpoint: {
    file: string | null;
    resumed: boolean;
    /** When the published checkpoint was taken (ms since the epoch); 0: none yet. */
    publishedAt: number;
    series: number;
  };
  /** Each followed file's status, with its lines and errors from the store (fileStatuses). */
  files: readonly (F & { lines: number; errors: number })[];
  pool: object;
}

/** The answer's body. Pure. */
export function statusAnswer<F extends { path: string }>(parts: StatusParts<F>) {
  const { discovery, checkpoint, files, pool } = parts;
  return {
    discovery,
    checkpoint: {
      file: checkpoint.file,
      resumed: checkpoint.resumed,
      publishedAt: checkpoint.publishedAt ? new Date(checkpoint.publishedAt).toISOString() : null,
      series: checkpoint.series,
    },
    files,
    pool,
  };
}

/** Each followed file's status with its lines and errors, from the store itself: one source of truth (one pass each). */
export function fileStatuses<T extends { path: string }>(
  store: Store,
  files: readonly T[],
): (T & { lines: number; errors: number })[] {
  const lines = store.sumBy('log_lines_total', 'file');
  const errors = store.sumBy('log_errors_total', 'file');
  return files.map((file) => ({ ...file, lines: lines.get(file.path) ?? 0, errors: errors.get(file.path) ?? 0 }));
}
