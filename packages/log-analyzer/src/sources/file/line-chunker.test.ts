import { describe, expect, it } from 'vitest';
import { LineChunker } from './line-chunker.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Feeds `parts` one read each and returns the chunks as text plus the too-long count. */
function feed(maxLineBytes: number, parts: string[], flush = false) {
  const chunker = new LineChunker(maxLineBytes);
  const chunks: string[] = [];
  let tooLong = 0;
  for (const part of parts) {
    const bytes = enc.encode(part);
    const { buffer, carried } = chunker.prepare(bytes.length);
    buffer.set(bytes, carried);
    const out = chunker.accept(buffer, carried, bytes.length);
    if (out.chunk) chunks.push(dec.decode(out.chunk));
    tooLong += out.tooLong;
  }
  if (flush) {
    const out = chunker.flush();
    if (out.chunk) chunks.push(dec.decode(out.chunk));
    tooLong += out.tooLong;
  }
  return { chunks, tooLong, pending: chunker.pendingBytes };
}

describe('LineChunker', () => {
  it('cuts at the last newline and carries the rest', () => {
    expect(feed(100, ['a\nb\nc', 'd\ne'])).toEqual({ chunks: ['a\nb\n', 'cd\n'], tooLong: 0, pending: 1 });
  });
  it('a line split across many reads comes out whole', () => {
    expect(feed(100, ['he', 'll', 'o', '\n'])).toEqual({ chunks: ['hello\n'], tooLong: 0, pending: 0 });
  });
  it('flush hands over the unterminated last line', () => {
    expect(feed(100, ['a\nlast'], true)).toEqual({ chunks: ['a\n', 'last'], tooLong: 0, pending: 0 });
  });
  it('a line over the limit is skipped as it streams, and counted once', () => {
    const long = 'x'.repeat(50);
    expect(feed(10, ['ok\n', long.slice(0, 20), long.slice(20), '\nnext\n'])).toEqual({
      chunks: ['ok\n', 'next\n'],
      tooLong: 1,
      pending: 0,
    });
  });
  it('never holds more than the limit of an over-long line', () => {
    const { pending } = feed(10, ['y'.repeat(15), 'y'.repeat(1000)]);
    expect(pending).toBe(1015); // counted as skipped bytes, not held: see below
    const chunker = new LineChunker(10);
    const { buffer, carried } = chunker.prepare(1000);
    buffer.fill(0x79, carried);
    chunker.accept(buffer, carried, 1000);
    expect(chunker.prepare(1).carried).toBe(0);
  });
  it('an over-long unterminated last line is counted at flush', () => {
    expect(feed(10, ['a\n', 'z'.repeat(30)], true)).toEqual({ chunks: ['a\n'], tooLong: 1, pending: 0 });
  });
  it('a line exactly at the limit plus "\\r" is still carried', () => {
    expect(feed(5, ['12345\r', '\n'])).toEqual({ chunks: ['12345\r\n'], tooLong: 0, pending: 0 });
  });
  it('chunks are fresh buffers that do not share memory with the carry', () => {
    const chunker = new LineChunker(100);
    const bytes = enc.encode('one\ntwo');
    const { buffer, carried } = chunker.prepare(bytes.length);
    buffer.set(bytes, carried);
    const { chunk } = chunker.accept(buffer, carried, bytes.length);
    structuredClone(chunk, { transfer: [(chunk as Uint8Array).buffer as ArrayBuffer] }); // detaches it, as the pool does
    expect(dec.decode(chunker.flush().chunk as Uint8Array)).toBe('two');
  });
});
