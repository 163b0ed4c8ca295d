import { describe, expect, it } from 'vitest';
import { LEVEL_LABELS } from '../../store/app-families.js';
import { isContinuation, LEVELS, levelOf } from './app-levels.js';

const bytes = (s: string | Uint8Array) => (typeof s === 'string' ? Buffer.from(s, 'latin1') : s);
function level(line: string | Uint8Array): { level: string; truncated: boolean } {
  const b = bytes(line);
  const scan = { truncated: false };
  const at = levelOf(b, 0, b.length, scan);
  return { level: LEVELS[at] as string, truncated: scan.truncated };
}

describe('levelOf', () => {
  it.each([
    { name: 'pino 10', given: '{"level":10,"msg":"x"}', want: 'trace' },
    { name: 'pino 20', given: '{"level":20}', want: 'debug' },
    { name: 'pino 30', given: '{"level":30,"time":1}', want: 'info' },
    { name: 'pino 40', given: '{"time":1,"level":40}', want: 'warn' },
    { name: 'pino 50', given: '{"level":50}', want: 'error' },
    { name: 'pino 60', given: '{"level":60}', want: 'fatal' },
    { name: 'pino custom 35 rounds down', given: '{"level":35}', want: 'info' },
    { name: 'json word', given: '{"level":"WARN"}', want: 'warn' },
    { name: 'json severity', given: '{"severity":"CRITICAL"}', want: 'fatal' },
    { name: 'json lvl', given: '{"lvl":"dbug"}', want: 'unknown' },
    { name: 'json log.level', given: '{"log.level":"error"}', want: 'error' },
    { name: 'json first level key wins', given: '{"level":"info","severity":"error"}', want: 'info' },
    { name: 'json nested level ignored', given: '{"a":{"level":"error"},"b":[1,{"level":"x"}]}', want: 'unknown' },
    { name: 'json escaped quote before key', given: '{"m":"a\\"b","level":"warn"}', want: 'warn' },
    { name: 'json spaces', given: '{ "level" : "error" , "m" : 1 } ', want: 'error' },
    { name: 'empty object', given: '{}', want: 'unknown' },
    { name: 'logfmt', given: 'ts=1 level=warn msg=x', want: 'warn' },
    { name: 'logfmt first', given: 'level=error msg=x', want: 'error' },
    { name: 'logfmt quoted', given: 'level="info" msg=x', want: 'info' },
    { name: 'logfmt key inside a quoted value', given: 'msg="level=error" level=info', want: 'info' },
    { name: 'upper word', given: '2026-12-03 17:00:00 ERROR x', want: 'error' },
    { name: 'first upper level word wins', given: '17:00 INFO got WARN', want: 'info' },
    { name: 'zerolog short', given: '17:00 WRN x', want: 'warn' },
    { name: 'lower word in text is no level', given: 'an error occurred', want: 'unknown' },
    { name: 'bracketed lower', given: '2026/12/03 17:00:00 [error] 1#0: x', want: 'error' },
    { name: 'nginx crit', given: '2026/12/03 17:00:00 [crit] 1#0: x', want: 'fatal' },
    { name: 'apache 2.4 module:level', given: '[Wed Oct 11 14:32:52 2000] [ssl:warn] [pid 1] x', want: 'warn' },
    { name: 'apache trace1 is no word we know', given: '[x] [core:trace1] y', want: 'unknown' },
    { name: 'tab field', given: '1.7e9\tinfo\tmain.go:1\tx', want: 'info' },
    { name: 'glog', given: 'W1203 15:04:05.123456 1 a.go:1] x', want: 'warn' },
    { name: 'glog fatal', given: 'F1203 15:04:05.123456 1 a.go:1] x', want: 'fatal' },
    { name: 'not glog', given: 'I18N is hard', want: 'unknown' },
    { name: 'syslog 3', given: '<3>Dec  3 host app: x', want: 'error' },
    { name: 'syslog 165 = local4.notice', given: '<165>1 2026-12-03T00:00:00Z h a - - x', want: 'info' },
    { name: 'syslog 7 debug', given: '<7>x', want: 'debug' },
    { name: 'syslog out of range', given: '<999>ERROR', want: 'error' },
    { name: 'python', given: 'CRITICAL:root:x', want: 'fatal' },
    { name: 'beyond the prefix', given: `${'x '.repeat(200)}ERROR`, want: 'unknown' },
  ])('$name', ({ given, want }) => {
    expect(level(given)).toEqual({ level: want, truncated: false });
  });

  it.each([
    { name: 'cut in a string', given: '{"level":"error","msg":"ab' },
    { name: 'cut after a key', given: '{"level"' },
    { name: 'cut in a number', given: '{"level":50' },
    { name: 'cut in a nested object', given: '{"level":50,"err":{"a":1' },
    { name: 'text after the object', given: '{"level":50} trailing' },
    { name: 'not JSON at all', given: '{level: error}' },
  ])('truncated or broken JSON is unknown and flagged: $name', ({ given }) => {
    expect(level(given)).toEqual({ level: 'unknown', truncated: true });
  });

  it('reads bytes: NUL and non-UTF-8 do not matter', () => {
    expect(level(Uint8Array.from([0, 0xff, 0x20, ...Buffer.from('WARN x')]))).toEqual({
      level: 'warn',
      truncated: false,
    });
  });

  it('the store labels levels in the same order', () => {
    expect(LEVEL_LABELS).toEqual(LEVELS);
  });
});

describe('isContinuation', () => {
  it.each([
    { name: 'tab frame', given: '\tat com.x.Y.z(Y.java:1)', want: true },
    { name: 'node frame', given: '    at f (/a.js:1:2)', want: true },
    { name: 'unindented at', given: 'at f (/a.js:1:2)', want: true },
    { name: 'caused by', given: 'Caused by: java.io.IOException: x', want: true },
    { name: 'more', given: '... 12 more', want: true },
    { name: 'python traceback', given: 'Traceback (most recent call last):', want: true },
    { name: 'java exception header', given: 'java.lang.IllegalStateException: boom', want: true },
    { name: 'bare exception name', given: 'java.lang.NullPointerException', want: true },
    { name: 'python error', given: 'ValueError: bad', want: true },
    { name: 'node error', given: 'Error: boom', want: true },
    { name: 'empty: a blank line is no message', given: '', want: true },
    { name: 'a level line', given: '2026-12-03 ERROR x', want: false },
    { name: 'upper ERROR: is a message', given: 'ERROR: disk full', want: false },
    { name: 'json', given: '{"level":50}', want: false },
    { name: 'word then space', given: 'MyError happened', want: false },
    { name: 'attack', given: 'attack detected', want: false },
  ])('$name', ({ given, want }) => {
    const b = bytes(given);
    expect(isContinuation(b, 0, b.length)).toBe(want);
  });
});
