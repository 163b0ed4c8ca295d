// One-shot mode: every file from byte 0 to EOF through the same parse stage and store, then the log
// metrics as text. The pipeline is the serve pipeline minus the watching, which makes it the
// golden-file harness.

import { stat } from 'node:fs/promises';
import { type CountingOptions, createCounting } from './counting.js';
import { render, storeFamilies } from './export/exposition.js';
import { resolveArgvPath } from './sources/file/argv-path.js';
import { FileReader } from './sources/file/file-reader.js';
import { fsPath } from './sources/file/fs-names.js';
import { initFileSeries } from './store/log-families.js';

/** Lines read, and how many of them did not parse. */
export interface ScanTotals {
  lines: number;
  parseFailures: number;
}

/** Reads the files and returns the Prometheus exposition text; throws (before reading anything) if one cannot be opened. */
export async function scanFiles(
  paths: readonly string[],
  options: CountingOptions,
  onTotals?: (totals: ScanTotals) => void,
): Promise<string> {
  const { store, families, pool, parse } = createCounting(options);
  const readers: FileReader[] = [];
  try {
    for (const given of paths) {
      const path = await resolveArgvPath(given);
      if (!(await stat(fsPath(path))).isFile()) throw new Error(`cannot read ${given}: not a regular file`);
      readers.push(await FileReader.open(path, 0, { sink: parse.forFile(path), maxLineBytes: options.maxLineBytes }));
      initFileSeries(families, path);
    }
    for (const reader of readers) {
      await reader.drain();
      await reader.flush();
    }
    await Promise.all(readers.map((reader) => reader.settled()));
    onTotals?.({
      lines: store.sum('log_lines_total'),
      parseFailures: store.sum('log_errors_total', { reason: 'parse_failure' }),
    });
    return render(storeFamilies(store.snapshot()), false);
  } finally {
    await Promise.all(readers.map((reader) => reader.handle.close()));
    await pool.close();
  }
}
