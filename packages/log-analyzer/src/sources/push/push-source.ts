// The push source: owns the push log, the API keys and the pushed families'
// expiry, and hands the HTTP edge (routes.ts) what it needs. A push is decoded, logged and
// fsynced (durable acks), handed to its sink (the store: the acknowledgement), then answered. Its
// position in a checkpoint is the last push-log record applied.

import type { Env, Hono } from 'hono';
import type { RejectReason } from '../../metrics/catalog.js';
import type { DecodedBatch, Rejection, Taken, TimedBatch } from '../../store/push-batch.js';
import { countByReason, type PushedFamilies, type PushOptions } from '../../store/pushed-families.js';
import { decodeOtlp, otlpBody } from '../../transforms/otlp/decode.js';
import type { DecodePool } from '../../transforms/pool/decode-pool.js';
import { type BatchContext, decodeBatch } from '../../transforms/push/batch.js';
import type { DecodeLimits, TenantScope } from '../../transforms/push/decode.js';
import { decodeRemoteWrite } from '../../transforms/remote-write/batch.js';
import type { Checkpointed, RestorePosition, SyncSink } from '../source.js';
import { ANY_TENANT, type ApiKey, ApiKeys, type KeyMatch, mayWrite } from './api-keys.js';
import { otlpRoutes } from './otlp-routes.js';
import { PushLog } from './push-log.js';
import { remoteWriteBody, remoteWriteRoutes } from './remote-write-routes.js';
import { pushRoutes } from './routes.js';

export interface PushConfig extends PushOptions, DecodeLimits {
  enabled: boolean;
  maxBodyBytes: number;
  /** A port that serves POST /v1/metrics alone (OTLP/HTTP's usual 4318), or null. */
  otlpPort: number | null;
  /** Writes need one of these keys when any is set; a key's tenant labels and caps its series. */
  apiKeys: ApiKey[];
  /** /metrics needs a key too. */
  metricsAuth: boolean;
  /**
   * When a push is answered: `durable` once it is in the push log (fsynced) and applied (kill -9
   * then loses nothing that was answered 200), `merged` as soon as the store has it (faster; a
   * crash loses what came after the last checkpoint).
   */
  ack: 'durable' | 'merged';
}

/** What a checkpoint keeps of the push source: the last push-log record its counts include (0: none). */
export interface PushPosition {
  applied: number;
}

/** The saved push position, or null when there is none or it is not one this source wrote. */
export const restorePushPosition: RestorePosition<PushPosition> = (saved) => {
  if (typeof saved !== 'object' || saved === null || !('applied' in saved)) return null;
  const { applied } = saved;
  return typeof applied === 'number' && Number.isSafeInteger(applied) && applied >= 0 ? { applied } : null;
};

export interface PushSourceOptions {
  config: PushConfig;
  /** Applies a push to the store (and counts the store's refusals). */
  sink: SyncSink<TimedBatch, Taken>;
  /** The pushed families: refusals before the store, expiry and the stats answer. */
  pushed: PushedFamilies;
  /** The decode threads (shared with the queue source). */
  decodePool: DecodePool;
  /** The checkpoint file (the push log sits beside it); null: no log. */
  checkpointFile: string | null;
  /** The position the checkpoint found at start holds (null: none, every record is new). */
  restored: PushPosition | null;
  onSamples(result: 'accepted' | 'rejected', reason: RejectReason | null, n: number): void;
  onAnswered(status: number): void;
  onExpired(n: number): void;
  onError(subject: string, error: unknown): void;
}

export class PushSource implements Checkpointed<PushPosition> {
  readonly name = 'push';
  readonly restored: PushPosition | null;
  private readonly log: PushLog | null;
  /** The keys that may push (null: pushes need none); every key, for reads. */
  private keys: ApiKeys | null;
  private allKeys: ApiKeys | null;
  private readonly expiryTimer: NodeJS.Timeout;
  /** The last push-log record applied: this source's position in a checkpoint. */
  private applied: number;

