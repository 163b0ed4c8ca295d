// Golden pairs: fixtures/x.log (+ optional x.json with scan options) → fixtures/x.prom.
// Shared by the test and by `pnpm golden`, which regenerates the .prom files for review as a diff.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scanFiles } from '../src/scan.js';

export const FIXTURES = join(import.meta.dirname, 'fixtures');

export function fixtureNames(): string[] {
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.log'))
    .map((f) => f.slice(0, -'.log'.length))
    .sort();
}

/** Scans one fixture; the file label is the fixture's bare name, so output does not depend on the checkout path. */
export async function scanFixture(name: string): Promise<string> {
  const optionsFile = join(FIXTURES, `${name}.json`);
  let options: { format?: string; maxLineBytes?: number; readBytes?: number } = {};
  try {
    options = JSON.parse(readFileSync(optionsFile, 'utf8'));
  } catch {}
  const text = await scanFiles([join(FIXTURES, `${name}.log`)], {
    format: options.format ?? 'combined',
    workers: 2,
    maxLineBytes: options.maxLineBytes ?? 65536,
    ...(options.readBytes ? { readBytes: options.readBytes } : {}),
  });
  return text.replaceAll(`${FIXTURES}/`, '');
}
