// Keeps this consumer's lease on its own timer (every third of the lease), whatever the drain is
// doing, and fences applying: a batch is applied only while the lease certainly still holds
// (leaseAllowsApply). A renewal that fails leaves the lease to run out, and applying waits; a
// renewal that finds our lists taken over ends the lease for good (the caller stops and says so).

import { leaseAllowsApply } from './queue-plan.js';
import type { LeaseRenewal } from './redis-queue.js';

/** The clock (ms) and a repeating timer, injected so tests can drive them. */
export interface LeaseClock {
  now(): number;
  every(ms: number, tick: () => void): () => void;
}

export const REAL_CLOCK: LeaseClock = {
  now: Date.now,
  every(ms, tick) {
    const timer = setInterval(tick, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
};

export class LeaseKeeper {
  /** On our clock: the lease holds at least until then (0: not held). */
  validUntil = 0;
  /** Why the lease is gone for good (taken over, another owner); null while it is ours. */
  lost: string | null = null;
  /** Successful renewals (tests wait on it). */
  renewals = 0;
  private renewing: Promise<void> | null = null;
  /** Whether hold() succeeded once: until then the timer does nothing (a fresh start must forget an old take-over note first). */
  private held = false;
  private stopTimer: (() => void) | null = null;
  private readonly waiting = new Set<() => void>();

  constructor(
    private readonly renew: (fresh: boolean) => Promise<LeaseRenewal>,
    private readonly leaseMs: number,
    private readonly clock: LeaseClock,
    private readonly onLost: (why: string) => void,
  ) {}

  /** Takes or renews the lease now; throws when another owner holds it on a fresh start. */
  async hold(fresh: boolean): Promise<void> {
    const sent = this.clock.now();
    const renewal = await this.renew(fresh);
    if (renewal.result === 'held_by_other' && fresh) throw new Error(`in use by ${renewal.by}`);
    this.held = true;
    this.settle(renewal, sent);
  }

  /** Starts renewing on the timer (until stop()). */
  start(): void {
    this.stopTimer ??= this.clock.every(this.leaseMs / 3, () => {
      this.tick();
    });
  }

  /** One renewal, unless one is still under way (a slow Redis never stacks them up). */
  tick(): Promise<void> {
    if (this.lost !== null || !this.held) return Promise.resolve();
    this.renewing ??= (async () => {
      const sent = this.clock.now();
      try {
        this.settle(await this.renew(false), sent);
      } catch {
        // Redis away: the lease runs out unless a later renewal gets through; applying waits (mayApply).
      } finally {
        this.renewing = null;
      }
    })();
    return this.renewing;
  }

  private settle(renewal: LeaseRenewal, sent: number): void {
    if (renewal.result === 'renewed') {
      this.validUntil = sent + this.leaseMs;
      this.renewals++;
    } else {
      this.validUntil = 0;
      this.lost =
        renewal.result === 'taken_over'
          ? `the lease expired and consumer ${renewal.by} took over this replica's processing lists`
          : `the lease is held by ${renewal.by} (another process with this --redis-consumer)`;
      this.onLost(this.lost);
    }
    this.wake();
  }

  /** Whether a batch may be applied right now. */
  mayApply(): boolean {
    return this.lost === null && leaseAllowsApply(this.clock.now(), this.validUntil, this.leaseMs);
  }

  /** Waits until a batch may be applied (true), or the lease is gone or the keeper stopped (false). */
  async fence(): Promise<boolean> {
    while (!this.mayApply()) {
      if (this.lost !== null || this.stopTimer === null) return false;
      await new Promise<void>((resolve) => this.waiting.add(resolve));
    }
    return true;
  }

  private wake(): void {
    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const wake of waiting) wake();
  }

  stop(): void {
    this.stopTimer?.();
    this.stopTimer = null;
    this.wake();
  }
}
