// The checks across flags that no single flag's parser can make.

import { describe, expect, it } from 'vitest';
import { pushNameStartRefusal } from './parsers.js';

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
