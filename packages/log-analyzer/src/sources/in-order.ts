// Acknowledgements in the order batches were read (Vector's ordered finalizer is the model): the
// work on each batch (a parse on a worker, a decode on a thread, an fsync) may finish in any order,
// but batches are handed on — applied to the store, their position committed — strictly in the
// order they were added. A source's checkpoint position is therefore only ever fed from here.
// Invariant: hand-on(n) starts only after hand-on(n − 1) has returned (or its promise settled).

export class InOrder<T> {
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;

  /** handOn gets each batch's settled work, in the order added; it may be async (the next waits). */
  constructor(private readonly handOn: (result: PromiseSettledResult<T>) => void | Promise<void>) {}

  /** Batches added and not yet handed on. */
  get size(): number {
    return this.waiting;
  }

  /**
   * A batch read now, whose work finishes later. Resolves once it has been handed on; rejects
   * only with what handOn threw for it (the batches after it are handed on all the same).
   */
  add(work: Promise<T>): Promise<void> {
    this.waiting++;
    const settled = work.then(
      (value): PromiseSettledResult<T> => ({ status: 'fulfilled', value }),
      (reason: unknown): PromiseSettledResult<T> => ({ status: 'rejected', reason }),
    );
    const done = this.tail.then(async () => {
      try {
        await this.handOn(await settled);
      } finally {
        this.waiting--;
      }
    });
    this.tail = done.catch(() => {});
    return done;
  }

  /** Resolves once every batch added so far has been handed on. */
  idle(): Promise<void> {
    return this.tail;
  }
}
