// Recent lines-per-second per file, from cumulative counts sampled once a second.
// Pure: the caller supplies the clock, so the window arithmetic is testable.

const WINDOW_SAMPLES = 11; // 10 one-second intervals

interface Sample {
  at: number; // ms
  total: number;
}

export class LineRate {
  private readonly totals = new Map<string, number>();
  private readonly samples = new Map<string, Sample[]>();

  add(file: string, lines: number): void {
    this.totals.set(file, (this.totals.get(file) ?? 0) + lines);
  }

  /** Records the running totals; call about once a second. */
  sample(nowMs: number): void {
    for (const [file, total] of this.totals) {
      const ring = this.samples.get(file) ?? [];
      ring.push({ at: nowMs, total });
      if (ring.length > WINDOW_SAMPLES) ring.shift();
      this.samples.set(file, ring);
    }
  }

  /** Lines per second over the sampled window (0 until two samples exist). */
  rates(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [file, ring] of this.samples) {
      const first = ring[0];
      const last = ring[ring.length - 1];
      const seconds = first && last ? (last.at - first.at) / 1000 : 0;
      out.set(file, first && last && seconds > 0 ? (last.total - first.total) / seconds : 0);
    }
    return out;
  }

  forget(file: string): void {
    this.totals.delete(file);
    this.samples.delete(file);
  }
}
