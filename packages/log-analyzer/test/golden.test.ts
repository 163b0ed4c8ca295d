import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, fixtureNames, scanFixture } from './golden.js';

describe('scan golden files', () => {
  it('has fixtures', () => {
    expect(fixtureNames().length).toBeGreaterThanOrEqual(5);
  });
  it.each(fixtureNames())('%s.log → %s.prom', async (name) => {
    const expected = readFileSync(join(FIXTURES, `${name}.prom`), 'utf8');
    expect(await scanFixture(name)).toBe(expected);
  });
});
