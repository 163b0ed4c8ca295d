import { describe, expect, it } from 'vitest';
import { encodeCommand, joinedOf, ReplyReader, scalarOf } from './resp-reader.js';

describe('encodeCommand', () => {
  it.each([
    { name: 'a command', given: ['LLEN', 'q'], want: '*2\r\n$4\r\nLLEN\r\n$1\r\nq\r\n' },
    { name: 'lengths in bytes, not characters', given: ['GET', 'é'], want: '*2\r\n$3\r\nGET\r\n$2\r\né\r\n' },
    { name: 'an empty argument', given: ['ECHO', ''], want: '*2\r\n$4\r\nECHO\r\n$0\r\n\r\n' },
  ])('$name', ({ given, want }) => {
    expect(encodeCommand(given)).toBe(want);
  });
});

/** Replies of every kind, one after another on the wire. */
const REPLIES = [
  ':1000\r\n',
  ':-3\r\n',
  '+OK\r\n',
  '-NOSCRIPT No matching script\r\n',
  '$-1\r\n',
  '$0\r\n\r\n',
  '$12\r\nline\r\nbreak!\r\n', // CR LF inside a bulk string is data
  '*0\r\n',
  '*-1\r\n',
  '*3\r\n$1\r\na\r\n$0\r\n\r\n$5\r\n{"x":\r\n',
  '*2\r\n*1\r\n:1\r\n$2\r\nok\r\n', // nested
];
const WIRE = Buffer.from(REPLIES.join(''));

function readAll(chunks: Buffer[]): string[] {
  const reader = new ReplyReader();
  const out: string[] = [];
  for (const chunk of chunks) {
    reader.push(chunk);
    for (let reply = reader.next(); reply !== null; reply = reader.next()) out.push(reply.toString());
  }
  return out;
}

describe('ReplyReader: whole replies out of a stream of chunks', () => {
  it('all at once', () => {
    expect(readAll([WIRE])).toEqual(REPLIES);
  });

  it('cut in two at every position', () => {
    for (let at = 0; at <= WIRE.length; at++) {
      expect(readAll([WIRE.subarray(0, at), WIRE.subarray(at)]), `cut at ${at}`).toEqual(REPLIES);
    }
  });

  it('one byte at a time', () => {
    expect(readAll([...WIRE].map((b) => Buffer.from([b])))).toEqual(REPLIES);
  });

  it('nothing until a reply is whole', () => {
    const reader = new ReplyReader();
    reader.push(Buffer.from('*2\r\n$3\r\nab'));
    expect(reader.next()).toBeNull();
    reader.push(Buffer.from('c\r\n$1\r\nd\r'));
    expect(reader.next()).toBeNull();
    reader.push(Buffer.from('\n:7'));
    expect(reader.next()?.toString()).toBe('*2\r\n$3\r\nabc\r\n$1\r\nd\r\n');
    expect(reader.next()).toBeNull();
    reader.push(Buffer.from('\r\n'));
    expect(reader.next()?.toString()).toBe(':7\r\n');
  });
});

describe('scalarOf', () => {
  it.each([
    { name: 'an integer', given: ':1000\r\n', want: 1000 },
    { name: 'a negative integer', given: ':-1\r\n', want: -1 },
    { name: 'a status', given: '+OK\r\n', want: 'OK' },
    { name: 'nil', given: '$-1\r\n', want: null },
    { name: 'a bulk string', given: '$5\r\nab\r\nc\r\n', want: Buffer.from('ab\r\nc') },
    { name: 'an error', given: '-ERR wrong\r\n', want: new Error('ERR wrong') },
    { name: 'an array is not one', given: '*0\r\n', want: new Error('unexpected reply: *0\r') },
  ])('$name', ({ given, want }) => {
    expect(scalarOf(Buffer.from(given))).toEqual(want);
  });
});

describe('joinedOf: an array of bulk strings → one buffer, joined by NUL bytes', () => {
  it.each([
    { name: 'empty (no list)', given: '*0\r\n', want: { count: 0, text: '' } },
    { name: 'one message', given: '*1\r\n$7\r\n{"a":1}\r\n', want: { count: 1, text: '{"a":1}' } },
    {
      name: 'oldest first, as they came',
      given: '*3\r\n$1\r\na\r\n$2\r\nbc\r\n$1\r\nd\r\n',
      want: { count: 3, text: 'a\0bc\0d' },
    },
    {
      name: 'an empty message keeps its place',
      given: '*3\r\n$1\r\na\r\n$0\r\n\r\n$1\r\nb\r\n',
      want: { count: 3, text: 'a\0\0b' },
    },
    {
      name: 'CR LF inside a message',
      given: '*2\r\n$4\r\na\r\nb\r\n$1\r\nc\r\n',
      want: { count: 2, text: 'a\r\nb\0c' },
    },
    { name: 'UTF-8 bytes unchanged', given: '*1\r\n$2\r\né\r\n', want: { count: 1, text: 'é' } },
  ])('$name', ({ given, want }) => {
    const joined = joinedOf(Buffer.from(given));
    if (joined instanceof Error) throw joined;
    expect({ count: joined.count, text: Buffer.from(joined.bytes).toString() }).toEqual(want);
    // Its own buffer: a decode thread takes it without a copy.
    expect(joined.bytes.byteOffset === 0 && joined.bytes.byteLength === joined.bytes.buffer.byteLength).toBe(true);
  });

  it('an error reply is the error', () => {
    expect(joinedOf(Buffer.from('-WRONGTYPE Operation against a key holding the wrong kind of value\r\n'))).toEqual(
      new Error('WRONGTYPE Operation against a key holding the wrong kind of value'),
    );
  });
});
