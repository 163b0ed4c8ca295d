import { describe, expect, it } from 'vitest';
import { snappyCompress } from './encode.js';
import { SnappyError, snappyDecompress } from './snappy.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const text = (b: Uint8Array) => Buffer.from(b).toString();

describe('snappyDecompress reads what the reference snappy writes', () => {
  // Made by the napi-rs `snappy` package (Google's C++ snappy) from these texts.
  const table: { name: string; given: string; want: string }[] = [
    { name: 'a 1-byte-offset copy', given: '171468656c6c6f20420600', want: 'hello hello hello hello' },
    { name: 'an overlapping run (offset 1)', given: 'c8010061fe0100fe0100fe01000d01', want: 'a'.repeat(200) },
    {
      name: 'a literal longer than 60 bytes (length in the next byte), then 2-byte-offset copies',
      given:
        'ac02f05b21282f363d444b525960676e75222930373e454c535a61686f76232a31383f464d545b62697077242b323940474e555c636a7178252c333a41484f565d646b7279262d343b424950575e656c737a272e353c434a51585f666d742128fe5a00fe5a00fe5a003e5a00',
      want: Array.from({ length: 300 }, (_, i) => String.fromCharCode(33 + ((i * 7) % 90))).join(''),
    },
  ];
  for (const { name, given, want } of table) {
    it(name, () => {
      expect(text(snappyDecompress(hex(given), 1 << 20))).toBe(want);
    });
  }

  it('round-trips what the test compressor writes (runs, literals of every length class, 70 KB)', () => {
    const inputs = [
      new Uint8Array(0),
      Uint8Array.from({ length: 70_000 }, (_, i) => (i * 2654435761) >>> 24),
      Uint8Array.from({ length: 70_000 }, (_, i) => i % 251),
      new TextEncoder().encode('abcd'.repeat(5000)),
    ];
    for (const input of inputs) {
      expect(Buffer.from(snappyDecompress(snappyCompress(input), 1 << 20)).equals(Buffer.from(input))).toBe(true);
    }
  });
});

describe('snappyDecompress refuses what is not a whole block', () => {
  const table: { name: string; given: Uint8Array; want: RegExp }[] = [
    { name: 'empty', given: new Uint8Array(0), want: /no length/ },
    { name: 'a length varint that never ends', given: hex('ffffffffff'), want: /no length/ },
    { name: 'a declared length over the cap (no allocation)', given: hex('ffffffff0f00'), want: /declares 4294967295/ },
    { name: 'a literal past the end of the body', given: hex('0a2461'), want: /literal runs past the end/ },
    { name: 'a literal length byte missing', given: hex('0af0'), want: /literal length runs past/ },
    { name: 'a literal past the declared length', given: hex('010461626364'), want: /past the declared length/ },
    { name: 'a copy with offset 0', given: hex('080061050000'), want: /before the start/ },
    { name: 'a copy from before the start', given: hex('08006105ff00'), want: /before the start/ },
    { name: 'a copy cut short', given: hex('08006106'), want: /copy runs past the end/ },
    { name: 'a 4-byte-offset copy cut short', given: hex('0800610701'), want: /copy runs past the end/ },
    { name: 'a copy past the declared length', given: hex('030061fe0100'), want: /past the declared length/ },
    { name: 'fewer bytes than declared', given: hex('0a0061'), want: /holds 1 bytes, not the 10/ },
  ];
  for (const { name, given, want } of table) {
    it(name, () => {
      expect(() => snappyDecompress(given, 1 << 16)).toThrow(SnappyError);
      expect(() => snappyDecompress(given, 1 << 16)).toThrow(want);
    });
  }
});
