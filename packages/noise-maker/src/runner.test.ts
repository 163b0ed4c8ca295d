// The runner handle: the loop sees stop(), finish always runs after it, done resolves with the stats.
import { expect, it } from 'vitest';
import { startRunner } from './runner.js';

it('stop() ends the loop; finish runs after it and done resolves with the same stats object', async () => {
  const order: string[] = [];
  const stats = { turns: 0 };
  const runner = startRunner(
    stats,
    async (stopped) => {
      while (!stopped.aborted) {
        stats.turns++;
        await new Promise((resolve) => setImmediate(resolve));
      }
      order.push('loop');
    },
    () => {
      order.push('finish');
    },
  );
  expect(runner.stats).toBe(stats);
  expect(stats.turns).toBe(1); // the loop started before startRunner returned
  runner.stop();
  expect(await runner.done).toBe(stats);
  expect(order).toEqual(['loop', 'finish']);
});

it('finish runs (and is awaited) when the loop throws, and done rejects with the loop error', async () => {
  const order: string[] = [];
  const runner = startRunner(
    {},
    async () => {
      throw new Error('EACCES');
    },
    async () => {
      await new Promise((resolve) => setImmediate(resolve));
      order.push('finish');
    },
  );
  await expect(runner.done).rejects.toThrow('EACCES');
  expect(order).toEqual(['finish']);
});
