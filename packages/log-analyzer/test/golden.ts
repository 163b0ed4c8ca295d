// Golden pairs: fixtures/x.log (+ optional x.json with scan options) → fixtures/x.prom.
// Shared by the test and by `pnpm golden`, which regenerates the .prom files for review as a diff.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scanFiles } from '../src/scan.js';
import { parseRule, type Rule } from '../src/transforms/log/rule-config.js';

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
  const options = existsSync(optionsFile) ? readOptions(optionsFile) : {};
  const text = await scanFiles([join(FIXTURES, `${name}.log`)], {
    format: options.format ?? 'combined',
    workers: 2,
    maxLineBytes: options.maxLineBytes ?? 65536,
    ...(options.readBytes ? { readBytes: options.readBytes } : {}),
    ...(options.rules ? { rules: rulesOf(options.rules) } : {}),
    ...(options.routes ? { routes: options.routes } : {}),
    ...(options.maxLabelValues ? { maxLabelValues: options.maxLabelValues } : {}),
  });
  return text.replaceAll(`${FIXTURES}/`, '');
}

/** A fixture's rules, checked as the config file's are. */
function rulesOf(raw: unknown[]): Rule[] {
  const rules: Rule[] = [];
  for (const r of raw) rules.push(parseRule(r, rules));
  return rules;
}

const OPTION_KEYS = new Set(['format', 'maxLineBytes', 'readBytes', 'rules', 'routes', 'maxLabelValues']);

interface FixtureOptions {
  format?: string;
  maxLineBytes?: number;
  readBytes?: number;
  /** User rules as a config file's [[logs.rules]] tables would hold them. */
  rules?: unknown[];
  routes?: string[];
  maxLabelValues?: number;
}

/** A fixture's options file; one that is not valid JSON or names an unknown option stops the run. */
export function readOptions(file: string): FixtureOptions {
  let options: unknown;
  try {
    options = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new Error(`${file}: expected an object of scan options`);
  }
  const unknown = Object.keys(options).filter((k) => !OPTION_KEYS.has(k));
  if (unknown.length > 0) throw new Error(`${file}: unknown option ${unknown.join(', ')}`);
  return options;
}
