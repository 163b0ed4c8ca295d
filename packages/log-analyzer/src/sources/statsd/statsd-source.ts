// The StatsD source: owns a UDP socket and a TCP listener on --statsd-port and the TCP connections.
// Lines read are batched (transforms/statsd) and applied through the push sink: everything read
// within FLUSH_MS, or FLUSH_SAMPLES samples, is one batch. It keeps no position: UDP is
// at-most-once, and what was applied is in the store, checkpointed with every pushed series.
//
//   printf 'api.requests:1|c|#route:/users\napi.latency:320|ms\n' | nc -u -w0 localhost 9125

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIPv6, type Server, type Socket } from 'node:net';
import type { StatsdReason } from '../../metrics/catalog.js';
import type { Taken, TimedBatch } from '../../store/push-batch.js';
import { countByReason } from '../../store/pushed-families.js';
import type { Mapping } from '../../transforms/statsd/mapping.js';
import { StatsdBatcher, type StatsdLimits } from '../../transforms/statsd/statsd-batch.js';
import type { SyncSink } from '../source.js';
import type { StatsdMetrics } from './statsd-metrics.js';
import { udpDropsReader } from './udp-drops.js';

export interface StatsdConfig {
  /** UDP and TCP port; null: off. */
  port: number | null;
  /** The mapping file (statsd_exporter's glob subset); null: names as sent, escaped. */
  mappingFile: string | null;
}

/** Lines read within this long go in one batch. */
const FLUSH_MS = 10;
/** …or once this many samples wait (bounds memory, whatever the rate). */
const FLUSH_SAMPLES = 50_000;
/** The UDP receive buffer asked for; the kernel grants at most net.core.rmem_max (×2). */
const UDP_BUFFER_BYTES = 32 * 1024 * 1024;
/** A longer TCP line is refused (statsd_line_too_long) and skipped to its newline. */
export const MAX_TCP_LINE_BYTES = 64 * 1024;
/** TCP connections open at once; one more is closed as it comes (counted). */
export const MAX_TCP_CONNECTIONS = 1024;

export interface StatsdSourceOptions {
  port: number;
  mapping: Mapping | null;
  /** The push limits (labels per series, label and series bytes): a reload changes them for names not seen yet (a verdict is cached). */
  limits: StatsdLimits;
  sink: SyncSink<TimedBatch, Taken>;
  gaugeValue(name: string, key: string): number | undefined;
  metrics: (state: { udpDrops(): number | null; udpBufferBytes(): number; tcpConnections(): number }) => StatsdMetrics;
  onError(subject: string, error: unknown): void;
  /** TCP connections open at once (default MAX_TCP_CONNECTIONS). */
  maxConnections?: number;
}

/** One TCP connection's unfinished line: its bytes, or that it is past the limit and skipped. */
interface Unfinished {
  bytes: Buffer | null;
  skipping: boolean;
}

export class StatsdSource {
  private readonly batcher: StatsdBatcher;
  private readonly metrics: StatsdMetrics;
  private udp: UdpSocket | null = null;
  private tcp: Server | null = null;
  private readonly connections = new Set<Socket>();
  private timer: NodeJS.Timeout | null = null;
  private drops: () => number | null = () => null;
  /** Lines read since the last flush, by transport (counted at the flush: no label lookup per datagram). */
  private readonly read = { udp: 0, tcp: 0 };
  private udpBuffer = 0;

  constructor(private readonly options: StatsdSourceOptions) {
    this.batcher = new StatsdBatcher({
      mapping: options.mapping,
      limits: options.limits,
      gaugeValue: options.gaugeValue,
    });
    this.metrics = options.metrics({
      udpDrops: () => this.drops(),
      udpBufferBytes: () => this.udpBuffer,
      tcpConnections: () => this.connections.size,
    });
  }

  /** Binds the UDP socket and the TCP listener on `host` (where HTTP listens); rejects when a port is taken. */
  async start(host: string): Promise<void> {
    try {
      await this.bind(host);
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      throw new Error(
        `--statsd-port ${this.options.port}: ${e.code === 'EADDRINUSE' ? 'the port is in use' : e.message}`,
      );
    }
  }

