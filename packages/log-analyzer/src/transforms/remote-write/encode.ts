// The sending side of remote-write, for tests, the bench and load generators: a WriteRequest
// encoder (the messages write-request.ts reads) and a snappy block compressor (greedy, 4-byte hash
// matches, as snappy's own). Pure; the analyzer itself only decodes.

export interface SeriesToSend {
  /** name, value pairs, `__name__` among them, in the order to send (Prometheus sorts them). */
  labels: readonly (readonly [string, string])[];
  samples: readonly { value: number; timestamp: number }[];
  /** Native histograms: only their count matters here (each is sent as an empty Histogram message). */
  histograms?: number;
}

class Writer {
  private buf: Uint8Array<ArrayBuffer>;
  private view: DataView;
  length = 0;

  constructor(size = 64) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  varint(value: number): void {
    this.room(10);
    if (value < 0) {
      // int64: ten bytes of two's complement.
      let big = BigInt.asUintN(64, BigInt(value));
      while (big >= 0x80n) {
        this.buf[this.length++] = Number(big & 0x7fn) | 0x80;
        big >>= 7n;
      }
      this.buf[this.length++] = Number(big);
      return;
    }
    let v = value;
    while (v >= 0x80) {
      this.buf[this.length++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.length++] = v;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  double(value: number): void {
    this.room(8);
    this.view.setFloat64(this.length, value, true);
    this.length += 8;
  }

  /** Field `field` holding what `body` writes, length-delimited. */
  message(field: number, body: (w: Writer) => void): void {
    const inner = new Writer();
    body(inner);
    this.varint(field * 8 + 2);
    this.varint(inner.length);
    this.bytes(inner.done());
  }

  done(): Uint8Array<ArrayBuffer> {
    return this.buf.subarray(0, this.length);
  }
}

const utf8 = new TextEncoder();

/** Pure: series → a WriteRequest's protobuf bytes (uncompressed). */
export function encodeWriteRequest(series: readonly SeriesToSend[]): Uint8Array<ArrayBuffer> {
  const w = new Writer(1 << 16);
  for (const s of series) {
    w.message(1, (ts) => {
      for (const [name, value] of s.labels) {
        ts.message(1, (l) => {
          const n = utf8.encode(name);
          const v = utf8.encode(value);
          l.varint(0x0a);
          l.varint(n.length);
          l.bytes(n);
          l.varint(0x12);
          l.varint(v.length);
          l.bytes(v);
        });
      }
      for (const sample of s.samples) {
        ts.message(2, (m) => {
          m.varint(0x09);
          m.double(sample.value);
          m.varint(0x10);
          m.varint(sample.timestamp);
        });
      }
      for (let k = 0; k < (s.histograms ?? 0); k++) ts.message(4, () => {});
    });
  }
  return w.done().slice();
}

/** Pure: bytes → a snappy block (greedy: a 4-byte hash table of the last position, copies of up to 64 bytes). */
export function snappyCompress(input: Uint8Array): Uint8Array<ArrayBuffer> {
  const out: number[] = [];
  let n = input.length;
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  const table = new Int32Array(1 << 14).fill(-1);
  const hash = (i: number) =>
    (Math.imul(
      (input[i] as number) |
        ((input[i + 1] as number) << 8) |
        ((input[i + 2] as number) << 16) |
        ((input[i + 3] as number) << 24),
      0x1e35a7bd,
    ) >>>
      18) &
    0x3fff;
  let literalFrom = 0;
  const literal = (to: number) => {
    for (let from = literalFrom; from < to; ) {
      const len = Math.min(to - from, 65536);
      if (len <= 60) out.push((len - 1) << 2);
      else if (len <= 256) out.push(60 << 2, len - 1);
      else out.push(61 << 2, (len - 1) & 0xff, (len - 1) >>> 8);
      for (let k = from; k < from + len; k++) out.push(input[k] as number);
      from += len;
    }
  };
  let i = 0;
  while (i + 4 <= input.length) {
    const h = hash(i);
    const candidate = table[h] as number;
    table[h] = i;
    if (
      candidate >= 0 &&
      i - candidate <= 0xffff &&
      input[candidate] === input[i] &&
      input[candidate + 1] === input[i + 1] &&
      input[candidate + 2] === input[i + 2] &&
      input[candidate + 3] === input[i + 3]
    ) {
      literal(i);
      let len = 4;
      while (len < 64 && i + len < input.length && input[candidate + len] === input[i + len]) len++;
      const offset = i - candidate;
      out.push(((len - 1) << 2) | 2, offset & 0xff, offset >>> 8);
      i += len;
      literalFrom = i;
    } else {
      i++;
    }
  }
  literal(input.length);
  return Uint8Array.from(out);
}
