// The queue source's decisions, pure: the keys it uses in Redis, what a start does with the
// processing lists it finds, whose lists it may take over, the settings the senders' conventions
// name, what a refused message is and what its dead letter says. The I/O around them is queue-source.ts.

import type { Rejection } from '../../store/push-batch.js';
//
// Keys, for the queue key K (senders LPUSH onto K; the oldest message is at its right end):
//   K:processing:<consumer>:<seq>  one claimed batch, oldest message first, until the checkpoint
//                                  that includes it is written (then it is deleted)
//   K:lease:<consumer>             held (with an expiry) while that consumer is alive
//   K:taken:<consumer>             who took that consumer's lists over (a day): it stops if it comes back
//   K:dead                         dead letters, newest first, at most --redis-dead-max, each at
//                                  most DEAD_MESSAGE_CHARS of its message

/** A consumer id: what names its processing lists; letters, digits, `.`, `_` and `-`. */
export const CONSUMER_ID = /^[A-Za-z0-9._-]{1,100}$/;

/** What a checkpoint keeps of the queue: whose lists, and the last batch its counts include. */
export interface QueuePosition {
  consumer: string;
  applied: number;
}

/** The saved queue position (RestorePosition), or null when there is none or it is not one the queue source wrote. */
export function restoreQueuePosition(saved: unknown): QueuePosition | null {
  if (typeof saved !== 'object' || saved === null || !('consumer' in saved) || !('applied' in saved)) return null;
  const { consumer, applied } = saved;
  if (typeof consumer !== 'string' || !CONSUMER_ID.test(consumer)) return null;
  return typeof applied === 'number' && Number.isSafeInteger(applied) && applied >= 0 ? { consumer, applied } : null;
}

/**
 * Which consumer id to use: the one configured, else the checkpoint's (a restart must find its
 * own processing lists), else a new one from the host name.
 */
export function chooseConsumer(
  configured: string | null,
  saved: { consumer?: unknown } | undefined,
  host: string,
  random: string,
): string {
  if (configured) return configured;
  if (typeof saved?.consumer === 'string' && CONSUMER_ID.test(saved.consumer)) return saved.consumer;
  const name = host.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 60) || 'consumer';
  return `${name}-${random}`;
}

export function processingKey(key: string, consumer: string, seq: number): string {
  return `${key}:processing:${consumer}:${seq}`;
}

/** The SCAN pattern of a consumer's processing lists, or of everyone's (glob characters in K escaped). */
export function processingPattern(key: string, consumer: string | null): string {
  const escaped = key.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
  return `${escaped}:processing:${consumer ?? '*'}:*`;
}

export function leaseKey(key: string, consumer: string): string {
  return `${key}:lease:${consumer}`;
}

export function takenKey(key: string, consumer: string): string {
  return `${key}:taken:${consumer}`;
}

export function deadKey(key: string): string {
  return `${key}:dead`;
}

/** A processing list's consumer and sequence number; null for any other key. */
export function parseProcessingKey(key: string, name: string): { consumer: string; seq: number } | null {
  const prefix = `${key}:processing:`;
  if (!name.startsWith(prefix)) return null;
  const rest = name.slice(prefix.length);
  const at = rest.lastIndexOf(':');
  const consumer = rest.slice(0, at);
  const seq = rest.slice(at + 1);
  if (at < 1 || !CONSUMER_ID.test(consumer) || !/^[1-9]\d{0,15}$/.test(seq)) return null;
  return { consumer, seq: Number(seq) };
}

export interface RecoveryPlan {
  /** Batches the checkpoint includes: delete them. */
  remove: number[];
  /** Batches claimed after the checkpoint: apply them again, in this order. */
  apply: number[];
  /** The next batch's sequence number. */
  next: number;
}

/**
 * On start: our processing lists, and the last batch the checkpoint includes. Batches are applied
 * in sequence order, so everything up to `applied` is in the counts and everything after is not.
 */
export function planRecovery(seqs: readonly number[], applied: number): RecoveryPlan {
  const sorted = [...seqs].sort((a, b) => a - b);
  return {
    remove: sorted.filter((s) => s <= applied),
    apply: sorted.filter((s) => s > applied),
    next: Math.max(applied, ...sorted) + 1,
  };
}

/**
 * The processing lists of other consumers, by consumer, oldest batch first: taken over when the
 * consumer's lease has expired (checked again atomically as each list is taken).
 */
