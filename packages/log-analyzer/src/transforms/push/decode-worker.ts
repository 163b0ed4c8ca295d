// Piscina entry for the decode threads of pushes and queue messages. Crossing in: a push body's
// bytes, or a batch of queue messages joined by NUL bytes, moved (transferred), and the BatchContext.
// Crossing out: the DecodedBatch (typed arrays and one string per series, cloned) or the reason
// the body was refused, and the bytes moved back (the push log writes a body; a refused queue
// message goes to the dead letters), so they are never copied between threads.

import type { DecodedBatch } from '../../store/push-batch.js';
import { movedBack } from '../pool/moved-back.js';
import { type BatchContext, type BatchError, decodeBatch, decodeJoinedBatch } from './batch.js';

/** A push body, or `count` queue messages joined by NUL bytes; either way moved here and back. */
export type DecodeTask = { bytes: Uint8Array; context: BatchContext; count?: number };

export interface DecodeResult {
  batch: DecodedBatch | BatchError;
  bytes: Uint8Array;
}

export interface JoinedResult {
  /** Null: the bytes did not split into `count` messages. */
  batch: DecodedBatch | null;
  bytes: Uint8Array;
}

export default function decode(task: DecodeTask): unknown {
  const { bytes, context, count } = task;
  const result: DecodeResult | JoinedResult =
    count === undefined
      ? { batch: decodeBatch(bytes, context), bytes }
      : { batch: decodeJoinedBatch(bytes, count, context), bytes };
  return movedBack(result, [bytes.buffer as ArrayBuffer]);
}
