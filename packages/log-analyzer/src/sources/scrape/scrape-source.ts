// Scrape targets: every interval, each target is fetched on its own (one slow target never holds
// up another) with a timeout and a body limit. `prometheus` targets' series are re-exported with a
// `target` label (a series gone from the target is gone here at the next scrape); `health`
// targets give up/down and the time taken (a JSON body's `status` is read); `custom` targets'
// JSON numbers become gauges. Every failure is counted per target and reason; a scraped line that
// fails a check (prom-text.ts) is dropped and counted, never copied.

import { Counter, Gauge, type Registry } from 'prom-client';
import { ParseError, parsePromText, renderScraped, type ScrapedFamily } from './prom-text.js';

export interface ScrapeTarget {
  name: string;
  url: string;
  type: 'prometheus' | 'health' | 'custom';
}

export interface ScrapeConfig {
  intervalMs: number;
  timeoutMs: number;
  maxBodyBytes: number;
  targets: ScrapeTarget[];
}

/** Each scrape's timeout and body limit (not settings). */
export const SCRAPE_LIMITS: Pick<ScrapeConfig, 'timeoutMs' | 'maxBodyBytes'> = {
  timeoutMs: 5_000,
  maxBodyBytes: 10 * 2 ** 20,
};

/** Samples taken from one target at most, and numeric fields of one custom target. */
const MAX_SAMPLES = 50_000;
const MAX_FIELDS = 100;
const HEALTHY = /^(ok|up|healthy|pass|passing|green|ready)$/i;

export type ScrapeFailure = 'timeout' | 'connection' | 'http_status' | 'body_too_large' | 'parse' | 'name_conflict';

/** Pure: a custom target's JSON → numeric fields by path (a.b.c → a_b_c), at most MAX_FIELDS. */
export function numericFields(body: unknown, prefix = '', out = new Map<string, number>()): Map<string, number> {
  if (out.size >= MAX_FIELDS) return out;
  if (typeof body === 'number' && Number.isFinite(body)) out.set(prefix || 'value', body);
  else if (typeof body === 'boolean') out.set(prefix || 'value', body ? 1 : 0);
  else if (body && typeof body === 'object' && !Array.isArray(body)) {
    for (const [k, v] of Object.entries(body)) {
      const key = `${prefix ? `${prefix}_` : ''}${k.replace(/[^a-zA-Z0-9_]/g, '_')}`;
      numericFields(v, key, out);
      if (out.size >= MAX_FIELDS) break;
    }
  }
  return out;
}

export class ScrapeSource {
  private readonly families = new Map<string, ScrapedFamily[]>();
  private timer: NodeJS.Timeout | null = null;
  private readonly up: Gauge<'target'>;
  private readonly duration: Gauge<'target'>;
  private readonly values: Gauge<'target' | 'field'>;
  private readonly failures: Counter<'target' | 'reason'>;
  private running: Promise<void> | null = null;

  constructor(
    private readonly config: ScrapeConfig,
    registry: Registry,
    private readonly reserved: (name: string) => boolean,
  ) {
    const registers = [registry];
    this.up = new Gauge({
      name: 'scrape_target_up',
      help: 'Whether the last scrape of the target succeeded.',
      labelNames: ['target'],
      registers,
    });
    this.duration = new Gauge({
      name: 'scrape_target_duration_seconds',
      help: 'How long the last scrape of the target took.',
      labelNames: ['target'],
      registers,
    });
    this.values = new Gauge({
      name: 'scrape_target_value',
      help: "A custom target's JSON numbers, by field path.",
      labelNames: ['target', 'field'],
      registers,
    });
    this.failures = new Counter({
      name: 'scrape_target_failures_total',
      help: 'Failed scrapes by target and reason; reason parse counts each line dropped from a scrape (one with no good line is down).',
      labelNames: ['target', 'reason'],
      registers,
    });
  }

  start(): void {
    if (this.config.targets.length === 0) return;
    this.running = this.scrapeAll();
    this.timer = setInterval(() => {
      this.running = this.scrapeAll();
    }, this.config.intervalMs);
    this.timer.unref();
  }

  /** Every target once, each on its own; resolves when all are done (tests). */
  scrapeAll(): Promise<void> {
    return Promise.all(this.config.targets.map((t) => this.scrape(t))).then(() => {});
  }

  private async scrape(target: ScrapeTarget): Promise<void> {
    const started = performance.now();
    const labels = { target: target.name };
    try {
      const body = await this.fetchBody(target.url);
      if (target.type === 'prometheus') {
        const { families, dropped } = parsePromText(body, MAX_SAMPLES);
        // Each line that failed a check is dropped and counted; a scrape with nothing good is down.
        if (dropped > 0) this.failures.inc({ ...labels, reason: 'parse' }, dropped);
        if (families.length === 0 && dropped > 0) {
          this.up.set(labels, 0);
          this.families.delete(target.name);
          return;
        }
        this.families.set(target.name, families);
      } else {
        let json: unknown = null;
        try {
          json = JSON.parse(body);
        } catch {
          if (target.type === 'custom') throw new ScrapeError('parse', 'the body is not JSON');
        }
        const status = (json as { status?: unknown } | null)?.status;
        if (target.type === 'health' && typeof status === 'string' && !HEALTHY.test(status)) {
          throw new ScrapeError('http_status', `status "${status}"`);
        }
        if (target.type === 'custom') {
          for (const [field, value] of numericFields(json)) this.values.set({ ...labels, field }, value);
        }
      }
      this.up.set(labels, 1);
    } catch (error) {
      this.up.set(labels, 0);
      // A target that fails shows nothing stale: its series go until it answers again.
      this.families.delete(target.name);
      const reason: ScrapeFailure =
        error instanceof ScrapeError
          ? error.reason
          : error instanceof ParseError
            ? 'parse'
            : (error as Error).name === 'TimeoutError'
              ? 'timeout'
              : 'connection';
      this.failures.inc({ ...labels, reason });
    } finally {
      this.duration.set(labels, (performance.now() - started) / 1000);
    }
  }

  private async fetchBody(url: string): Promise<string> {
    const res = await fetch(url, { signal: AbortSignal.timeout(this.config.timeoutMs) });
    if (!res.ok) {
      await res.body?.cancel();
      throw new ScrapeError('http_status', `HTTP ${res.status}`);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = res.body?.getReader();
    for (;;) {
      const next = await reader?.read();
      if (!next || next.done) break;
      size += next.value.length;
      if (size > this.config.maxBodyBytes) {
        await reader?.cancel();
        throw new ScrapeError('body_too_large', `more than ${this.config.maxBodyBytes} bytes`);
      }
      chunks.push(next.value);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  /** The re-exported series of every prometheus target, for /metrics. */
  exposition(): string {
    return renderScraped(this.families, this.reserved, (target) =>
      this.failures.inc({ target, reason: 'name_conflict' }),
    );
  }

  /** New targets and interval (a reload): targets gone lose their series and metrics at once. */
  reconfigure(next: Pick<ScrapeConfig, 'targets' | 'intervalMs'>): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const target of this.config.targets) {
      if (next.targets.some((t) => t.name === target.name)) continue;
      this.families.delete(target.name);
      for (const metric of [this.up, this.duration]) metric.remove({ target: target.name });
    }
    this.config.targets = next.targets;
    this.config.intervalMs = next.intervalMs;
    this.start();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => {});
  }
}

class ScrapeError extends Error {
  constructor(
    readonly reason: ScrapeFailure,
    message: string,
  ) {
    super(message);
  }
}
