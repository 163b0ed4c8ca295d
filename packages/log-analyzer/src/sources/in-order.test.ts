import { describe, expect, it } from 'vitest';
import { InOrder } from './in-order.js';

/** A promise settled from outside, to finish work in any chosen order. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending promise callback run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('InOrder', () => {
  const orders = [
    { name: 'finished in order', finish: [0, 1, 2, 3] },
    { name: 'finished in reverse', finish: [3, 2, 1, 0] },
    { name: 'finished out of order', finish: [2, 0, 3, 1] },
  ];
  for (const { name, finish } of orders) {
    it(`hands on in the order added, ${name}`, async () => {
      const handed: number[] = [];
      const acks = new InOrder<number>((r) => {
        if (r.status === 'fulfilled') handed.push(r.value);
      });
      const work = [0, 1, 2, 3].map(() => deferred<number>());
      const done = work.map((w) => acks.add(w.promise));
      expect(acks.size).toBe(4);
      for (const i of finish) {
        work[i]?.resolve(i);
        await flush();
        // Never a later batch before an earlier one.
        expect(handed).toEqual([0, 1, 2, 3].slice(0, handed.length));
      }
      await Promise.all(done);
      expect(handed).toEqual([0, 1, 2, 3]);
      expect(acks.size).toBe(0);
    });
  }

  it('hands on a failed batch in its turn, as rejected, and goes on', async () => {
    const handed: string[] = [];
    const acks = new InOrder<string>((r) => {
      handed.push(r.status === 'fulfilled' ? r.value : `failed: ${(r.reason as Error).message}`);
    });
    const a = deferred<string>();
    const b = deferred<string>();
    const c = deferred<string>();
    void acks.add(a.promise);
    void acks.add(b.promise);
    void acks.add(c.promise);
    c.resolve('c');
    b.reject(new Error('b'));
    await flush();
    expect(handed).toEqual([]);
    a.resolve('a');
    await acks.idle();
    expect(handed).toEqual(['a', 'failed: b', 'c']);
  });

  it('waits for an async hand-on before the next, and a throwing one rejects only its own add', async () => {
    const handed: number[] = [];
    const gate = deferred<void>();
    const acks = new InOrder<number>(async (r) => {
      if (r.status !== 'fulfilled') return;
      if (r.value === 1) await gate.promise;
      if (r.value === 2) throw new Error('apply failed');
      handed.push(r.value);
    });
    const first = acks.add(Promise.resolve(1));
    const second = acks.add(Promise.resolve(2));
    const third = acks.add(Promise.resolve(3));
    await flush();
    expect(handed).toEqual([]);
    gate.resolve();
    await first;
    await expect(second).rejects.toThrow('apply failed');
    await third;
    expect(handed).toEqual([1, 3]);
    expect(acks.size).toBe(0);
  });

  it('is idle at once when nothing was added', async () => {
    const acks = new InOrder<number>(() => {});
    await acks.idle();
    expect(acks.size).toBe(0);
  });
});
