// One alert's life, per label set, as Prometheus' alerting rules live it: inactive → pending
// (the expression holds) → firing (it held for `for`) → resolved (it stopped holding, and
// `keep_firing_for` ran out); a resolved alert is kept 15 minutes so that its end is sent.
// And when an alert is due to be sent (Prometheus' needsSending and resend delay). Pure.

export type AlertStateName = 'pending' | 'firing' | 'inactive';

/** One alert instance's state (times in ms since the epoch; 0: never). Checkpointed as it is. */
export interface AlertState {
  state: AlertStateName;
  /** When its expression first held (this time). */
  activeAt: number;
  firedAt: number;
  resolvedAt: number;
  /** When it was last handed to the notifiers. */
  lastSentAt: number;
  /** When its expression stopped holding while firing with keep_firing_for (0: it holds). */
  keepFiringSince: number;
  value: number;
}

/** A resolved alert is kept this long (and sent again) so that receivers hear of its end. */
export const RESOLVED_RETENTION_MS = 15 * 60_000;

/** Prometheus' resend delay: a firing alert is sent again this often, so Alertmanager keeps it alive. */
export const RESEND_DELAY_MS = 60_000;

export interface StepInput {
  /** The alert's state before this evaluation (absent: none). */
  previous: AlertState | undefined;
  /** Whether the expression returned this label set now, and with which value. */
  seen: { value: number } | null;
  now: number;
  forMs: number;
  keepFiringForMs: number;
}

/** The alert's state after one evaluation, or null when it is forgotten. */
export function step({ previous, seen, now, forMs, keepFiringForMs }: StepInput): AlertState | null {
  if (seen) {
    // A label set seen again while pending or firing carries on; after a resolve it starts again.
    const base: AlertState =
      previous && previous.state !== 'inactive'
        ? { ...previous, value: seen.value, keepFiringSince: 0 }
        : {
            state: 'pending',
            activeAt: now,
            firedAt: 0,
            resolvedAt: 0,
            lastSentAt: 0,
            keepFiringSince: 0,
            value: seen.value,
          };
    if (base.state === 'pending' && now - base.activeAt >= forMs) return { ...base, state: 'firing', firedAt: now };
    return base;
  }
  if (!previous) return null;
  if (previous.state === 'firing' && keepFiringForMs > 0) {
    const since = previous.keepFiringSince || now;
    if (now - since < keepFiringForMs) return { ...previous, keepFiringSince: since };
  }
  if (previous.state === 'pending') return null;
  if (previous.state === 'inactive') return now - previous.resolvedAt > RESOLVED_RETENTION_MS ? null : previous;
  return { ...previous, state: 'inactive', resolvedAt: now, keepFiringSince: 0 };
}

/** Whether an alert is due to go to the notifiers now (Prometheus' needsSending). */
export function needsSending(alert: AlertState, now: number, resendDelayMs = RESEND_DELAY_MS): boolean {
  if (alert.state === 'pending') return false;
  // Resolved since it was last sent: its end goes out now.
  if (alert.resolvedAt > alert.lastSentAt) return true;
  return alert.lastSentAt + resendDelayMs < now;
}

/**
 * When a sent firing alert ends unless sent again (Prometheus' ValidUntil): four resends or
 * evaluations, so Alertmanager resolves it by itself if this process goes away.
 */
export function validUntil(now: number, intervalMs: number, resendDelayMs = RESEND_DELAY_MS): number {
  return now + 4 * Math.max(resendDelayMs, intervalMs);
}