export function foreignBatches(
  key: string,
  names: readonly string[],
  self: string,
): Map<string, { name: string; seq: number }[]> {
  const byConsumer = new Map<string, { name: string; seq: number }[]>();
  for (const name of names) {
    const parsed = parseProcessingKey(key, name);
    if (!parsed || parsed.consumer === self) continue;
    let list = byConsumer.get(parsed.consumer);
    if (!list) {
      list = [];
      byConsumer.set(parsed.consumer, list);
    }
    list.push({ name, seq: parsed.seq });
  }
  for (const list of byConsumer.values()) list.sort((a, b) => a.seq - b.seq);
  return byConsumer;
}

/**
 * Batches claimed beyond the --redis-workers decoding: claimed while the others decode, each is
 * there the moment a decode thread frees, instead of a claim's round trip later.
 */
export const CLAIMED_AHEAD = 1;

/**
 * Whether the drain may claim another batch now: fewer than workers + CLAIMED_AHEAD batches
 * claimed and not yet applied (each holds at most MAX_BATCH_BYTES), and fewer than `maxPending`
 * batches applied or on their way to it that wait for a checkpoint (a failing checkpoint stops
 * the drain there; a batch claimed ahead counts, or it would pass the cap once applied).
 */
export function mayClaim(inFlight: number, workers: number, pending: number, maxPending: number): boolean {
  return inFlight < workers + CLAIMED_AHEAD && pending + inFlight < maxPending;
}

/** How much of a message (and of its error) a dead letter keeps: the list is bounded in bytes too. */
export const DEAD_MESSAGE_CHARS = 4096;
const DEAD_ERROR_CHARS = 1024;

/**
 * A dead letter: why it was refused, when, by whom, and the message as it came, cut to its first
 * DEAD_MESSAGE_CHARS characters (`size`: its length in bytes; `truncated` when cut).
 */
export function deadLetter(
  message: string,
  reason: string,
  error: string,
  at: number,
  consumer: string,
  size = Buffer.byteLength(message),
): string {
  const kept = message.slice(0, DEAD_MESSAGE_CHARS);
  return JSON.stringify({
    reason,
    error: error.slice(0, DEAD_ERROR_CHARS),
    at: new Date(at).toISOString(),
    consumer,
    size,
    ...(Buffer.byteLength(kept) < size ? { truncated: true } : {}),
    message: kept,
  });
}

/**
 * What the claim script puts in place of a message over the size limit (redis-queue.ts): this,
 * its size in bytes, a space, and its first bytes. It is no JSON, so the decoder refuses it.
 */
export const TOO_LARGE = '\u0001log-analyzer:too_large ';

/** A marker's size and kept prefix; null for any other message. */
export function parseTooLarge(message: string): { size: number; prefix: string } | null {
  if (!message.startsWith(TOO_LARGE)) return null;
  const rest = message.slice(TOO_LARGE.length);
  const space = rest.indexOf(' ');
  const size = Number(rest.slice(0, space));
  return space > 0 && Number.isSafeInteger(size) ? { size, prefix: rest.slice(space + 1) } : null;
}

/** A refused message, and what its dead letter keeps: its text, and its size in bytes when cut. */
export interface Refusal extends Rejection {
  text: string;
  size: number | undefined;
}

/**
 * The decoder's rejections with their messages' text; a TOO_LARGE marker (which the decoder
 * refused as no JSON) is a `too_large` refusal of the size the claim script measured.
 */
export function refusals(
  rejected: readonly Rejection[],
  messages: readonly string[],
  maxMessageBytes: number,
): Refusal[] {
  return rejected.map((r) => {
    const text = messages[r.index] ?? '';
    const large = parseTooLarge(text);
    return large
      ? {
          index: r.index,
          reason: 'too_large',
          message: `${large.size} bytes, more than --redis-max-message-bytes (${maxMessageBytes})`,
          text: large.prefix,
          size: large.size,
        }
      : { ...r, text, size: undefined };
  });
}

/**
 * Whether a batch may be applied now (`now` and `validUntil` on our clock; `validUntil` = when the
 * last successful renewal was sent + the lease). Redis counts the lease from when it received the
 * renewal, so it lasts at least until `validUntil`; the margin covers the two clocks' rates.
 */
export function leaseAllowsApply(now: number, validUntil: number, leaseMs: number): boolean {
  return now < validUntil - leaseMargin(leaseMs);
}

export function leaseMargin(leaseMs: number): number {
  return Math.min(1000, leaseMs / 10);
}

/** Query parameters that carry credentials by their name (`?token=…`, `?api_key=…`, `?X-Amz-Signature=…`). */
const SECRET_PARAM = /token|key|secret|pass|auth|sig|credential/i;

/** A URL without its password or credential-like query values, for messages and `config print`. */
export function redactedUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    for (const name of [...url.searchParams.keys()]) {
      if (SECRET_PARAM.test(name)) url.searchParams.set(name, '***');
    }
    return url.toString();
  } catch {
    return '(an invalid URL)';
  }
}
