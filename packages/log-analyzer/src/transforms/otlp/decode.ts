// An OTLP/HTTP metrics body (decompressed), protobuf or JSON → the store's DecodedBatch, or why the
// whole body is refused (400: not an ExportMetricsServiceRequest; 413: more samples than a push may
// hold). Pure. Also the push log's record for a body: a mark naming its encoding, then the bytes.

import type { DecodedBatch } from '../../store/push-batch.js';
import type { BatchContext, BatchError } from '../push/batch.js';
import { WireError } from '../wire/wire-reader.js';
import type { Encoding } from './answer.js';
import { toBatch, translate } from './batch.js';
import { decodeMetricsJson, JsonShapeError } from './metrics-json.js';
import { decodeMetricsProto } from './metrics-proto.js';
import type { OtlpResource } from './model.js';

/** Pure: a decompressed body → a batch, or why it is refused whole. */
export function decodeOtlp(body: Uint8Array, encoding: Encoding, context: BatchContext): DecodedBatch | BatchError {
  let resources: OtlpResource[];
  try {
    resources = encoding === 'json' ? decodeMetricsJson(body) : decodeMetricsProto(body);
  } catch (error) {
    if (!(error instanceof WireError || error instanceof JsonShapeError)) throw error;
    const what = encoding === 'json' ? 'not an OTLP JSON' : 'not an OTLP protobuf';
    const message = `${what} ExportMetricsServiceRequest: ${error.message}`;
    return { error: { status: 400, reason: 'invalid_body', message, items: 1 } };
  }
  const translated = translate(resources);
  if (translated.samples.length > context.limits.maxItems) {
    const message = `${translated.samples.length} samples, more than ${context.limits.maxItems}`;
    return { error: { status: 413, reason: 'too_many_items', message, items: translated.samples.length } };
  }
  return toBatch(translated, context);
}

/** NUL "OT" then P (protobuf) or J (JSON): neither a JSON push nor a remote-write record starts so. */
const MARK = [0, 0x4f, 0x54];

/** Pure: what the push log keeps of an OTLP body (decompressed). */
export function otlpRecord(body: Uint8Array, encoding: Encoding): Uint8Array {
  const record = new Uint8Array(4 + body.length);
  record.set(MARK);
  record[3] = encoding === 'json' ? 0x4a : 0x50;
  record.set(body, 4);
  return record;
}

/** Pure: a push-log record's OTLP body and its encoding, or null when it is not one. */
export function otlpBody(record: Uint8Array): { body: Uint8Array; encoding: Encoding } | null {
  if (record.length < 4 || record[0] !== 0 || record[1] !== 0x4f || record[2] !== 0x54) return null;
  const encoding = record[3] === 0x4a ? 'json' : record[3] === 0x50 ? 'protobuf' : null;
  return encoding && { body: record.subarray(4), encoding };
}
