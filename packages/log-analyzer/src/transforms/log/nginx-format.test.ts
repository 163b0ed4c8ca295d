import { describe, expect, it } from 'vitest';
import { METHODS } from '../../metrics/methods.js';
import { compileAnyFormat } from './formats.js';
import { emptyParsedLine } from './line-parser.js';
import { compileFormat, FormatError } from './log-format.js';

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

const T = '03/Dec/2026:17:00:00 +0000';
const F =
  '$remote_addr [$time_local] "$request" $status $body_bytes_sent $request_time $upstream_status $upstream_response_time';

describe('nginx log_format', () => {
  it.each([
    {
      name: 'one upstream',
      given: `1.2.3.4 [${T}] "GET / HTTP/1.1" 200 5 0.010 200 0.008`,
      want: { method: 'GET', status: 200, bytes: 5, seconds: 0.01, upstream: 0.008 },
    },
    {
      name: 'two servers tried and a redirect: times summed',
      given: `1.2.3.4 [${T}] "GET / HTTP/1.1" 200 5 0.010 502, 200 : 200 0.001, 0.002 : 0.004`,
      want: { method: 'GET', status: 200, bytes: 5, seconds: 0.01, upstream: 0.007 },
    },
    {
      name: 'no upstream: not observed',
      given: `1.2.3.4 [${T}] "GET / HTTP/1.1" 200 5 0.010 - -`,
      want: { method: 'GET', status: 200, bytes: 5, seconds: 0.01, upstream: Number.NaN },
    },
    {
      name: 'a failed server without a time',
      given: `1.2.3.4 [${T}] "GET / HTTP/1.1" 502 5 0.010 502, 502 -, 0.003`,
      want: { method: 'GET', status: 502, bytes: 5, seconds: 0.01, upstream: 0.003 },
    },
    {
      name: 'a list that ends in a comma',
      given: `1.2.3.4 [${T}] "GET / HTTP/1.1" 200 5 0.010 200 0.001,`,
      want: null,
    },
    {
      name: 'a bad $time_local',
      given: `1.2.3.4 [3/Dec/2026:17:00:00 +0000] "GET / HTTP/1.1" 200 5 0.010 200 0.1`,
      want: null,
    },
  ])('$name', ({ given, want }) => {
    expect(parse(F, given)).toEqual(want);
  });

  it('the braced and bare spellings are the same variable; unknown variables are free text', () => {
    const braced = `$${'{'}status}`; // nginx's ${status}
    expect(parse(`${braced} $whatever "$request"`, '404 x "POST /"')).toMatchObject({ method: 'POST', status: 404 });
  });

  it('nginx_main and nginx_combined are presets', () => {
    const line = `1.2.3.4 - - [${T}] "GET / HTTP/1.1" 200 5 "-" "curl"`;
    expect(parse('nginx_combined', line)).toMatchObject({ method: 'GET', status: 200, bytes: 5 });
    expect(parse('nginx_main', `${line} "-"`)).toMatchObject({ method: 'GET', status: 200, bytes: 5 });
  });

  it.each([
    ['no status', '$remote_addr $body_bytes_sent', /no status directive/],
    ['an unclosed ${', '$status ${request', /unterminated/],
    ['two variables with nothing between', '$status$body_bytes_sent', /need something between them/],
  ])('refuses %s', (_, format, error) => {
    expect(() => compileFormat(format)).toThrow(FormatError);
    expect(() => compileFormat(format)).toThrow(error);
  });
});
