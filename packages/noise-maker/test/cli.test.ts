import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from './temp-dirs.js';

const CLI = join(import.meta.dirname, '../src/cli.ts');
const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, ...args], { encoding: 'utf8' });

const dir = useTempDirs('noise-cli-');

describe('noise-maker CLI', () => {
  it('--count with --seed and --start-time is byte-identical across runs', () => {
    const args = [
      '--count',
      '3000',
      '--seed',
      '9',
      '--start-time',
      '2026-01-01T00:00:00Z',
      '--rate',
      'max',
      '--malformed-rate',
      '0.02',
    ];
    const a = run(...args);
    expect(a.status).toBe(0);
    expect(a.stdout.split('\n')).toHaveLength(3001);
    expect(run(...args).stdout).toBe(a.stdout);
    expect(a.stderr).toMatch(/^noise-maker: wrote 3000 lines \(\d+ malformed\) in [\d.]+ s, \d+ lines\/s, seed 9\n$/);
  });

  it('--rate with --duration writes exactly rate × duration lines, shared by the outputs', () => {
    const d = dir();
    const res = run('--rate', '400', '--duration', '1s', '-o', join(d, 'a.log'), join(d, 'sub', 'b.log'));
    expect(res.status).toBe(0);
    const count = (f: string) => readFileSync(f, 'utf8').split('\n').length - 1;
    expect(count(join(d, 'a.log')) + count(join(d, 'sub', 'b.log'))).toBe(400);
    expect(Math.abs(count(join(d, 'a.log')) - 200)).toBeLessThanOrEqual(1);
  });

  it('rotates every N lines, keeping N files', () => {
    const d = dir();
    const res = run('--count', '1000', '--rate', 'max', '--rotate-every', '300', '--keep', '2', '-o', join(d, 'x.log'));
    expect(res.status).toBe(0);
    expect(readdirSync(d).sort()).toEqual(['x.log', 'x.log.1', 'x.log.2']);
    expect(readFileSync(join(d, 'x.log'), 'utf8').split('\n')).toHaveLength(101);
    expect(res.stderr).toContain('3 rotations');
  });

  it.each([
    { args: ['--rate', '-5'], want: /--rate must be a number of lines per second above zero/ },
    { args: ['--rate', 'fast'], want: /--rate must be/ },
    { args: ['--format', '%h %Q %>s'], want: /unknown format directive %Q/ },
    { args: ['--duration', '5 minutes'], want: /not a duration/ },
    { args: ['--malformed-rate', '2'], want: /--malformed-rate must be between 0 and 1/ },
    { args: ['--rotate-every', '10 parsecs', '-o', 'x.log'], want: /--rotate-every takes a line count/ },
    { args: ['--pattern', 'zigzag'], want: /Allowed choices are steady, poisson, burst, wave/ },
    { args: ['--stats-port', '70000'], want: /--stats-port must be a port from 1 to 65535/ },
    { args: ['--stats-port', '0'], want: /--stats-port must be a port from 1 to 65535/ },
    { args: ['--count', '1', '--rotate-every', '10'], want: /--rotate-every needs file outputs/ },
    {
      args: ['--count', '1', '-o', '/etc/passwd/x.log'],
      want: /^noise-maker: cannot write \/etc\/passwd\/x.log: ENOTDIR$/m,
    },
  ])('bad input: $args', ({ args, want }) => {
    const res = run(...args);
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(want);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('noise-maker push: bad input', () => {
  const table: { name: string; args: string[]; status: number; stderr: RegExp }[] = [
    {
      name: 'not a URL',
      args: ['--url', 'notaurl', '--count', '10'],
      status: 2,
      stderr: /^noise-maker: --url is not a URL: notaurl\n$/,
    },
    {
      name: 'not http',
      args: ['--url', 'ftp://x', '--count', '10'],
      status: 2,
      stderr: /--url must be an http:\/\/ URL/,
    },
    {
      name: 'max without an end',
      args: ['--url', 'http://127.0.0.1:1', '--rate', 'max'],
      status: 2,
      stderr: /needs --duration or --count/,
    },
    {
      name: 'a bad shape',
      args: ['--url', 'http://127.0.0.1:1', '--shape', 'xml'],
      status: 1,
      stderr: /argument 'xml' is invalid/,
    },
    {
      name: 'nobody there: said once, counted, exit 1',
      args: ['--url', 'http://127.0.0.1:1', '--count', '300', '--rate', '1000', '--batch', '100'],
      status: 1,
      stderr:
        /^noise-maker: no answer from http:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\); still trying\nnoise-maker: pushed 0 samples in 3 requests .* 3 requests failed\n$/,
    },
  ];
  for (const { name, args, status, stderr } of table) {
    it(name, () => {
      const res = run('push', ...args);
      expect(res.stderr).toMatch(stderr);
      expect(res.status).toBe(status);
    });
  }
});
