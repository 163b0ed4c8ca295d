// The queue source's waits that a change cuts short: the claim loop waiting for room, a backoff
// or an empty-queue sleep. Whatever makes room (a batch applied, lists deleted, a stop) wakes them all.

export class Waiters {
  private readonly waiting = new Set<() => void>();

  /** Resolves at the next wake. */
  next(): Promise<void> {
    return new Promise((resolve) => this.waiting.add(resolve));
  }

  /** Resolves after `ms`, or at the next wake if that comes first. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(wake);
        resolve();
      }, ms);
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiting.add(wake);
    });
  }

  /** Wakes whatever waits now. */
  wake(): void {
    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const wake of waiting) wake();
  }
}
