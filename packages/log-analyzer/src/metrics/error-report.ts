// The error policy every stage shares: an error is counted in log_analyzer_errors_total{stage,error},
// kept as its stage's last one (/health: a stage with one in the last minute is degraded), and said
// once per distinct problem: a retry that fails the same way again is counted, not said again.

import type { Counter } from 'prom-client';
import { errorLabel, type Stage } from './catalog.js';

export interface LastError {
  at: number;
  message: string;
}

export class ErrorReport {
  /** The last error of each stage, with its subject. */
  readonly lastError = new Map<Stage, LastError>();
  /** What was last said of each stage and subject (`stage NUL subject`). */
  private readonly lastSaid = new Map<string, string>();

  constructor(
    private readonly errors: Counter<'stage' | 'error'>,
    private readonly warn: (message: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts an error of `stage` about `subject` (a file, a URL, what was being done); says it if it is news. */
  report(stage: Stage, subject: string, error: unknown): void {
    this.errors.inc({ stage, error: errorLabel(error) });
    this.lastError.set(stage, {
      at: this.now(),
      message: `${subject}: ${error instanceof Error ? error.message : error}`,
    });
    const message = error instanceof Error ? error.message : String(error);
    const key = `${stage}\u0000${subject}`;
    if (this.lastSaid.get(key) !== message) this.warn(`${stage}: ${subject}: ${message}`);
    this.lastSaid.set(key, message);
  }

  /** Forgets what was said of a subject (a file forgotten and found again: its next error is news). */
  forget(stage: Stage, subject: string): void {
    this.lastSaid.delete(`${stage}\u0000${subject}`);
  }
}
