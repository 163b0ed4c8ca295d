// The StatsD source's self metrics (registered only when --statsd-port is set); names and help
// texts are catalog.ts's STATSD_METRICS. Socket state is read at scrape time.

import { Counter, Gauge, type Registry } from 'prom-client';
import { STATSD_METRICS } from '../../metrics/catalog.js';

export interface StatsdState {
  /** Datagrams the kernel dropped so far (null: not known here). */
  udpDrops(): number | null;
  udpBufferBytes(): number;
  tcpConnections(): number;
}

export interface StatsdMetrics {
  lines: Counter<'transport'>;
  samples: Counter<'result' | 'reason'>;
  tagErrors: Counter;
  tcpRefused: Counter;
}

export function createStatsdMetrics(registry: Registry, state: StatsdState): StatsdMetrics {
  const registers = [registry];
  const m = STATSD_METRICS;
  new Counter({
    ...m.udpDrops,
    registers,
    collect() {
      // The kernel's own running count: shown as it is (it only grows while the socket lives).
      this.reset();
      this.inc(state.udpDrops() ?? 0);
    },
  });
  new Gauge({
    ...m.udpBuffer,
    registers,
    collect() {
      this.set(state.udpBufferBytes());
    },
  });
  new Gauge({
    ...m.tcpConnections,
    registers,
    collect() {
      this.set(state.tcpConnections());
    },
  });
  return {
    lines: new Counter({ ...m.lines, labelNames: ['transport'], registers }),
    samples: new Counter({ ...m.samples, labelNames: ['result', 'reason'], registers }),
    tagErrors: new Counter({ ...m.tagErrors, registers }),
    tcpRefused: new Counter({ ...m.tcpRefused, registers }),
  };
}
