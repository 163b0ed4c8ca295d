import { describe, expect, it } from 'vitest';
import { decodeName, fsPath } from './fs-names.js';

describe('decodeName and fsPath', () => {
  const table: { name: string; bytes: number[]; want: string }[] = [
    { name: 'ASCII', bytes: [...Buffer.from('access.log')], want: 'access.log' },
    { name: 'valid UTF-8', bytes: [...Buffer.from('café-😀.log')], want: 'café-😀.log' },
    { name: 'a real U+FFFD', bytes: [...Buffer.from('a\uFFFDb')], want: 'a\uFFFDb' },
    { name: 'Latin-1 é', bytes: [0x63, 0x61, 0x66, 0xe9, 0x2e, 0x6c], want: 'caf\uDCE9.l' },
    { name: 'a lone continuation byte', bytes: [0x61, 0x80], want: 'a\uDC80' },
    { name: 'overlong /', bytes: [0xc0, 0xaf], want: '\uDCC0\uDCAF' },
    { name: 'an encoded surrogate', bytes: [0xed, 0xa0, 0x80], want: '\uDCED\uDCA0\uDC80' },
    { name: 'truncated at the end', bytes: [0x61, 0xe2, 0x82], want: 'a\uDCE2\uDC82' },
    { name: 'past U+10FFFF', bytes: [0xf4, 0x90, 0x80, 0x80], want: '\uDCF4\uDC90\uDC80\uDC80' },
  ];
  for (const { name, bytes, want } of table) {
    it(name, () => {
      const decoded = decodeName(Uint8Array.from(bytes));
      expect(decoded).toBe(want);
      // And back to the very same bytes.
      expect([...Buffer.from(fsPath(decoded))]).toEqual(bytes);
    });
  }

  it('leaves valid paths as strings', () => {
    expect(fsPath('/var/log/café.log')).toBe('/var/log/café.log');
    expect(fsPath('/x/\u{1F080}.log')).toBe('/x/\u{1F080}.log'); // a pair whose low half is in DC80-DCFF
  });
});