  private async bind(host: string): Promise<void> {
    const { port } = this.options;
    const udp = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', recvBufferSize: UDP_BUFFER_BYTES });
    this.udp = udp;
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    udp.on('error', (error) => this.options.onError('UDP socket', error));
    udp.on('message', (packet) => this.lines('udp', packet));
    this.udpBuffer = udp.getRecvBufferSize();
    this.drops = udpDropsReader(udp.address().port);
    const tcp = createServer((socket) => this.accept(socket));
    this.tcp = tcp;
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(udp.address().port, host, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
    tcp.on('error', (error) => this.options.onError('TCP listener', error));
  }

  /** The bound port (the UDP and TCP one). */
  get port(): number {
    return this.udp?.address().port ?? 0;
  }

  private lines(transport: 'udp' | 'tcp', bytes: Buffer): void {
    this.read[transport] += this.batcher.addLines(bytes);
    if (this.batcher.pending >= FLUSH_SAMPLES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  private refuse(transport: 'udp' | 'tcp', reason: StatsdReason): void {
    this.read[transport]++;
    this.batcher.refuse(reason);
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** Applies what waits, and counts what the store made of it. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const { batch, counts } = this.batcher.take();
    for (const transport of ['udp', 'tcp'] as const) {
      if (this.read[transport] > 0) this.metrics.lines.inc({ transport }, this.read[transport]);
      this.read[transport] = 0;
    }
    const { samples } = this.metrics;
    for (const [reason, n] of counts.refused) samples.inc({ result: 'rejected', reason }, n);
    if (counts.dropped > 0) samples.inc({ result: 'dropped', reason: 'mapping' }, counts.dropped);
    if (counts.tagErrors > 0) this.metrics.tagErrors.inc(counts.tagErrors);
    if (!batch) return;
    const { accepted, rejected } = this.options.sink.apply({ batch, at: Date.now() });
    for (const [reason, n] of countByReason(rejected)) samples.inc({ result: 'rejected', reason }, n);
    if (accepted > 0) samples.inc({ result: 'accepted' }, accepted);
  }

  /** A TCP connection: newline-delimited lines, read as they come, a last one without newline at its end. */
  private accept(socket: Socket): void {
    if (this.connections.size >= (this.options.maxConnections ?? MAX_TCP_CONNECTIONS)) {
      this.metrics.tcpRefused.inc();
      socket.destroy();
      return;
    }
    this.connections.add(socket);
    const partial: Unfinished = { bytes: null, skipping: false };
    socket.on('data', (chunk: Buffer) => this.chunk(partial, chunk));
    socket.on('end', () => {
      // The sender closed its side: a last line without a newline is a line (as statsd_exporter reads it).
      if (partial.bytes && !partial.skipping) this.lines('tcp', partial.bytes);
      partial.bytes = null;
      socket.end();
    });
    socket.on('error', () => {
      // A reset: a line cut short cannot be trusted (its value or tags may be cut), so it is refused.
      if (partial.bytes && !partial.skipping) this.refuse('tcp', 'statsd_malformed_line');
      partial.bytes = null;
    });
    socket.on('close', () => this.connections.delete(socket));
  }

  private chunk(partial: Unfinished, chunk: Buffer): void {
    let from = 0;
    if (partial.skipping) {
      const end = chunk.indexOf(10);
      if (end < 0) return;
      partial.skipping = false;
      from = end + 1;
    }
    const last = chunk.lastIndexOf(10);
    if (last >= from) {
      const whole = chunk.subarray(from, last + 1);
      const lines = partial.bytes ? Buffer.concat([partial.bytes, whole]) : whole;
      partial.bytes = null;
      this.linesWithin('tcp', lines);
      from = last + 1;
    }
    const rest = chunk.subarray(from);
    if (rest.length === 0) return;
    const held = (partial.bytes?.length ?? 0) + rest.length;
    if (held > MAX_TCP_LINE_BYTES) {
      this.refuse('tcp', 'statsd_line_too_long');
      partial.bytes = null;
      partial.skipping = true;
      return;
    }
    // A copy: the chunk's memory may be a pooled slab.
    partial.bytes = partial.bytes ? Buffer.concat([partial.bytes, rest]) : Buffer.from(rest);
  }

  /** Whole lines (each ends in a newline): those longer than the limit are refused, one count each. */
  private linesWithin(transport: 'tcp', bytes: Buffer): void {
    let from = 0;
    let start = 0;
    while (from < bytes.length) {
      const end = bytes.indexOf(10, from);
      if (end < 0) break;
      if (end - from > MAX_TCP_LINE_BYTES) {
        if (from > start) this.lines(transport, bytes.subarray(start, from));
        this.refuse(transport, 'statsd_line_too_long');
        start = end + 1;
      }
      from = end + 1;
    }
    if (start < bytes.length) this.lines(transport, bytes.subarray(start));
  }

  async close(): Promise<void> {
    const udp = this.udp;
    const tcp = this.tcp;
    for (const socket of this.connections) socket.destroy();
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (tcp) await new Promise<void>((resolve) => tcp.close(() => resolve()));
    this.flush();
  }
}
