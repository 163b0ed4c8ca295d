// Sends alerts to Alertmanager as Prometheus does: POST /api/v2/alerts to every --alertmanager-url,
// in batches of at most 64 from a queue of at most 10,000 alerts (the oldest dropped past that,
// counted), with a timeout and no retry (a firing alert is sent again every minute anyway, and a
// resolve carries its endsAt). Routing, grouping, silences and receivers stay Alertmanager's.
// Never awaited by the rule engine or by ingestion.

import type { PostableAlert } from './rule-engine.js';
import { type NotificationResult, postJson } from './webhook-notifier.js';

export const AM_QUEUE_CAPACITY = 10_000;
export const AM_BATCH = 64;
export const AM_TIMEOUT_MS = 10_000;

/** An Alertmanager's alerts endpoint from its URL: `http://am:9093` → `http://am:9093/api/v2/alerts`. */
export function alertsEndpoint(url: string): string {
  const base = url.replace(/\/+$/, '');
  return base.endsWith('/api/v2/alerts') ? base : `${base}/api/v2/alerts`;
}

export class AlertmanagerNotifier {
  private readonly queue: PostableAlert[] = [];
  private sending = false;
  private stopped = false;

  constructor(
    private readonly urls: readonly string[],
    /** Per alert and Alertmanager: sent or failed; per alert dropped from the queue. */
    private readonly onResult: (result: NotificationResult, n: number) => void,
    private readonly onError: (error: Error) => void = () => {},
    private readonly timeoutMs = AM_TIMEOUT_MS,
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  send(alerts: readonly PostableAlert[]): void {
    if (this.urls.length === 0 || this.stopped) return;
    this.queue.push(...alerts);
    const over = this.queue.length - AM_QUEUE_CAPACITY;
    if (over > 0) {
      this.queue.splice(0, over);
      this.onResult('dropped', over);
    }
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.queue.length > 0 && !this.stopped) {
        const batch = this.queue.splice(0, AM_BATCH);
        await Promise.all(
          this.urls.map(async (url) => {
            const why = await postJson(alertsEndpoint(url), batch, {}, this.timeoutMs);
            this.onResult(why === null ? 'sent' : 'failed', batch.length);
            if (why !== null) this.onError(new Error(`Alertmanager ${url}: ${why}`));
          }),
        );
      }
    } finally {
      this.sending = false;
    }
  }

  stop(): void {
    this.stopped = true;
  }
}
