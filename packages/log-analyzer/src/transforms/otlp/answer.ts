// What POST /v1/metrics answers, in the request's encoding (OTLP/HTTP): an
// ExportMetricsServiceResponse, with partial_success when points were refused, or a google.rpc.Status
// for a request refused whole. Pure.
//
//   ExportMetricsServiceResponse { ExportMetricsPartialSuccess partial_success = 1; }
//   ExportMetricsPartialSuccess  { int64 rejected_data_points = 1; string error_message = 2; }
//   google.rpc.Status            { int32 code = 1; string message = 2; }

import type { Rejection } from '../../store/push-batch.js';

export type Encoding = 'protobuf' | 'json';

function varint(n: number, out: number[]): void {
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

function field(number: number, bytes: Uint8Array, out: number[]): void {
  varint(number * 8 + 2, out);
  varint(bytes.length, out);
  for (const b of bytes) out.push(b);
}

/** Pure: how many data points were refused (a point counts once however many of its samples were). */
export function refusedPoints(rejected: readonly Rejection[]): number {
  const points = new Set<number>();
  for (const r of rejected) if (r.index >= 0) points.add(r.index);
  return points.size;
}

/** Pure: the partial_success message: the first refusal's reason and message, and the count by reason. */
export function refusedMessage(rejected: readonly Rejection[]): string {
  const byReason = new Map<string, number>();
  for (const r of rejected) byReason.set(r.reason, (byReason.get(r.reason) ?? 0) + 1);
  const first = rejected.reduce<Rejection | undefined>(
    (a, b) => (a === undefined || b.index < a.index ? b : a),
    undefined,
  );
  const counts = [...byReason].map(([reason, n]) => `${reason}: ${n}`).join(', ');
  return first ? `${counts}; the first (point #${first.index}): ${first.message}` : '';
}

/** Pure: the answer to an export; an empty message when nothing was refused. */
export function exportAnswer(rejected: readonly Rejection[], encoding: Encoding): Uint8Array | string {
  const points = refusedPoints(rejected);
  const message = rejected.length > 0 ? refusedMessage(rejected) : '';
  if (encoding === 'json') {
    if (rejected.length === 0) return '{}';
    return JSON.stringify({ partialSuccess: { rejectedDataPoints: String(points), errorMessage: message } });
  }
  if (rejected.length === 0) return new Uint8Array(0);
  const inner: number[] = [];
  if (points > 0) {
    varint(0x08, inner);
    varint(points, inner);
  }
  field(2, Buffer.from(message, 'utf8'), inner);
  const out: number[] = [];
  field(1, Uint8Array.from(inner), out);
  return Uint8Array.from(out);
}

/** Pure: a google.rpc.Status for a request refused whole (`code`: gRPC's, 3 invalid argument, 14 unavailable). */
export function statusAnswer(code: number, message: string, encoding: Encoding): Uint8Array | string {
  if (encoding === 'json') return JSON.stringify({ code, message });
  const out: number[] = [];
  varint(0x08, out);
  varint(code, out);
  field(2, Buffer.from(message, 'utf8'), out);
  return Uint8Array.from(out);
}
