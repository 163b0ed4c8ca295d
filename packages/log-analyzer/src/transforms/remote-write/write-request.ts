// A remote-write 1.0 WriteRequest (protobuf, already decompressed) → its series, samples and
// metadata. Pure, and hand-written for the four messages it needs: samples go straight into typed
// arrays (no object per sample), unknown fields are skipped by wire type, and every length is
// checked against the end of its message before it is followed.
//
//   WriteRequest   { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
//   TimeSeries     { repeated Label labels = 1; repeated Sample samples = 2;
//                    repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
//   Label          { string name = 1; string value = 2; }
//   Sample         { double value = 1; int64 timestamp = 2; }   (ms since the epoch)
//   MetricMetadata { MetricType type = 1; string metric_family_name = 2; string help = 4; string unit = 5; }

export class WireError extends Error {}

/** MetricMetadata.type: UNKNOWN, COUNTER, GAUGE, HISTOGRAM, GAUGEHISTOGRAM, SUMMARY, INFO, STATESET. */
export const METADATA_TYPES = [
  'unknown',
  'counter',
  'gauge',
  'histogram',
  'gaugehistogram',
  'summary',
  'info',
  'stateset',
] as const;
export type MetadataType = (typeof METADATA_TYPES)[number];

export interface RawSeries {
  /**
   * Where its labels are: the bytes [labelsFrom, labelsTo) of the request, read by decodeLabels.
   * Usually just its Label fields, one run of bytes, the same for the same labels request after
   * request (batch.ts keys its cache by them); `scattered` when a Label came after another field
   * (Prometheus never sends that): then the range is the whole TimeSeries and is not cached.
   */
  labelsFrom: number;
  labelsTo: number;
  scattered: boolean;
  /** Its samples are [first, first + count) of the request's arrays. */
  first: number;
  count: number;
  /** Native histogram samples it carried (not taken: see batch.ts). */
  histograms: number;
}

