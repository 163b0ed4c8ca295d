// /health's `dependencies`: each source ok, or degraded with why. A stage with an error in the
// last minute is degraded; a queue is also degraded while Redis is away or after it had to stop.

import type { Stage } from '../metrics/catalog.js';

export type Health = { status: 'ok' } | { status: 'degraded'; reason: string };

export interface HealthInputs {
  lastError: ReadonlyMap<Stage, { at: number; message: string }>;
  push: boolean;
  queue: { up: boolean; halted: string | null; url: string } | null;
  now: number;
}

export function dependencies({ lastError, push, queue, now }: HealthInputs): Record<string, Health> {
  const health = (...stages: Stage[]): Health => {
    const recent = stages.map((s) => lastError.get(s)).find((e) => e && now - e.at < 60_000);
    return recent ? { status: 'degraded', reason: recent.message } : { status: 'ok' };
  };
  const out: Record<string, Health> = { files: health('watch', 'read', 'parse'), checkpoint: health('checkpoint') };
  if (push) out.push = health('push');
  if (queue) {
    out.queue = queue.halted
      ? { status: 'degraded', reason: queue.halted }
      : queue.up
        ? health('queue')
        : { status: 'degraded', reason: `redis ${queue.url} is not reachable` };
  }
  return out;
}
