// The families of application logs and user rules in the store: log_messages_total{file,level}
// (the `app` format), one family per user rule, and the count of folded label values. Folds a
// ChunkSummary's `levels` and `rules` into them, one add per label set, with every label taken
// from a line bounded (label-limits.ts).

import { LOG_FAMILIES } from '../metrics/catalog.js';
import type { ChunkSummary } from './chunk-summary.js';
import { LabelLimits } from './label-limits.js';
import type { Family, Store } from './store.js';

/** The level label's values, in the order ChunkSummary.levels counts them (transforms/log/app-levels.ts LEVELS). */
export const LEVEL_LABELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'unknown'] as const;

/** What the store needs of a user rule: its metric. */
export interface RuleMetric {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  labels: readonly string[];
  buckets: readonly number[];
}

export interface AppOptions {
  /** The `app` format is in use: log_messages_total exists. */
  messages: boolean;
  /** Every user rule, in the order RuleCount.rule refers to. */
  rules: readonly RuleMetric[];
  /** Distinct values kept per label taken from log lines. */
  maxLabelValues: number;
  /** The [[files]] entries' label names, after log_messages_total's own (log-families.ts). */
  fileLabelNames?: readonly string[];
}

export class AppFamilies {
  readonly messages: Family | null;
  private readonly rules: { family: Family; limited: number[] }[];
  private readonly limits: LabelLimits;

  constructor(store: Store, options: AppOptions) {
    const messages = LOG_FAMILIES.messages;
    const names = options.fileLabelNames ?? [];
    this.messages = options.messages
      ? store.family(names.length > 0 ? { ...messages, labelNames: [...messages.labelNames, ...names] } : messages)
      : null;
    const folded = store.family(LOG_FAMILIES.labelValuesFolded);
    this.limits = new LabelLimits(options.maxLabelValues, (metric, label, n) => folded.inc([metric, label], n));
    this.rules = options.rules.map((rule) => ({
      family: store.family({
        name: rule.name,
        help: rule.help,
        kind: rule.type,
        labelNames: [...rule.labels],
        ...(rule.type === 'histogram' ? { bounds: [...rule.buckets] } : {}),
      }),
      limited: rule.labels.map((_, i) => i),
    }));
  }

  /** Zero series for a new file's levels, so rate() over a quiet file says 0 instead of nothing. */
  initFile(file: string, extra: readonly string[] = []): void {
    if (!this.messages) return;
    for (const level of LEVEL_LABELS) this.messages.inc([file, level, ...extra], 0);
  }

  /** `extra`: the file's [[files]] label values (log_messages_total only: rules have labels of their own). */
  merge(file: string, summary: ChunkSummary, extra: readonly string[] = []): void {
    if (this.messages && summary.levels) {
      summary.levels.forEach((n, i) => {
        if (n > 0) this.messages?.inc([file, LEVEL_LABELS[i] ?? 'unknown', ...extra], n);
      });
    }
    for (const r of summary.rules ?? []) {
      const target = this.rules[r.rule];
      if (!target) continue;
      const labels = this.limits.bound(target.family, r.labels, target.limited, r.count);
      if (r.buckets) target.family.observe(labels, r.buckets, r.sum ?? 0, r.count);
      else target.family.inc(labels, r.count);
    }
  }
}
