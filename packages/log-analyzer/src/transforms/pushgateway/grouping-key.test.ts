import { describe, expect, it } from 'vitest';
import { decodeBase64Url, groupingKeyFromPath } from './grouping-key.js';

describe('decodeBase64Url', () => {
  const cases = [
    { name: 'unpadded', given: 'L3Zhci90bXA', want: '/var/tmp' },
    { name: 'padded', given: 'L3Zhci90bXA=', want: '/var/tmp' },
    { name: '= alone is empty', given: '=', want: '' },
    { name: 'url alphabet', given: '_-8', want: '\ufffd\ufffd' },
    { name: 'standard alphabet refused', given: 'a+b/', want: null },
    { name: 'impossible length', given: 'abcde', want: null },
  ];
  for (const { name, given, want } of cases) it(name, () => expect(decodeBase64Url(given)).toBe(want));
});

describe('groupingKeyFromPath', () => {
  const cases: { name: string; given: string; want: unknown }[] = [
    { name: 'job only', given: '/nightly', want: { job: 'nightly' } },
    { name: 'labels', given: '/nightly/instance/db1/zone/eu', want: { instance: 'db1', zone: 'eu', job: 'nightly' } },
    { name: 'percent-encoded value', given: '/a%20b/x/%C3%A9', want: { x: 'é', job: 'a b' } },
    { name: 'base64 job', given: '@base64/bmlnaHRseQ', want: { job: 'nightly' } },
    { name: 'base64 label with a slash', given: '/j/path@base64/L3Zhci90bXA=', want: { path: '/var/tmp', job: 'j' } },
    { name: 'empty value through base64', given: '/j/empty@base64/=', want: { empty: '', job: 'j' } },
    { name: 'plain empty value', given: '/j/a/', want: { a: '', job: 'j' } },
    { name: 'trailing slash after job', given: '/j/', want: { job: 'j' } },
    { name: 'job in path labels is overridden by the job', given: '/j/job/other', want: { job: 'j' } },
    { name: 'no job', given: '', want: { error: 'job name is required' } },
    { name: 'empty job', given: '/', want: { error: 'job name is required' } },
    { name: 'empty base64 job', given: '@base64/=', want: { error: 'job name is required' } },
    { name: 'odd components', given: '/j/a', want: { error: 'odd number of components in label string "/a"' } },
    { name: 'bad label name', given: '/j/1a/x', want: { error: 'improper label name "1a"' } },
    { name: 'reserved label name', given: '/j/__x/y', want: { error: 'improper label name "__x"' } },
    { name: 'bad base64', given: '/j/a@base64/!!', want: { error: 'invalid base64 encoding for label a="!!"' } },
  ];
  for (const { name, given, want } of cases) it(name, () => expect(groupingKeyFromPath(given)).toEqual(want));
});
