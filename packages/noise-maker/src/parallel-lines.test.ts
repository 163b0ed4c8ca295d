// --rate max renders on worker threads; what it writes must be the very bytes one thread renders.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileFormat } from 'log-analyzer/format';
import { afterEach, expect, it } from 'vitest';
import { LineSource } from './generate/line-source.js';

const CLI = join(import.meta.dirname, 'cli.ts');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const noiseMaker = (args: string[]) =>
  execFileSync(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });

it('--rate max writes, from its threads, exactly the lines one thread renders for the seed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parallel-'));
  dirs.push(dir);
  const out = join(dir, 'a.log');
  const start = '2026-01-01T00:00:00Z';
  // 30,001 lines: several blocks per thread, and a last one cut short.
  noiseMaker([
    '--rate',
    'max',
    '--count',
    '30001',
    '--seed',
    '5',
    '--start-time',
    start,
    '--malformed-rate',
    '0.01',
    '--output',
    out,
    '--quiet',
  ]);
  const one = new LineSource({
    format: compileFormat('combined').source,
    seed: 5,
    errorRate: 0.01,
    malformedRate: 0.01,
    startTimeMs: Date.parse(start),
    simulatedRate: 1000, // what --rate max stamps simulated time with
  });
  const want = Buffer.from(one.next(30_001, 0));
  const got = readFileSync(out);
  expect(got.length).toBe(want.length);
  expect(got.equals(want)).toBe(true);
});

it('--rate max with two outputs and line rotation: every line written once, files of exact size', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parallel-'));
  dirs.push(dir);
  const [a, b] = [join(dir, 'a.log'), join(dir, 'b.log')];
  const said = noiseMaker([
    '--rate',
    'max',
    '--count',
    '50000',
    '--seed',
    '6',
    '--rotate-every',
    '7000',
    '--keep',
    '9',
    '--malformed-rate',
    '0.02',
    '--output',
    a,
    b,
  ]);
  const linesIn = (path: string) => readFileSync(path, 'latin1').split('\n').length - 1;
  const counts = [a, b].flatMap((f) => [f, `${f}.1`, `${f}.2`, `${f}.3`].map(linesIn));
  expect(counts).toEqual([4000, 7000, 7000, 7000, 4000, 7000, 7000, 7000]);
  expect(said).toBe('');
});
