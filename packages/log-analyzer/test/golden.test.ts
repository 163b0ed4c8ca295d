import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, fixtureNames, readOptions, scanFixture } from './golden.js';

describe('scan golden files', () => {
  it('has fixtures', () => {
    expect(fixtureNames().length).toBeGreaterThanOrEqual(5);
  });
  it.each(fixtureNames())('%s.log → its .prom', async (name) => {
    const expected = readFileSync(join(FIXTURES, `${name}.prom`), 'utf8');
    expect(await scanFixture(name)).toBe(expected);
  });

  it.each([
    ['not JSON', '{"format": "common",}', /options\.json: .*JSON/],
    ['not an object', '["common"]', /expected an object/],
    ['a misspelt option', '{"fromat": "common"}', /unknown option fromat/],
  ])('an options file that is %s stops the run instead of scanning as combined', (_, text, error) => {
    const dir = mkdtempSync(join(tmpdir(), 'golden-'));
    try {
      writeFileSync(join(dir, 'options.json'), text);
      expect(() => readOptions(join(dir, 'options.json'))).toThrow(error);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
