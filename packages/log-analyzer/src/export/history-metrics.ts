// The history's and the live page's self metrics.

import { Counter, Gauge, type Registry } from 'prom-client';
import type { History } from '../history/history.js';
import type { HistorySaver } from '../history/history-saver.js';
import type { LiveFeed } from './live-feed.js';

export function createHistoryMetrics(
  registry: Registry,
  history: History,
  feed: LiveFeed,
  saver: HistorySaver | null = null,
): void {
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
  let saves = 0;
  new Counter({
    name: 'log_analyzer_history_saves_total',
    help: 'History files written beside the checkpoint (fsynced), every --history-save-interval and at stop.',
    registers,
    collect() {
      this.inc((saver?.saves ?? 0) - saves);
      saves = saver?.saves ?? 0;
    },
  });
  new Gauge({
    name: 'log_analyzer_history_file_bytes',
    help: 'Size of the last history file written.',
    registers,
    collect() {
      this.set(saver?.lastBytes ?? 0);
    },
  });
  new Gauge({
    name: 'log_analyzer_history_restored_series',
    help: 'Series whose history was read back from the history file at start.',
    registers,
    collect() {
      this.set(saver?.restored ?? 0);
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
