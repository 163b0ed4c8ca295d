// One-shot mode: every file from byte 0 to EOF through the same pool, then the log metrics as text.
// The pipeline is the serve pipeline minus the watching, which makes it the golden-file harness.

import { stat } from 'node:fs/promises';
import { initFileSeries, mergeSummary } from './aggregate/merge-summary.js';
import { type CountingOptions, createCounting } from './counting.js';
import { FileReader } from './tail/file-reader.js';

/** Reads the files and returns the Prometheus exposition text; throws (before reading anything) if one cannot be opened. */
export async function scanFiles(paths: readonly string[], options: CountingOptions): Promise<string> {
  const { logRegistry: registry, logMetrics: metrics, pool } = createCounting(options);
  const readers: FileReader[] = [];
  try {
    for (const path of paths) {
      if (!(await stat(path)).isFile()) throw new Error(`cannot read ${path}: not a regular file`);
      readers.push(
        await FileReader.open(path, 0, {
          pool,
          maxLineBytes: options.maxLineBytes,
          onSummary: (summary) => mergeSummary(metrics, path, summary),
        }),
      );
      initFileSeries(metrics, path);
    }
    for (const reader of readers) {
      await reader.drain();
      await reader.flush();
    }
    await Promise.all(readers.map((reader) => reader.settled()));
    return await registry.metrics();
  } finally {
    await Promise.all(readers.map((reader) => reader.handle.close()));
    await pool.close();
  }
}
