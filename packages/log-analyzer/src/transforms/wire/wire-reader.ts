// The protobuf wire format, read by hand: varints, fixed-width numbers and length-delimited fields,
// every length checked against the end of its message before it is followed. Pure; one reader per
// body (decoders keep it for the length of one synchronous decode).

export class WireError extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class WireReader {
  readonly buf: Uint8Array;
  readonly view: DataView;
  /** The same bytes as a Buffer, for its native UTF-8 slice. */
  private readonly native: Buffer;
  pos = 0;

  constructor(bytes: Uint8Array) {
    this.buf = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.native = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** An unsigned varint (exact up to 2^53; larger ones lose their low bits). */
  varint(end: number): number {
    const { buf } = this;
    let value = 0;
    let scale = 1;
    for (let k = 0; k < 10; k++) {
      if (this.pos >= end) throw new WireError('a varint runs past the end of its message');
      const b = buf[this.pos++] as number;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
    throw new WireError('a varint is longer than 10 bytes');
  }

  /** A field's tag: its number and wire type; field 0 is not valid protobuf. */
  tag(end: number): number {
    const tag = this.varint(end);
    if (tag < 8) throw new WireError('field number 0 is not valid protobuf');
    return tag;
  }

  /** An int64 varint: a negative one is ten bytes of two's complement (read again exactly). */
  int64(end: number): number {
    const from = this.pos;
    const value = this.varint(end);
    if (value < 2 ** 63) return value;
    let big = 0n;
    for (let i = this.pos - 1; i >= from; i--) big = (big << 7n) | BigInt((this.buf[i] as number) & 0x7f);
    return Number(BigInt.asIntN(64, big));
  }

  /** A sint32/sint64 (zigzag) varint. */
  sint(end: number): number {
    const n = this.varint(end);
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  /** The end of a length-delimited field, checked against its message's. */
  delimited(end: number): number {
    const length = this.varint(end);
    if (length > end - this.pos) throw new WireError(`a field declares ${length} bytes, past the end of its message`);
    return this.pos + length;
  }

  private need(n: number, end: number): void {
    if (end - this.pos < n) throw new WireError(`a ${n * 8}-bit field runs past the end of its message`);
  }

  double(end: number): number {
    this.need(8, end);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A fixed64 as a number (exact up to 2^53: nanosecond times lose under a microsecond). */
  fixed64(end: number): number {
    this.need(8, end);
    const v = this.view.getUint32(this.pos, true) + this.view.getUint32(this.pos + 4, true) * 2 ** 32;
    this.pos += 8;
    return v;
  }

  /** An sfixed64 as a number. */
  sfixed64(end: number): number {
    this.need(8, end);
    const v = Number(this.view.getBigInt64(this.pos, true));
    this.pos += 8;
    return v;
  }

  skip(wire: number, end: number): void {
    switch (wire) {
      case 0:
        this.varint(end);
        return;
      case 1:
        this.need(8, end);
        this.pos += 8;
        return;
      case 2:
        this.pos = this.delimited(end);
        return;
      case 5:
        this.need(4, end);
        this.pos += 4;
        return;
      default:
        throw new WireError(`wire type ${wire} is not one these messages use`);
    }
  }

  /** A length-delimited string field as text; throws WireError when it is not UTF-8. */
  text(end: number): string {
    const to = this.delimited(end);
    const s = this.native.toString('utf8', this.pos, to);
    // The native slice writes U+FFFD for bytes that are not UTF-8: only then is the strict decoder asked.
    if (s.includes('\uFFFD')) {
      try {
        utf8.decode(this.buf.subarray(this.pos, to));
      } catch {
        throw new WireError('a string is not UTF-8');
      }
    }
    this.pos = to;
    return s;
  }

  /** A length-delimited field's bytes as base64. */
  base64(end: number): string {
    const to = this.delimited(end);
    const s = this.native.toString('base64', this.pos, to);
    this.pos = to;
    return s;
  }
}
