// What the live page (/ui) shows, once a second, computed once for every client: lines/s by
// file, requests/s by status class, the error ratio, latency p50/p95/p99 over the second, the top
// status codes, each file's lag and the queue's depth. The last frames are kept for a new
// client's first message (a snapshot); then each new frame goes to every client (a delta).
// The frame is a pure function of two readings of the totals.

import { bucketQuantile } from '../history/history.js';
import type { Store } from '../store/store.js';

/** Cumulative totals read from the store and the sources at one moment. */
export interface Totals {
  at: number;
  lines: ReadonlyMap<string, number>;
  statuses: ReadonlyMap<string, number>;
  /** http_request_duration_seconds' per-bucket counts, all series added; null when there is none. */
  latency: { bounds: readonly number[]; buckets: readonly number[] } | null;
  lagBytes: ReadonlyMap<string, number>;
  queueDepth: number | null;
  /** Lines that did not parse, by file (log_errors_total{reason="parse_failure"}). */
  parseFailures?: ReadonlyMap<string, number>;
}

/** log_errors_total{reason="parse_failure"} by file. */
function parseFailuresByFile(store: Store): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of store.get('log_errors_total')?.series.values() ?? []) {
    if (s.labels[1] === 'parse_failure' && 'value' in s) out.set(s.labels[0] as string, s.value);
  }
  return out;
}

/** The totals the live page needs, read from the store at one moment. */
export function storeTotals(
  store: Store,
  lagBytes: ReadonlyMap<string, number>,
  queueDepth: number | null,
  at: number,
): Totals {
  const family = store.get('http_request_duration_seconds');
  let latency: Totals['latency'] = null;
  if (family?.spec.bounds) {
    const buckets = new Array<number>(family.spec.bounds.length + 1).fill(0);
    for (const s of family.series.values()) {
      if (!('buckets' in s)) continue;
      for (let i = 0; i < s.buckets.length; i++) buckets[i] = (buckets[i] ?? 0) + (s.buckets[i] as number);
    }
    latency = { bounds: family.spec.bounds, buckets };
  }
  return {
    at,
    lines: store.sumBy('log_lines_total', 'file'),
    statuses: store.sumBy('http_requests_total', 'status'),
    latency,
    lagBytes,
    queueDepth,
    parseFailures: parseFailuresByFile(store),
  };
}

export interface Frame {
  t: number;
  linesPerSecond: Record<string, number>;
  requestsPerSecond: Record<string, number>;
  /** 5xx / all over the second; null when there were no requests. */
  errorRatio: number | null;
  latency: { p50: number; p95: number; p99: number } | null;
  /** Whether there is a latency to show at all (false: the log format has no duration field, nothing pushed one). */
  hasLatency: boolean;
  topStatus: [string, number][];
  lagBytes: Record<string, number>;
  queueDepth: number | null;
  /** Lines per second that did not parse, by file (files with none left out). */
  parseFailuresPerSecond?: Record<string, number>;
}

const TOP = 8;

export function frame(before: Totals, now: Totals): Frame {
  const seconds = Math.max(0.001, (now.at - before.at) / 1000);
  // A key new since the last reading (a new file, a first 404) started from 0.
  const rate = (a: number, b: number | undefined) => Math.max(0, a - (b ?? 0)) / seconds;
  const linesPerSecond: Record<string, number> = {};
  for (const [file, n] of now.lines) linesPerSecond[file] = rate(n, before.lines.get(file));
  const requestsPerSecond: Record<string, number> = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
  let all = 0;
  for (const [status, n] of now.statuses) {
    const r = rate(n, before.statuses.get(status));
    const cls = `${status[0]}xx`;
    if (cls in requestsPerSecond) requestsPerSecond[cls] = (requestsPerSecond[cls] as number) + r;
    all += r;
  }
  let latency: Frame['latency'] = null;
  if (now.latency && before.latency && before.latency.buckets.length === now.latency.buckets.length) {
    const delta = now.latency.buckets.map((b, i) => Math.max(0, b - (before.latency?.buckets[i] ?? 0)));
    const q = (p: number) => bucketQuantile(p, now.latency?.bounds ?? [], delta);
    if (delta.some((d) => d > 0)) latency = { p50: q(0.5), p95: q(0.95), p99: q(0.99) };
  }
  const parseFailuresPerSecond: Record<string, number> = {};
  for (const [file, n] of now.parseFailures ?? []) {
    const r = rate(n, before.parseFailures?.get(file));
    if (r > 0) parseFailuresPerSecond[file] = r;
  }
  return {
    t: now.at,
    parseFailuresPerSecond,
    linesPerSecond,
    requestsPerSecond,
    errorRatio: all > 0 ? (requestsPerSecond['5xx'] as number) / all : null,
    latency,
    hasLatency: now.latency !== null,
    topStatus: [...now.statuses].sort((a, b) => b[1] - a[1]).slice(0, TOP),
    lagBytes: Object.fromEntries(now.lagBytes),
    queueDepth: now.queueDepth,
  };
}

/** Frames every second while anyone listens; the last `keep` of them for a snapshot. */
export class LiveFeed {
  private readonly frames: Frame[] = [];
  private readonly listeners = new Set<(f: Frame) => void>();
  private timer: NodeJS.Timeout | null = null;
  private last: Totals | null = null;

  constructor(
    private readonly read: () => Totals,
    private readonly keep = 300,
    private readonly everyMs = 1000,
  ) {}

  get clients(): number {
    return this.listeners.size;
  }

  snapshot(): Frame[] {
    return [...this.frames];
  }

  /** Listens for new frames; returns how to stop listening. */
  subscribe(listener: (f: Frame) => void): () => void {
    this.listeners.add(listener);
    if (!this.timer) {
      this.last = this.read();
      this.timer = setInterval(() => this.tick(), this.everyMs);
      this.timer.unref();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    };
  }

  /** One frame now (the timer's turn; tests call it). */
  tick(): void {
    const now = this.read();
    if (this.last) {
      const f = frame(this.last, now);
      this.frames.push(f);
      if (this.frames.length > this.keep) this.frames.shift();
      for (const listener of this.listeners) listener(f);
    }
    this.last = now;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.listeners.clear();
  }
}
