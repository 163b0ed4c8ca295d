// The history's and the live page's self metrics.

import { Counter, Gauge, type Registry } from 'prom-client';
import type { History } from '../history/history.js';
import type { LiveFeed } from './live-feed.js';

export function createHistoryMetrics(registry: Registry, history: History, feed: LiveFeed): void {
  const registers = [registry];
  new Gauge({
    name: 'log_analyzer_history_series',
    help: 'Series whose short-term history is kept (bounded by --history-max-series).',
    registers,
    collect() {
      this.set(history.size);
    },
  });
  let counted = 0;
  new Counter({
    name: 'log_analyzer_history_series_dropped_total',
    help: 'Series pushed out of the history, least recently changed first, past --history-max-series.',
    registers,
    collect() {
      this.inc(history.dropped - counted);
      counted = history.dropped;
    },
  });
  new Gauge({
    name: 'log_analyzer_ui_clients',
    help: 'Live pages (/ui) connected over Server-Sent Events.',
    registers,
    collect() {
      this.set(feed.clients);
    },
  });
}
