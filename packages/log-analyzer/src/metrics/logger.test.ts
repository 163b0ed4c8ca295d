import { describe, expect, it } from 'vitest';
import { createLogger, resolvedFormat, textLine } from './logger.js';
import { tracesUrl } from './tracing.js';

describe('--log-format auto', () => {
  const table: { name: string; given: [string, boolean]; want: 'json' | 'text' }[] = [
    { name: 'auto at a terminal', given: ['auto', true], want: 'text' },
    { name: 'auto into a pipe, journald or a container', given: ['auto', false], want: 'json' },
    { name: 'json at a terminal', given: ['json', true], want: 'json' },
    { name: 'text into a pipe', given: ['text', false], want: 'text' },
  ];
  for (const { name, given, want } of table) it(name, () => expect(resolvedFormat(...given)).toBe(want));
});

describe('a text line', () => {
  const table: { name: string; given: object; want: string }[] = [
    {
      name: 'the message as it always was',
      given: { level: 'info', time: 't', msg: 'SIGTERM: checkpointing and stopping' },
      want: 'log-analyzer: SIGTERM: checkpointing and stopping\n',
    },
    {
      name: 'fields after it, quoted when they need it',
      given: {
        level: 'warn',
        time: 't',
        msg: 'request refused',
        requestId: 'a-1',
        status: 401,
        reason: 'no key given',
      },
      want: 'log-analyzer: request refused requestId=a-1 status=401 reason="no key given"\n',
    },
    {
      name: 'a reload: its fields are in its message already',
      given: {
        level: 'info',
        time: 't',
        msg: 'SIGHUP: configuration reloaded: x',
        event: 'reload',
        trigger: 'SIGHUP',
        result: 'success',
      },
      want: 'log-analyzer: SIGHUP: configuration reloaded: x\n',
    },
    {
      name: 'a newline in a field stays on the line',
      given: { level: 'warn', time: 't', msg: 'm', reason: 'a\nb' },
      want: 'log-analyzer: m reason="a\\nb"\n',
    },
  ];
  for (const { name, given, want } of table) it(name, () => expect(textLine(JSON.stringify(given))).toBe(want));
});

describe('the JSON log', () => {
  it('has time, level and msg on every line', () => {
    const lines: string[] = [];
    const log = createLogger({ format: 'json', level: 'info', write: (l) => lines.push(l) });
    log.info('started');
    log.warn({ requestId: 'x' }, 'request refused');
    log.debug('not at info');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), level: 'info', msg: 'started' },
      { time: expect.any(String), level: 'warn', msg: 'request refused', requestId: 'x' },
    ]);
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
  });
});

describe('where spans go', () => {
  const table: {
    name: string;
    given: [string | undefined, boolean, Record<string, string>];
    want: string | null;
  }[] = [
    { name: 'off by default', given: [undefined, false, {}], want: null },
    {
      name: 'off, whatever OTEL_* says',
      given: [undefined, false, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }],
      want: null,
    },
    { name: 'the flag, a base URL', given: ['http://c:4318', false, {}], want: 'http://c:4318/v1/traces' },
    { name: 'the flag, with a slash', given: ['http://c:4318/', false, {}], want: 'http://c:4318/v1/traces' },
    { name: 'the flag, the full URL', given: ['https://c/v1/traces', false, {}], want: 'https://c/v1/traces' },
    { name: 'switched on: localhost', given: [undefined, true, {}], want: 'http://localhost:4318/v1/traces' },
    {
      name: 'switched on: OTEL_EXPORTER_OTLP_ENDPOINT',
      given: [undefined, true, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }],
      want: 'http://c:4318/v1/traces',
    },
    {
      name: 'switched on: the traces endpoint as it is',
      given: [
        undefined,
        true,
        { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t/x' },
      ],
      want: 'http://t/x',
    },
    {
      name: 'the flag wins over the environment',
      given: ['http://f:1', true, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t/x' }],
      want: 'http://f:1/v1/traces',
    },
  ];
  for (const { name, given, want } of table) it(name, () => expect(tracesUrl(...given)).toBe(want));
});
