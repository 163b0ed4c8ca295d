// Piscina entry for the push decode threads. Crossing in: the body's bytes, moved (transferred),
// and the BatchContext. Crossing out: the DecodedBatch (typed arrays and one string per series,
// cloned) or the reason the body was refused, and the same bytes moved back (the push log writes
// them), so a body is never copied between threads.

import { movedBack } from '../../pool/moved-back.js';
import { type BatchContext, type BatchError, type DecodedBatch, decodeBatch } from './batch.js';

export interface DecodeTask {
  bytes: Uint8Array;
  context: BatchContext;
}

export interface DecodeResult {
  batch: DecodedBatch | BatchError;
  bytes: Uint8Array;
}

export default function decode(task: DecodeTask): unknown {
  const result: DecodeResult = { batch: decodeBatch(task.bytes, task.context), bytes: task.bytes };
  return movedBack(result, [task.bytes.buffer as ArrayBuffer]);
}
