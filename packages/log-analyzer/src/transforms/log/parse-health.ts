// Whether a file's lines parse with the format it is read with: when most of its recent lines fail,
// the wiring says so once (stderr) and /api/status shows it, with the preset that reads them (if one
// does). Pure: fed each merged chunk's counts and its sample of failed lines.

import type { ChunkSummary } from '../../store/chunk-summary.js';
import { formatName } from './formats.js';
import { suggestFormat } from './suggest-format.js';

/** Lines a verdict needs at least; the window restarts after WINDOW lines, so "recent" is the last 1,000 to 2,000. */
const MIN_LINES = 100;
const WINDOW = 1000;
const SAMPLE = 50;

export interface NotParsing {
  /** The format the file is read with (a preset's name, or the format's text). */
  format: string;
  /** The preset that reads at least 90 % of the sampled failed lines, or null. */
  suggestion: string | null;
  /** Failed lines out of the lines of the window the verdict was taken on. */
  failed: number;
  lines: number;
}

interface FileWindow {
  lines: number;
  failed: number;
  sample: Uint8Array[];
  verdict: NotParsing | null;
  said: boolean;
}

export class ParseHealth {
  private readonly files = new Map<string, FileWindow>();

  /** Counts a merged chunk; returns the verdict when it is to be said now (once per file). */
  add(file: string, format: string, summary: ChunkSummary): NotParsing | null {
    let w = this.files.get(file);
    if (!w) {
      w = { lines: 0, failed: 0, sample: [], verdict: null, said: false };
      this.files.set(file, w);
    }
    const lines = summary.lines - summary.tooLong - (summary.workerFailures ?? 0);
    w.lines += lines;
    w.failed += summary.parseFailures;
    for (const line of summary.failedSample ?? []) if (w.sample.length < SAMPLE) w.sample.push(line);
    if (w.lines < MIN_LINES) return null;
    const failing = w.failed * 2 > w.lines;
    let say: NotParsing | null = null;
    if (failing && !w.verdict) {
      w.verdict = {
        format: formatName(format),
        suggestion: suggestFormat(w.sample, format),
        failed: w.failed,
        lines: w.lines,
      };
      if (!w.said) say = w.verdict;
      w.said = true;
    } else if (!failing && w.lines >= WINDOW) w.verdict = null;
    if (w.lines >= WINDOW) {
      w.lines = 0;
      w.failed = 0;
      w.sample = [];
    }
    return say;
  }

  /** The file's current verdict (null: it parses, or too few lines yet). */
  of(file: string): NotParsing | null {
    return this.files.get(file)?.verdict ?? null;
  }

  forget(file: string): void {
    this.files.delete(file);
  }
}

/** The warning's one line. */
export function notParsingMessage(file: string, v: NotParsing): string {
  const hint = v.suggestion
    ? `they look like --format ${v.suggestion}`
    : 'no preset reads them (--format takes a preset, an Apache LogFormat, an nginx log_format or a JSON mapping)';
  return `${file}: ${v.failed} of the last ${v.lines} lines did not parse as ${v.format}; ${hint} (said once; log_errors_total{reason="parse_failure"} counts them)`;
}
