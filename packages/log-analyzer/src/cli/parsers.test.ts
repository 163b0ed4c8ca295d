// The checks across flags that no single flag's parser can make.

import { describe, expect, it } from 'vitest';
import { fileFormat, logLevel, pushNameStartRefusal } from './parsers.js';

describe('--push-namespace and --push-prefix start a metric name together', () => {
  const table: { name: string; given: [string, string]; want: RegExp | null }[] = [
    { name: 'neither', given: ['', ''], want: null },
    { name: 'a prefix starting with a letter', given: ['', 'app_'], want: null },
    { name: 'a prefix starting with _ or :', given: ['', '_x'], want: null },
    { name: 'a prefix starting with a digit, no namespace', given: ['', '1x'], want: /^--push-prefix: "1x"/ },
    { name: 'a prefix starting with a digit after a namespace', given: ['ns', '1x'], want: null },
  ];
  for (const { name, given, want } of table) {
    it(name, () => {
      const got = pushNameStartRefusal(...given);
      if (want === null) expect(got).toBeNull();
      else expect(got).toMatch(want);
    });
  }
});

describe('--log-level takes pino names and other services’ names, any case', () => {
  const table: { name: string; given: string; want: string | null }[] = [
    { name: 'pino name', given: 'debug', want: 'debug' },
    { name: 'upper case', given: 'INFO', want: 'info' },
    { name: '.NET Information', given: 'Information', want: 'info' },
    { name: '.NET Warning', given: 'Warning', want: 'warn' },
    { name: '.NET Critical', given: 'Critical', want: 'fatal' },
    { name: '.NET None', given: 'None', want: 'silent' },
    { name: 'spaces around', given: ' error ', want: 'error' },
    { name: 'unknown', given: 'loud', want: null },
    { name: 'empty', given: '', want: null },
  ];
  for (const { name, given, want } of table) {
    it(name, () => {
      if (want === null) expect(() => logLevel(given)).toThrow(/expected a level: trace, debug, info/);
      else expect(logLevel(given)).toBe(want);
    });
  }
});

describe('--files takes labels in its JSON form only', () => {
  it.each([
    {
      name: 'PATTERN=FORMAT: no labels',
      given: '/var/log/nginx/*.log=nginx_main',
      want: [{ watch: ['/var/log/nginx/*.log'], format: fileFormat('a=nginx_main')[0]?.format }],
    },
    {
      name: 'JSON with labels',
      given: '{"watch":["/srv/*.log"],"format":"app","labels":{"service":"api"}}',
      want: [{ watch: ['/srv/*.log'], format: 'app', labels: { service: 'api' } }],
    },
  ])('$name', ({ given, want }) => {
    expect(fileFormat(given)).toEqual(want);
  });

  it.each([
    { given: '{"watch":["a"],"format":"app","labels":["x"]}', want: 'expected labels as an object {"name": "value"}' },
    { given: '{"watch":["a"],"format":"app","labels":{"status":"x"}}', want: 'a: labels.status: taken' },
    {
      given: '{"watch":["a"],"format":"app","labels":{"a-b":"x"}}',
      want: 'a: labels.a-b: not a Prometheus label name',
    },
  ])('refuses $given', ({ given, want }) => {
    expect(() => fileFormat(given)).toThrow(want);
  });
});
