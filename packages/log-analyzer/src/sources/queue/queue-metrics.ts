// The queue source's self metrics (registered only when a queue is configured).

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface QueueState {
  up: boolean;
  depth: number;
  processing: number;
  inFlight: number;
}

export interface QueueMetrics {
  messages: Counter<'result' | 'reason'>;
  deadLetters: Counter;
  batchDuration: Histogram;
  takenOver: Counter;
}

export function createQueueMetrics(registry: Registry, state: () => QueueState): QueueMetrics {
  const registers = [registry];
  new Gauge({
    name: 'log_analyzer_redis_up',
    help: 'Whether the queue source is connected to Redis (1) or not (0).',
    registers,
    collect() {
      this.set(state().up ? 1 : 0);
    },
  });
  new Gauge({
    name: 'log_analyzer_redis_queue_messages',
    help: 'Messages waiting in the queue (LLEN, sampled every second).',
    registers,
    collect() {
      this.set(state().depth);
    },
  });
  new Gauge({
    name: 'log_analyzer_redis_processing_messages',
    help: 'Messages claimed into processing lists and not yet deleted (applied, waiting for the checkpoint).',
    registers,
    collect() {
      this.set(state().processing);
    },
  });
  new Gauge({
    name: 'log_analyzer_redis_batches_in_flight',
    help: 'Batches claimed and not yet applied (decoding, or waiting for their turn): at most --redis-workers + 1.',
    registers,
    collect() {
      this.set(state().inFlight);
    },
  });
  return {
    messages: new Counter({
      name: 'log_analyzer_redis_messages_total',
      help: 'Queue messages applied (accepted) or refused, by reason (refused ones go to the dead-letter list).',
      labelNames: ['result', 'reason'],
      registers,
    }),
    deadLetters: new Counter({
      name: 'log_analyzer_redis_dead_letters_total',
      help: 'Refused messages written to the dead-letter list (<key>:dead, bounded by --redis-dead-max).',
      registers,
    }),
    batchDuration: new Histogram({
      name: 'log_analyzer_redis_batch_duration_seconds',
      help: 'Time from claiming a batch of messages to having applied it.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    takenOver: new Counter({
      name: 'log_analyzer_redis_batches_taken_over_total',
      help: 'Processing lists taken over from consumers whose lease expired.',
      registers,
    }),
  };
}
