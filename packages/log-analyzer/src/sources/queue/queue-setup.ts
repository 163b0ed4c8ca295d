// A queue source as the analyzer configures it: its consumer id (the checkpoint's, when it has
// one), the batch it resumes after, its lease owner, and its self metrics.

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Registry } from 'prom-client';
import type { Taken, TimedBatch } from '../../store/push-batch.js';
import type { DecodePool } from '../../transforms/pool/decode-pool.js';
import type { PushConfig } from '../push/push-source.js';
import type { SyncSink } from '../source.js';
import { createQueueMetrics } from './queue-metrics.js';
import { chooseConsumer, restoreQueuePosition } from './queue-plan.js';
import { type QueueConfig, QueueSource } from './queue-source.js';

export interface QueueSetup {
  /** allowTenantId: messages may set tenant_id (else a message naming a tenant is refused). */
  queue: Omit<QueueConfig, 'consumer'> & { consumer: string | null; allowTenantId: boolean };
  /** What the checkpoint saved of the queue, if anything (read back here, at the edge). */
  saved: unknown;
  checkpointFile: string | null;
  push: PushConfig;
  /** Applies a batch to the store. */
  sink: SyncSink<TimedBatch, Taken>;
  decodePool: DecodePool;
  registry: Registry;
  onError(subject: string, error: unknown): void;
  /** A batch is applied, `seconds` after it was claimed (its span, when tracing is on). */
  onBatch?(seconds: number): void;
}

export function setUpQueue(setup: QueueSetup): QueueSource {
  const { push } = setup;
  const saved = restoreQueuePosition(setup.saved);
  const consumer = chooseConsumer(
    setup.queue.consumer ?? null,
    saved ?? undefined,
    hostname(),
    randomBytes(3).toString('hex'),
  );
  const source = new QueueSource({
    config: { ...setup.queue, consumer },
    sink: setup.sink,
    context: {
      limits: push,
      namespace: push.namespace,
      prefix: push.prefix,
      // Anyone who can LPUSH is a sender: naming a tenant is for queues an operator declares trusted.
      tenant: setup.queue.allowTenantId ? null : '',
    },
    decode: (bytes, count, context) => setup.decodePool.decodeJoined(bytes, count, context),
    // Another consumer's position says nothing about this one's lists.
    restored: saved?.consumer === consumer ? saved : null,
    checkpointed: setup.checkpointFile !== null,
    // A restart of this process (same host, same checkpoint) holds the same lease.
    owner: `${hostname()}:${setup.checkpointFile ? resolve(setup.checkpointFile) : `pid ${process.pid}`}`,
    onMessages: (result, reason, n) => metrics.messages.inc(reason ? { result, reason } : { result }, n),
    onDeadLetters: (n) => metrics.deadLetters.inc(n),
    onBatch: (seconds) => {
      metrics.batchDuration.observe(seconds);
      setup.onBatch?.(seconds);
    },
    onTakenOver: (n) => metrics.takenOver.inc(n),
    onError: setup.onError,
  });
  const metrics = createQueueMetrics(setup.registry, () => source);
  return source;
}
