import { expect, it } from 'vitest';
import { type LeaseClock, LeaseKeeper } from './lease-keeper.js';
import type { LeaseRenewal } from './redis-queue.js';

/** A keeper over a scripted Redis (each renewal answers the next reply) and a clock the test moves. */
function keeper(replies: (LeaseRenewal | Error)[]) {
  let now = 0;
  const calls: boolean[] = [];
  const lost: string[] = [];
  const ticks: (() => void)[] = [];
  const clock: LeaseClock = {
    now: () => now,
    every: (_ms, tick) => {
      ticks.push(tick);
      return () => ticks.splice(0);
    },
  };
  const renew = async (fresh: boolean): Promise<LeaseRenewal> => {
    calls.push(fresh);
    const reply = replies.shift() ?? { result: 'renewed' };
    if (reply instanceof Error) throw reply;
    return reply;
  };
  const k = new LeaseKeeper(renew, 30_000, clock, (why) => lost.push(why));
  k.start();
  return { k, calls, lost, advance: (ms: number) => (now += ms) };
}

it('the timer does nothing before the first hold (a fresh start forgets an old take-over note first)', async () => {
  const { k, calls } = keeper([]);
  await k.tick();
  expect(calls).toEqual([]);
  await k.hold(true);
  await k.tick();
  expect(calls).toEqual([true, false]);
});

it('a failed renewal leaves the lease to run out: applying stops in the margin, and goes on after a renewal', async () => {
  const { k, advance } = keeper([{ result: 'renewed' }, new Error('connection lost')]);
  await k.hold(true);
  advance(20_000);
  await k.tick(); // fails
  expect(k.mayApply()).toBe(true); // 10 s left
  advance(9_500);
  expect(k.mayApply()).toBe(false); // within the 1 s margin
  const fenced = k.fence();
  await k.tick(); // gets through, sent at 29.5 s
  expect(await fenced).toBe(true);
  expect(k.validUntil).toBe(59_500);
});

it('a renewal that finds the take-over note ends the lease for good and says who took it', async () => {
  const { k, lost } = keeper([{ result: 'renewed' }, { result: 'taken_over', by: 'b' }]);
  await k.hold(true);
  await k.tick();
  expect(lost).toEqual(["the lease expired and consumer b took over this replica's processing lists"]);
  expect(await k.fence()).toBe(false);
  expect(k.mayApply()).toBe(false);
});

it('another owner on a fresh start is an error; later it ends the lease', async () => {
  const first = keeper([{ result: 'held_by_other', by: 'host:/x' }]);
  await expect(first.k.hold(true)).rejects.toThrow('in use by host:/x');
  const later = keeper([{ result: 'renewed' }, { result: 'held_by_other', by: 'host:/x' }]);
  await later.k.hold(true);
  await later.k.tick();
  expect(later.lost[0]).toMatch(/held by host:\/x/);
});
