import { describe, expect, it } from 'vitest';
import { jsonErrorPosition, parseJson } from './json-body.js';

describe('parseJson', () => {
  const table: { name?: string; given: string; want: number }[] = [
    { given: '{"metrics": [}', want: 13 },
    { given: '{"a":1,}', want: 7 },
    { given: '[1, 2', want: 5 },
    { given: '{"a": tru}', want: 9 },
    { given: '{"a": "x\\q"}', want: 9 },
    { given: '{"a": 01}', want: 7 },
    { given: '{} x', want: 3 },
    { given: '', want: 0 },
    { given: '[{"a": [1, {"b": "c"}], "d": {}}, []', want: 36 },
    { given: '{"a" 1}', want: 5 },
    // 100,000 open arrays: the locator keeps its own stack (it was recursive: RangeError).
    { name: '100,000 open arrays', given: '['.repeat(100_000), want: 100_000 },
    { name: '100,000 open objects', given: `${'{"a":'.repeat(100_000)}x`, want: 500_000 },
  ];
  for (const { name, given, want } of table) {
    it(`finds where ${name ?? JSON.stringify(given)} stops being JSON`, () => {
      expect(jsonErrorPosition(given)).toBe(want);
      expect(() => parseJson(given)).toThrow(`at position ${want} `);
    });
  }

  it('never quotes the body in the reason, however V8 cuts it', () => {
    for (const given of [`[${'1,'.repeat(50)}}${',1'.repeat(50)}]`, `}${'x'.repeat(100)}`, '{"a": }']) {
      expect(() => parseJson(given)).toThrow(/: Unexpected token '}'$/);
    }
  });

  it('says where a deeply nested body went wrong, by line and column', () => {
    expect(() => parseJson(`[\n${'['.repeat(100_000)}}`)).toThrow(
      /^invalid JSON at position 100002 \(line 2, column 100001\): /,
    );
  });
});