  constructor(private readonly options: PushSourceOptions) {
    const { config } = options;
    this.restored = options.restored;
    this.applied = options.restored?.applied ?? 0;
    this.keys = writeKeys(config.apiKeys);
    this.allKeys = config.apiKeys.length > 0 ? new ApiKeys(config.apiKeys) : null;
    const opened =
      config.enabled && config.ack === 'durable' && options.checkpointFile
        ? PushLog.open(`${options.checkpointFile}.push-log`, this.applied)
        : null;
    this.log = opened?.log ?? null;
    for (const where of opened?.damaged ?? []) {
      // Not a crash's torn tail: the file was damaged after its records were acknowledged.
      options.onError(
        'push log',
        new Error(`damaged segment ${where}: its records before that were applied, those after it are lost`),
      );
    }
    // What was logged after the checkpoint: applied again, in order, at the time it came.
    for (const record of opened?.replay ?? []) {
      const rw = remoteWriteBody(record.body);
      const context = this.context(record.tenant);
      const ot = rw ? null : otlpBody(record.body);
      const batch = rw
        ? decodeRemoteWrite(rw, context)
        : ot
          ? decodeOtlp(ot.body, ot.encoding, context)
          : decodeBatch(record.body, context);
      // The decoder's refusals are not counted again (the store's own are, as when it came).
      if (!('error' in batch)) options.sink.apply({ batch: { ...batch, rejected: [] }, at: record.at });
      this.applied = record.seq;
    }
    this.expiryTimer = setInterval(
      () => {
        const dropped = options.pushed.expire(Date.now());
        if (dropped > 0) options.onExpired(dropped);
      },
      Math.min(10_000, Math.max(100, (config.ttlMs ?? 10_000) / 4)),
    );
    this.expiryTimer.unref();
  }

  private context(tenant: TenantScope): BatchContext {
    const { config } = this.options;
    return { limits: config, namespace: config.namespace, prefix: config.prefix, tenant };
  }

  /** Called in the checkpoint's synchronous section: what it includes of the log. */
  position(): PushPosition {
    this.log?.rotate();
    return { applied: this.applied };
  }

  /** Moves with every record applied (even one the store refused whole). */
  get positionVersion(): number {
    return this.applied;
  }

  /**
   * A checkpoint is durable: the log records that the oldest generation kept includes can go
   * (a start falling back to `<file>.prev` applies the rest again).
   */
  durable(_newest: PushPosition, oldestKept: PushPosition | null): void {
    if (oldestKept) this.log?.release(oldestKept.applied);
  }

  /** New keys (a reload): pushes are checked against them from the next request on. */
  setApiKeys(keys: ApiKey[]): void {
    this.options.config.apiKeys = keys;
    this.keys = writeKeys(keys);
    this.allKeys = keys.length > 0 ? new ApiKeys(keys) : null;
  }

  /** The write keys of now (null: none needed), for the Pushgateway routes. */
  currentKeys(): ApiKeys | null {
    return this.keys;
  }

  /** Reads with --metrics-auth: the presented key's tenant, or undefined when it matches none. */
  readAuth(): ((key: string | null) => KeyMatch | undefined) | undefined {
    if (!this.options.config.metricsAuth) return undefined;
    // The keys of now (a reload may change them, never to none: config/reload.ts refuses that).
    // A `KEY:*` key (writes any tenant) reads every tenant, as a key without one does.
    return (key) => {
      const found = this.allKeys?.check(key);
      return found && { tenant: found.tenant === ANY_TENANT ? null : found.tenant, role: found.role };
    };
  }

