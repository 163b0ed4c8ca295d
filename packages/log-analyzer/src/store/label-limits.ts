// Bounded labels: for every label whose values come from log lines, at most N distinct values
// per (metric, label); a value past the limit is counted as `other`, and the fold itself is
// counted (log_analyzer_label_values_folded_total{metric,label}). Owned by the store's side of
// the parse stage: called where a chunk's counts are merged, in read order.
// Which values are kept is exactly the values the metric's series already hold: the checkpoint
// saves those series, so after a restart the same values are kept and the same ones fold, and
// no list of its own needs saving (or can disagree with the counts).

import type { Family } from './store.js';

/** The value a folded label takes. */
export const OTHER = 'other';

export class LabelLimits {
  /** Per family, per limited label position: the values kept (learned from its series on first use). */
  private readonly kept = new Map<Family, Map<number, Set<string>>>();

  constructor(
    readonly maxValues: number,
    /** Told of each fold: the metric, the label, and how many matches it held. */
    private readonly onFold: (metric: string, label: string, n: number) => void,
  ) {}

  /**
   * The label values to count under: `values` itself, or a copy with each value past its
   * label's limit replaced by OTHER. `limited`: the positions (in the family's labelNames)
   * whose values come from log lines; `n`: matches the values carry (the fold counter's step).
   */
  bound(family: Family, values: string[], limited: readonly number[], n: number): string[] {
    let byLabel = this.kept.get(family);
    if (!byLabel) {
      byLabel = new Map(limited.map((at) => [at, new Set<string>()]));
      // The series restored from the checkpoint say which values were kept before the restart.
      for (const s of family.series.values()) {
        for (const at of limited) {
          const v = s.labels[at] as string;
          if (v !== OTHER) byLabel.get(at)?.add(v);
        }
      }
      this.kept.set(family, byLabel);
    }
    let out = values;
    for (const at of limited) {
      const v = values[at] as string;
      const kept = byLabel.get(at) as Set<string>;
      if (v === OTHER || kept.has(v)) continue;
      if (kept.size < this.maxValues) {
        kept.add(v);
        continue;
      }
      if (out === values) out = [...values];
      out[at] = OTHER;
      this.onFold(family.spec.name, family.spec.labelNames[at] as string, n);
    }
    return out;
  }

  /** Forgets what was learned of a family (its series were dropped). */
  forget(family: Family): void {
    this.kept.delete(family);
  }
}
