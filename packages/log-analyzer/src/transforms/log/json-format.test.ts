import { describe, expect, it } from 'vitest';
import { METHODS } from '../../metrics/methods.js';
import { compileAnyFormat } from './formats.js';
import { compileJsonFormat } from './json-format.js';
import { emptyParsedLine } from './line-parser.js';

function parse(format: string, line: string) {
  const bytes = Buffer.from(line, 'latin1');
  const out = emptyParsedLine();
  const ok = compileAnyFormat(format).parse(bytes, 0, bytes.length, out);
  return ok
    ? {
        method: METHODS[out.method],
        status: out.status,
        bytes: out.bytes,
        seconds: out.seconds,
        upstream: out.upstream,
      }
    : null;
}

const NaN_ = Number.NaN;

describe('JSON access lines', () => {
  it.each([
    {
      name: 'nginx escape=json: strings hold the numbers',
      given: ['json_nginx', '{"request":"GET / HTTP/1.1","status":"200","body_bytes_sent":"5","request_time":"0.5"}'],
      want: { method: 'GET', status: 200, bytes: 5, seconds: 0.5, upstream: NaN_ },
    },
    {
      name: 'an upstream list in a string is summed',
      given: ['json_nginx', '{"status":"502","upstream_response_time":"0.25, 0.5 : 0.25"}'],
      want: { method: 'OTHER', status: 502, bytes: 0, seconds: NaN_, upstream: 1 },
    },
    {
      name: 'keys of a wanted length but other bytes, or at another depth, are not taken',
      given: [
        'json status=st method=rq.mth bytes=sz',
        '{"rq":{"st":500,"mtx":"PUT","mth":"POST"},"xy":1,"mth":"GET","s":2,"sz":7,"st":201,"sy":9}',
      ],
      want: { method: 'POST', status: 201, bytes: 7, seconds: NaN_, upstream: NaN_ },
    },
    {
      name: 'a nested path (Caddy)',
      given: ['json_caddy', '{"request":{"headers":{"method":["x"]},"method":"HEAD"},"status":304,"size":0}'],
      want: { method: 'HEAD', status: 304, bytes: 0, seconds: NaN_, upstream: NaN_ },
    },
    {
      name: 'nanoseconds (Traefik)',
      given: ['json_traefik', '{"DownstreamStatus":200,"Duration":1500000000,"OriginDuration":500000000}'],
      want: { method: 'OTHER', status: 200, bytes: 0, seconds: 1.5, upstream: 0.5 },
    },
    {
      name: 'a mapping with a unit',
      given: ['json status=code method=m duration=took:ms', '{"m":"GET","code":201,"took":250}'],
      want: { method: 'GET', status: 201, bytes: 0, seconds: 0.25, upstream: NaN_ },
    },
    {
      name: 'whitespace around tokens',
      given: ['json', '  { "status" : 200 , "method" : "PUT" }  '],
      want: { method: 'PUT', status: 200, bytes: 0, seconds: NaN_, upstream: NaN_ },
    },
    {
      name: 'a key that is a prefix of a wanted one does not match',
      given: ['json', '{"stat":500,"status":200}'],
      want: { method: 'OTHER', status: 200, bytes: 0, seconds: NaN_, upstream: NaN_ },
    },
    { name: 'missing status', given: ['json', '{"method":"GET"}'], want: null },
    { name: 'truncated', given: ['json', '{"status":200,"method":"GE'], want: null },
    { name: 'an unclosed nested value', given: ['json', '{"status":200,"x":[1,{"a":2}'], want: null },
    { name: 'status out of range', given: ['json', '{"status":600}'], want: null },
    { name: 'a fractional status', given: ['json', '{"status":200.5}'], want: null },
    { name: 'negative bytes', given: ['json', '{"status":200,"bytes":-1}'], want: null },
    { name: 'not an object', given: ['json', '[{"status":200}]'], want: null },
    { name: 'an empty line', given: ['json', ''], want: null },
    {
      name: 'deep nesting past the limit fails instead of recursing',
      given: ['json', `{"status":200,"x":${'['.repeat(100)}${']'.repeat(100)}}`],
      want: null,
    },
  ])('$name', ({ given: [format, line], want }) => {
    expect(parse(format as string, line as string)).toEqual(want);
  });

  it.each([
    ['json nope=x', /not a JSON field mapping/],
    ['json status=x:ms', /only duration and upstream take a unit/],
    ['json duration=x:hours', /not a JSON field mapping|take a unit/],
  ])('refuses %s', (text, error) => {
    expect(() => compileJsonFormat(text)).toThrow(error);
  });

  it('a line that is not UTF-8 or holds NUL still parses by bytes', () => {
    expect(parse('json', '{"method":"GET","path":"/caf\xe9\x00","status":200}')?.status).toBe(200);
  });
});