  /** What the HTTP edge needs; undefined when pushing is off. */
  /** The push endpoints, to mount on the HTTP app; undefined when push is off. */
  routes<E extends Env>(): Hono<E> | undefined {
    const { config } = this.options;
    if (!config.enabled) return undefined;
    const onRefused = (reason: RejectReason | 'unauthorized', n: number) => {
      if (reason === 'unauthorized') return;
      this.options.pushed.reject(reason, n);
      this.options.onSamples('rejected', reason, n);
    };
    const app = pushRoutes<E>({
      maxBodyBytes: config.maxBodyBytes,
      keys: () => this.keys,
      decode: (bytes, tenant) => this.options.decodePool.decode(bytes, this.context(tenant)),
      ingest: (batch, bytes, tenant) => this.ingest(batch, bytes, tenant),
      onRefused,
      onAnswered: this.options.onAnswered,
    });
    app.route('/', this.otlpRoutes<E>());
    // Remote-write: decoded here (a pure function, ~1 ms for 2,000 samples), logged as a marked record.
    return app.route(
      '/',
      remoteWriteRoutes<E>({
        maxBodyBytes: config.maxBodyBytes,
        keys: () => this.keys,
        decode: (body, tenant) => decodeRemoteWrite(body, this.context(tenant)),
        ingest: (batch, record, tenant) => this.ingest(batch, record, tenant),
        onRefused,
        onAnswered: this.options.onAnswered,
      }),
    );
  }

  /** OTLP/HTTP metrics (also served alone on --otlp-port): decoded here, logged as a marked record. */
  otlpRoutes<E extends Env>(): Hono<E> {
    const { config } = this.options;
    return otlpRoutes<E>({
      maxBodyBytes: config.maxBodyBytes,
      keys: () => this.keys,
      decode: (body, encoding, tenant) => decodeOtlp(body, encoding, this.context(tenant)),
      ingest: (batch, record, tenant) => this.ingest(batch, record, tenant),
      onRefused: (reason, n) => {
        if (reason === 'unauthorized') return;
        this.options.pushed.reject(reason, n);
        this.options.onSamples('rejected', reason, n);
      },
      onAnswered: this.options.onAnswered,
    });
  }

  /** Applies a decoded push and counts every refusal; resolves once acknowledged (durably, by default). */
  private async ingest(
    batch: DecodedBatch,
    bytes: Uint8Array,
    tenant: TenantScope,
  ): Promise<Rejection[] | { unavailable: string }> {
    // The time the log records is the time it is applied at, so a replay decides the same (the
    // timestamp bound is relative to it).
    const at = Date.now();
    // Without a checkpoint file nothing is durable: a push is answered once the store has it.
    if (this.log && batch.values.length > 0) {
      try {
        // Resolved in append order and applied right away: batches are applied in the log's order.
        // That order is the ordered acknowledgement (no InOrder needed): the log's group commit
        // resolves appends in the order they were made, and nothing is awaited between the
        // resolution and the apply below.
        this.applied = await this.log.append(bytes, tenant, at);
      } catch (error) {
        this.options.onError('push log', error);
        return { unavailable: 'cannot write the push log' };
      }
    }
    const { accepted, rejected } = this.options.sink.apply({ batch, at });
    for (const [reason, n] of countByReason(rejected)) this.options.onSamples('rejected', reason, n);
    if (accepted > 0) this.options.onSamples('accepted', null, accepted);
    return rejected;
  }

  /** GET /metrics/stats without its exporter part: what was pushed, and what the store holds of it. */
  stats() {
    const { pushed } = this.options;
    const dropped = [...pushed.stats.rejected.values()].reduce((a, b) => a + b, 0);
    const byType: Record<string, number> = { counter: 0, gauge: 0, histogram: 0, summary: 0 };
    let families = 0;
    for (const family of pushed.families()) {
      families++;
      byType[family.spec.kind] = (byType[family.spec.kind] ?? 0) + family.series.size;
    }
    return {
      collector: {
        total_points: pushed.stats.accepted + dropped,
        accepted_points: pushed.stats.accepted,
        total_series: pushed.seriesCount,
        dropped_points: dropped,
        dropped_by_reason: Object.fromEntries(pushed.stats.rejected),
      },
      aggregator: {
        families,
        series_by_type: byType,
        expired_series: pushed.stats.expired,
        cumulative_resets: pushed.stats.resets,
      },
    };
  }

  async close(): Promise<void> {
    clearInterval(this.expiryTimer);
    this.log?.close();
  }
}

/** The keys that may push; with any key set, never null (a set of read keys alone does not open pushing). */
function writeKeys(keys: readonly ApiKey[]): ApiKeys | null {
  return keys.length > 0 ? new ApiKeys(keys.filter(mayWrite)) : null;
}
