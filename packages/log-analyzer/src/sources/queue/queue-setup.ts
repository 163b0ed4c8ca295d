// A queue source as the analyzer configures it: its consumer id (the checkpoint's, when it has
// one), the batch it resumes after, its lease owner, and its self metrics.

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Registry } from 'prom-client';
import type { PushedFamilies } from '../../store/pushed-families.js';
import type { DecodePool } from '../../transforms/pool/decode-pool.js';
import type { PushConfig } from '../push/push-source.js';
import { createQueueMetrics } from './queue-metrics.js';
import { chooseConsumer } from './queue-plan.js';
import { type QueueConfig, type QueuePosition, QueueSource } from './queue-source.js';

export interface QueueSetup {
  /** allowTenantId: messages may set tenant_id (else a message naming a tenant is refused). */
  queue: Omit<QueueConfig, 'consumer'> & { consumer: string | null; allowTenantId: boolean };
  /** What the checkpoint saved of the queue, if anything. */
  saved: unknown;
  checkpointFile: string | null;
  push: PushConfig;
  pushed: PushedFamilies;
  decodePool: DecodePool;
  registry: Registry;
  onApplied(): void;
  onError(subject: string, error: unknown): void;
}

export function setUpQueue(setup: QueueSetup): QueueSource {
  const { push } = setup;
  const saved = setup.saved as Partial<QueuePosition> | undefined;
  const consumer = chooseConsumer(setup.queue.consumer ?? null, saved, hostname(), randomBytes(3).toString('hex'));
  const source = new QueueSource({
    config: { ...setup.queue, consumer },
    pushed: setup.pushed,
    context: {
      limits: push,
      namespace: push.namespace,
      prefix: push.prefix,
      // Anyone who can LPUSH is a sender: naming a tenant is for queues an operator declares trusted.
      tenant: setup.queue.allowTenantId ? null : '',
    },
    decode: (bytes, count, context) => setup.decodePool.decodeJoined(bytes, count, context),
    applied: saved?.consumer === consumer ? Number(saved.applied ?? 0) : 0,
    checkpointed: setup.checkpointFile !== null,
    // A restart of this process (same host, same checkpoint) holds the same lease.
    owner: `${hostname()}:${setup.checkpointFile ? resolve(setup.checkpointFile) : `pid ${process.pid}`}`,
    onApplied: setup.onApplied,
    onMessages: (result, reason, n) => metrics.messages.inc(reason ? { result, reason } : { result }, n),
    onDeadLetters: (n) => metrics.deadLetters.inc(n),
    onBatch: (seconds) => metrics.batchDuration.observe(seconds),
    onTakenOver: (n) => metrics.takenOver.inc(n),
    onError: setup.onError,
  });
  const metrics = createQueueMetrics(setup.registry, () => source);
  return source;
}
