import { describe, expect, it } from 'vitest';
import { compileAnyFormat } from './formats.js';
import { emptyParsedLine } from './line-parser.js';
import { MAX_ROUTE, routeOfBytes } from './request-route.js';
import { compileTemplates } from './route.js';
import { ChunkSummarizer } from './summarize-chunk.js';

const templates = compileTemplates(['/users/{id}']);
const enc = new TextEncoder();

/** The route a format's path-finding parser gives one line ("" when the line does not parse). */
function routeOfLine(format: string, text: string): string {
  const parse = compileAnyFormat(format, true).parse;
  const buf = enc.encode(text);
  const line = emptyParsedLine();
  if (!parse(buf, 0, buf.length, line)) return 'unparsed';
  return routeOfBytes(buf, line.pathStart, line.pathEnd, templates);
}

const T = '[03/Dec/2026:17:00:00 +0000]';

describe('the request path per format', () => {
  it.each([
    {
      name: 'Apache %r',
      format: 'common',
      line: `1.2.3.4 - - ${T} "GET /users/42?x=1 HTTP/1.1" 200 5`,
      want: '/users/{id}',
    },
    {
      name: 'Apache %U before %r',
      format: '%h %U "%r" %>s %b',
      line: '1.2.3.4 /a/7 "GET /other HTTP/1.1" 200 5',
      want: '/a/{id}',
    },
    {
      name: 'nginx $request',
      format: 'nginx_main',
      line: `1.2.3.4 - - ${T} "POST /items/9 HTTP/1.1" 201 5 "-" "ua" "-"`,
      want: '/items/{id}',
    },
    {
      name: 'nginx $request_uri',
      format: '$remote_addr "$request_method $request_uri" $status',
      line: '1.2.3.4 "GET /b/10?q" 200',
      want: '/b/{id}',
    },
    { name: 'nginx $uri', format: '$remote_addr $uri $status', line: '1.2.3.4 /c/ff00aa11bb 200', want: '/c/{id}' },
    { name: 'a request line of one word', format: 'common', line: `1.2.3.4 - - ${T} "-" 400 0`, want: '' },
    {
      name: 'JSON request',
      format: 'json',
      line: '{"status":200,"request":"GET /users/5 HTTP/1.1"}',
      want: '/users/{id}',
    },
    {
      name: 'JSON path field wins, wherever it comes',
      format: 'json path=uri',
      line: '{"uri":"/p/1","status":200,"request":"GET /q HTTP/1.1"}',
      want: '/p/{id}',
    },
    {
      name: 'JSON Caddy with its uri mapped',
      format: 'json_caddy path=request.uri',
      line: '{"request":{"method":"GET","uri":"/x/2?y"},"status":200,"size":1,"duration":0.1}',
      want: '/x/{id}',
    },
    { name: 'JSON without a path', format: 'json', line: '{"status":200}', want: '' },
  ])('$name', ({ format, line, want }) => {
    expect(routeOfLine(format, line)).toBe(want);
  });

  it('a parser made without the path leaves it unset (the default path does no route work)', () => {
    const buf = enc.encode(`1.2.3.4 - - ${T} "GET /users/42 HTTP/1.1" 200 5`);
    const line = emptyParsedLine();
    expect(compileAnyFormat('common').parse(buf, 0, buf.length, line)).toBe(true);
    expect([line.pathStart, line.pathEnd]).toEqual([-1, -1]);
  });
});

describe('hostile paths', () => {
  const route = (bytes: Uint8Array) => routeOfBytes(bytes, 0, bytes.length, templates);
  it.each([
    { name: 'dot segments resolved', given: '/a/./b/../c', want: '/a/c' },
    { name: 'dot-dot past the root', given: '/../../etc/passwd', want: '/etc/passwd' },
    { name: 'percent escapes kept as written', given: '/a%2Fb/%2e%2e/42', want: '/a%2Fb/%2e%2e/{id}' },
    { name: 'a fragment dropped', given: '/a/1#frag', want: '/a/{id}' },
    { name: 'a dash (no path)', given: '-', want: '' },
  ])('$name', ({ given, want }) => {
    expect(route(enc.encode(given))).toBe(want);
  });

  it('non-UTF-8 bytes become U+FFFD', () => {
    expect(route(Uint8Array.from([0x2f, 0x61, 0xff, 0xfe, 0x2f, 0x31]))).toBe('/a\ufffd\ufffd/{id}');
  });

  it(`a huge path is cut to ${MAX_ROUTE} characters`, () => {
    const got = route(enc.encode(`/${'x'.repeat(100_000)}`));
    expect(got.length).toBe(MAX_ROUTE);
  });
});

describe('ChunkSummarizer with routes', () => {
  it('counts requests by method, status and route; the duration as before', () => {
    const format = compileAnyFormat('combined_duration', true);
    const s = new ChunkSummarizer(format.parse, 65536, templates);
    const line = (path: string, status: number) =>
      `1.2.3.4 - - ${T} "GET ${path} HTTP/1.1" ${status} 10 "-" "ua" 1000\n`;
    const summary = s.summarize(
      enc.encode(line('/users/1', 200) + line('/users/2?a', 200) + line('/items/3', 200) + line('/items/3', 404)),
    );
    expect(
      summary.requests.sort((a, b) => (a.route ?? '').localeCompare(b.route ?? '') || a.status - b.status),
    ).toEqual([
      { method: expect.any(Number), status: 200, count: 1, bytes: 10, route: '/items/{id}' },
      { method: expect.any(Number), status: 404, count: 1, bytes: 10, route: '/items/{id}' },
      { method: expect.any(Number), status: 200, count: 2, bytes: 20, route: '/users/{id}' },
    ]);
    expect(summary.durations[0]?.count).toBe(4);
    // drained: the next chunk starts empty
    expect(s.summarize(enc.encode(line('/z', 200))).requests.map((r) => r.route)).toEqual(['/z']);
  });
});
