// Piscina entry for the push decode threads. Crossing in: the body's bytes (a copy, so the main
// thread can still decode them itself if this thread dies) and the BatchContext. Crossing out:
// the DecodedBatch (typed arrays and one string per series, cloned) or the reason the body was
// refused.

import { type BatchContext, type BatchError, type DecodedBatch, decodeBatch } from './batch.js';

export interface DecodeTask {
  bytes: Uint8Array;
  context: BatchContext;
}

export default function decode(task: DecodeTask): DecodedBatch | BatchError {
  return decodeBatch(task.bytes, task.context);
}
