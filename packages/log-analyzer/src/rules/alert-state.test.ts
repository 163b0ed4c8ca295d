import { describe, expect, it } from 'vitest';
import { type AlertState, needsSending, RESOLVED_RETENTION_MS, step } from './alert-state.js';

const S = 1000;
const alert = (over: Partial<AlertState>): AlertState => ({
  state: 'pending',
  activeAt: 0,
  firedAt: 0,
  resolvedAt: 0,
  lastSentAt: 0,
  keepFiringSince: 0,
  value: 1,
  ...over,
});

describe('step', () => {
  const table: { name: string; given: Parameters<typeof step>[0]; want: AlertState | null }[] = [
    {
      name: 'nothing seen, nothing known: nothing',
      given: { previous: undefined, seen: null, now: 10 * S, forMs: 60 * S, keepFiringForMs: 0 },
      want: null,
    },
    {
      name: 'first seen with a for: pending from now',
      given: { previous: undefined, seen: { value: 0.2 }, now: 10 * S, forMs: 60 * S, keepFiringForMs: 0 },
      want: alert({ activeAt: 10 * S, value: 0.2 }),
    },
    {
      name: 'first seen without a for: firing at once',
      given: { previous: undefined, seen: { value: 3 }, now: 10 * S, forMs: 0, keepFiringForMs: 0 },
      want: alert({ state: 'firing', activeAt: 10 * S, firedAt: 10 * S, value: 3 }),
    },
    {
      name: 'pending, for not yet over: still pending, value updated',
      given: { previous: alert({ activeAt: 0 }), seen: { value: 5 }, now: 59 * S, forMs: 60 * S, keepFiringForMs: 0 },
      want: alert({ activeAt: 0, value: 5 }),
    },
    {
      name: 'pending, for just over: firing',
      given: { previous: alert({ activeAt: 0 }), seen: { value: 5 }, now: 60 * S, forMs: 60 * S, keepFiringForMs: 0 },
      want: alert({ state: 'firing', activeAt: 0, firedAt: 60 * S, value: 5 }),
    },
    {
      name: 'pending, no longer seen: forgotten (its for starts again next time)',
      given: { previous: alert({ activeAt: 0 }), seen: null, now: 30 * S, forMs: 60 * S, keepFiringForMs: 0 },
      want: null,
    },
    {
      name: 'firing, seen: still firing',
      given: {
        previous: alert({ state: 'firing', firedAt: 60 * S }),
        seen: { value: 2 },
        now: 90 * S,
        forMs: 60 * S,
        keepFiringForMs: 0,
      },
      want: alert({ state: 'firing', firedAt: 60 * S, value: 2 }),
    },
    {
      name: 'firing, no longer seen: resolved now',
      given: {
        previous: alert({ state: 'firing', firedAt: 60 * S }),
        seen: null,
        now: 90 * S,
        forMs: 60 * S,
        keepFiringForMs: 0,
      },
      want: alert({ state: 'inactive', firedAt: 60 * S, resolvedAt: 90 * S }),
    },
    {
      name: 'firing with keep_firing_for, no longer seen: kept firing, since now',
      given: {
        previous: alert({ state: 'firing', firedAt: 60 * S }),
        seen: null,
        now: 90 * S,
        forMs: 60 * S,
        keepFiringForMs: 30 * S,
      },
      want: alert({ state: 'firing', firedAt: 60 * S, keepFiringSince: 90 * S }),
    },
    {
      name: 'kept firing, keep_firing_for ran out: resolved',
      given: {
        previous: alert({ state: 'firing', firedAt: 60 * S, keepFiringSince: 90 * S }),
        seen: null,
        now: 120 * S,
        forMs: 60 * S,
        keepFiringForMs: 30 * S,
      },
      want: alert({ state: 'inactive', firedAt: 60 * S, resolvedAt: 120 * S }),
    },
    {
      name: 'kept firing, seen again: firing, keep_firing_for cleared',
      given: {
        previous: alert({ state: 'firing', firedAt: 60 * S, keepFiringSince: 90 * S }),
        seen: { value: 1 },
        now: 100 * S,
        forMs: 60 * S,
        keepFiringForMs: 30 * S,
      },
      want: alert({ state: 'firing', firedAt: 60 * S }),
    },
    {
      name: 'pending with keep_firing_for, no longer seen: forgotten (only firing is kept)',
      given: { previous: alert({}), seen: null, now: 10 * S, forMs: 60 * S, keepFiringForMs: 30 * S },
      want: null,
    },
    {
      name: 'resolved, within retention: kept as it is',
      given: {
        previous: alert({ state: 'inactive', resolvedAt: 0 }),
        seen: null,
        now: RESOLVED_RETENTION_MS,
        forMs: 0,
        keepFiringForMs: 0,
      },
      want: alert({ state: 'inactive', resolvedAt: 0 }),
    },
    {
      name: 'resolved, past retention: forgotten',
      given: {
        previous: alert({ state: 'inactive', resolvedAt: 0 }),
        seen: null,
        now: RESOLVED_RETENTION_MS + 1,
        forMs: 0,
        keepFiringForMs: 0,
      },
      want: null,
    },
    {
      name: 'resolved, seen again: a new pending alert',
      given: {
        previous: alert({ state: 'inactive', activeAt: 0, firedAt: 60 * S, resolvedAt: 90 * S, lastSentAt: 90 * S }),
        seen: { value: 7 },
        now: 100 * S,
        forMs: 60 * S,
        keepFiringForMs: 0,
      },
      want: alert({ activeAt: 100 * S, value: 7 }),
    },
  ];
  it.each(table)('$name', ({ given, want }) => {
    expect(want).toEqual(step(given));
  });
});

describe('needsSending', () => {
  const table: { name: string; given: [AlertState, number]; want: boolean }[] = [
    { name: 'pending: never', given: [alert({}), 100 * S], want: false },
    { name: 'firing, never sent: now', given: [alert({ state: 'firing' }), 100 * S], want: true },
    {
      name: 'firing, sent 30 s ago: not yet',
      given: [alert({ state: 'firing', lastSentAt: 70 * S }), 100 * S],
      want: false,
    },
    {
      name: 'firing, sent 61 s ago: again',
      given: [alert({ state: 'firing', lastSentAt: 39 * S }), 100 * S],
      want: true,
    },
    {
      name: 'resolved after the last send: now',
      given: [alert({ state: 'inactive', lastSentAt: 90 * S, resolvedAt: 95 * S }), 100 * S],
      want: true,
    },
    {
      name: 'resolved and sent: again only after the resend delay',
      given: [alert({ state: 'inactive', lastSentAt: 95 * S, resolvedAt: 95 * S }), 100 * S],
      want: false,
    },
  ];
  it.each(table)('$name', ({ given, want }) => {
    expect(want).toBe(needsSending(...given));
  });
});
