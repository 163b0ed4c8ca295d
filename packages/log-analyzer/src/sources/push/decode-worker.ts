// Piscina entry for the decode threads of pushes and queue messages. Crossing in: a push body's
// bytes, moved (transferred), or a batch of queue messages (cloned), and the BatchContext.
// Crossing out: the DecodedBatch (typed arrays and one string per series, cloned) or the reason
// the body was refused, and a body's bytes moved back (the push log writes them), so a body is
// never copied between threads.

import { movedBack } from '../../pool/moved-back.js';
import { type BatchContext, type BatchError, type DecodedBatch, decodeBatch, decodeMessageBatch } from './batch.js';

export type DecodeTask = { bytes: Uint8Array; context: BatchContext } | { messages: string[]; context: BatchContext };

export interface DecodeResult {
  batch: DecodedBatch | BatchError;
  bytes: Uint8Array;
}

export default function decode(task: DecodeTask): unknown {
  if ('messages' in task) return decodeMessageBatch(task.messages, task.context);
  const result: DecodeResult = { batch: decodeBatch(task.bytes, task.context), bytes: task.bytes };
  return movedBack(result, [task.bytes.buffer as ArrayBuffer]);
}