export interface RawRequest {
  series: RawSeries[];
  values: Float64Array;
  stamps: Float64Array;
  /** 1 where the value was Prometheus' stale marker (a NaN with payload 2). */
  stale: Uint8Array;
  samples: number;
  metadata: { name: string; type: MetadataType; help: string }[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The reader's state: the bytes and a cursor (module-level: decoding is synchronous, never re-entered). */
let buf: Uint8Array = new Uint8Array(0);
let view: DataView = new DataView(buf.buffer);
/** The same bytes as a Buffer, for its native UTF-8 slice. */
let latin: Buffer = Buffer.alloc(0);
let pos = 0;

function varint(end: number): number {
  let b = buf[pos] as number;
  if (b < 0x80 && pos < end) {
    pos++;
    return b;
  }
  let value = 0;
  let scale = 1;
  for (let k = 0; k < 10; k++) {
    if (pos >= end) throw new WireError('a varint runs past the end of its message');
    b = buf[pos++] as number;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return value;
    scale *= 128;
  }
  throw new WireError('a varint is longer than 10 bytes');
}

/** An int64 varint: a negative one is ten bytes of two's complement (read again exactly, as a BigInt). */
function int64(end: number): number {
  const from = pos;
  const value = varint(end);
  if (value < 2 ** 63) return value;
  let big = 0n;
  for (let i = pos - 1; i >= from; i--) big = (big << 7n) | BigInt((buf[i] as number) & 0x7f);
  return Number(BigInt.asIntN(64, big));
}

/** A length-delimited field's end, checked against its message's. */
function delimited(end: number): number {
  const length = varint(end);
  if (length > end - pos) throw new WireError(`a field declares ${length} bytes, past the end of its message`);
  return pos + length;
}

function skip(wire: number, end: number): void {
  switch (wire) {
    case 0:
      varint(end);
      return;
    case 1:
      if (end - pos < 8) throw new WireError('a fixed64 field runs past the end');
      pos += 8;
      return;
    case 2:
      pos = delimited(end);
      return;
    case 5:
      if (end - pos < 4) throw new WireError('a fixed32 field runs past the end');
      pos += 4;
      return;
    default:
      throw new WireError(`wire type ${wire} is not one a WriteRequest uses`);
  }
}

/** The bytes [from, to) as text, or null when they are not UTF-8. */
function text(from: number, to: number): string | null {
  const s = latin.toString('utf8', from, to);
  // The native slice writes U+FFFD for bytes that are not UTF-8: only then is the strict decoder asked.
  if (!s.includes('\uFFFD')) return s;
  try {
    return utf8.decode(buf.subarray(from, to));
  } catch {
    return null;
  }
}

/** Growable sample arrays: most requests hold one sample per series, so start from the series' count. */
let values = new Float64Array(4096);
let stamps = new Float64Array(4096);
let stale = new Uint8Array(4096);

function grow(): void {
  const n = values.length * 2;
  const v = new Float64Array(n);
  v.set(values);
  const s = new Float64Array(n);
  s.set(stamps);
  const f = new Uint8Array(n);
  f.set(stale);
  values = v;
  stamps = s;
  stale = f;
}

/** Pure: a WriteRequest's bytes → its series, samples and metadata; throws WireError when they are not one. */
export function decodeWriteRequest(bytes: Uint8Array): RawRequest {
  buf = bytes;
  view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  latin = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  pos = 0;
  const series: RawSeries[] = [];
  const metadata: RawRequest['metadata'] = [];
  let n = 0;
  const end = bytes.length;
  try {
    while (pos < end) {
      const tag = varint(end);
      const field = Math.floor(tag / 8);
      const wire = tag & 7;
      if (field === 1 && wire === 2) {
        const to = delimited(end);
        n = timeSeries(to, n, series);
        pos = to;
      } else if (field === 3 && wire === 2) {
        const to = delimited(end);
        metadata.push(metricMetadata(to));
        pos = to;
      } else if (field === 0) {
        throw new WireError('field number 0 is not valid protobuf');
      } else if ((field === 1 || field === 3) && wire !== 2) {
        throw new WireError(`field ${field} of WriteRequest has wire type ${wire}, not 2`);
      } else {
        skip(wire, end);
      }
    }
    return {
      series,
      values: values.slice(0, n),
      stamps: stamps.slice(0, n),
      stale: stale.slice(0, n),
      samples: n,
      metadata,
    };
  } finally {
    // Do not hold on to the caller's body.
    release();
  }
}

function release(): void {
  buf = new Uint8Array(0);
  view = new DataView(buf.buffer);
  latin = Buffer.alloc(0);
}

/**
 * Pure: the Label fields among the fields in bytes [from, to) (other fields skipped) → name, value,
 * … in order; null when one is not UTF-8. Throws WireError when a Label is not one.
 */
export function decodeLabels(bytes: Uint8Array, from: number, to: number): string[] | null {
  buf = bytes;
  view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  latin = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  pos = from;
  try {
    const labels: string[] = [];
    let utf8 = true;
    while (pos < to) {
      const tag = varint(to);
      if (tag !== 0x0a) {
        skip(tag & 7, to);
        continue;
      }
      const end = delimited(to);
      const label = labelOf(end);
      if (label === null) utf8 = false;
      else labels.push(label[0], label[1]);
      pos = end;
    }
    return utf8 ? labels : null;
  } finally {
    release();
  }
}

function timeSeries(end: number, first: number, out: RawSeries[]): number {
  const start = pos;
  let labelsTo = pos;
  let scattered = false;
  let n = first;
  let histograms = 0;
  while (pos < end) {
    const fieldStart = pos;
    const tag = varint(end);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire === 2 && field === 1) {
      // Read later (decodeLabels), and only when the cache does not know these bytes.
      pos = delimited(end);
      if (fieldStart === labelsTo) labelsTo = pos;
      else scattered = true;
    } else if (wire === 2 && field === 2) {
      const to = delimited(end);
      if (n >= values.length) grow();
      sample(to, n);
      n++;
      pos = to;
    } else if (wire === 2 && field === 4) {
      histograms++;
      pos = delimited(end);
    } else if (field === 0) {
      throw new WireError('field number 0 is not valid protobuf');
    } else if (field <= 2 && wire !== 2) {
      throw new WireError(`field ${field} of TimeSeries has wire type ${wire}, not 2`);
    } else {
      skip(wire, end);
    }
  }
  out.push({
    labelsFrom: start,
    labelsTo: scattered ? end : labelsTo,
    scattered,
    first,
    count: n - first,
    histograms,
  });
  return n;
}

function labelOf(end: number): [string, string] | null {
  let name: string | null = '';
  let value: string | null = '';
  while (pos < end) {
    const tag = varint(end);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire === 2 && (field === 1 || field === 2)) {
      const to = delimited(end);
      const s = text(pos, to);
      if (field === 1) name = s;
      else value = s;
      pos = to;
    } else if (field === 0 || field <= 2) {
      throw new WireError(`field ${field} of Label has wire type ${wire}, not 2`);
    } else {
      skip(wire, end);
    }
  }
  return name === null || value === null ? null : [name, value];
}

function sample(end: number, at: number): void {
  let value = 0;
  let stamp = 0;
  let marker = 0;
  while (pos < end) {
    const tag = varint(end);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === 1) {
      if (end - pos < 8) throw new WireError('a sample value runs past the end');
      value = view.getFloat64(pos, true);
      // Prometheus' stale marker: the NaN 0x7ff0000000000002 (a payload a Float64Array may not keep).
      marker = view.getUint32(pos + 4, true) === 0x7ff00000 && view.getUint32(pos, true) === 2 ? 1 : 0;
      pos += 8;
    } else if (field === 2 && wire === 0) {
      stamp = int64(end);
    } else if (field === 0 || field <= 2) {
      throw new WireError(`field ${field} of Sample has wire type ${wire}`);
    } else {
      skip(wire, end);
    }
  }
  values[at] = value;
  stamps[at] = stamp;
  stale[at] = marker;
}

function metricMetadata(end: number): RawRequest['metadata'][number] {
  let type: MetadataType = 'unknown';
  let name = '';
  let help = '';
  while (pos < end) {
    const tag = varint(end);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === 0) {
      type = METADATA_TYPES[varint(end)] ?? 'unknown';
    } else if ((field === 2 || field === 4) && wire === 2) {
      const to = delimited(end);
      const s = text(pos, to) ?? '';
      if (field === 2) name = s;
      else help = s;
      pos = to;
    } else if (field === 0) {
      throw new WireError('field number 0 is not valid protobuf');
    } else {
      skip(wire, end);
    }
  }
  return { name, type, help };
}
