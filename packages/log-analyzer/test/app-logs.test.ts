// Application logs (--format app) and user rules through a running analyzer: a log written by
// pino and one in logfmt count exactly by level; a stack trace counts once across a chunk
// boundary and across a rotation; the label limit folds the same way after a restart; a bad
// rule in the config file is one line naming it and a non-zero exit.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Analyzer } from '../src/app.js';
import { parseRule, type Rule } from '../src/transforms/log/rule-config.js';
import { expectSettled, metricValue, useAnalyzers } from './helpers.js';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'unknown'] as const;

async function levels(a: Analyzer): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const level of LEVELS) out[level] = await metricValue(a, 'log_messages_total', { level });
  return out;
}

/** Waits until every level's count is as wanted, then one more cycle, and asserts again. */
async function expectLevels(a: Analyzer, want: Record<string, number>): Promise<void> {
  const total = Object.values(want).reduce((x, y) => x + y, 0);
  await expectSettled(a, () => metricValue(a, 'log_messages_total'), total);
  expect(await levels(a)).toEqual({ trace: 0, debug: 0, info: 0, warn: 0, error: 0, fatal: 0, unknown: 0, ...want });
}

describe('application logs through the running analyzer', () => {
  const analyzers = useAnalyzers(false);

  it('a log written by pino counts exactly by level; an error with its stack counts once', async () => {
    const a = await analyzers.start(['*.log'], { format: 'app' });
    const file = join(analyzers.dir(), 'pino.log');
    const log = pino({ level: 'trace' }, pino.destination({ dest: file, sync: true }));
    const want = { trace: 7, debug: 11, info: 503, warn: 29, error: 13, fatal: 2 };
    for (let i = 0; i < 503; i++) {
      log.info({ i, user: `u${i % 7}` }, 'request served');
      if (i < 7) log.trace('tick');
      if (i < 11) log.debug({ i }, 'cache miss');
      if (i < 29) log.warn('slow "quoted" path \\ here');
      if (i < 13) log.error(new Error(`boom ${i}\nsecond line of the message`), 'failed');
      if (i < 2) log.fatal('going down');
    }
    await expectLevels(a, want);
    expect(await metricValue(a, 'log_errors_total', { reason: 'parse_failure' })).toBe(0);
  });

  it('a logfmt log counts exactly by level', async () => {
    const a = await analyzers.start(['*.log'], { format: 'app' });
    const file = join(analyzers.dir(), 'logfmt.log');
    writeFileSync(file, '');
    const want = { debug: 40, info: 300, warn: 25, error: 9, unknown: 3 };
    let text = '';
    const spell: Record<string, string> = {
      debug: 'debug',
      info: 'info',
      warn: 'warning',
      error: 'error',
      unknown: 'x',
    };
    for (const [level, n] of Object.entries(want)) {
      for (let i = 0; i < n; i++) {
        text += `ts=2026-12-03T17:00:00.${String(i).padStart(3, '0')}Z level=${spell[level]} msg="m ${i} level=error inside" caller=a.go:${i}\n`;
      }
    }
    appendFileSync(file, text);
    await expectLevels(a, want);
  });

  it('a stack trace counts once across chunk boundaries and across a rotation', async () => {
    // Chunks of ~400 bytes: every trace below spans several.
    const a = await analyzers.start(['*.log'], { format: 'app', maxLineBytes: 200, readBytes: 64 });
    const file = join(analyzers.dir(), 'app.log');
    const trace = (i: number) =>
      `2026-12-03 17:00:00 ERROR [main] job ${i} failed\njava.lang.IllegalStateException: job ${i}\n${'\tat com.example.Job.run(Job.java:42)\n'.repeat(12)}Caused by: java.io.IOException: disk full\n\t... 12 more\n`;
    let text = '';
    for (let i = 0; i < 20; i++) text += `2026-12-03 17:00:00 INFO job ${i} started\n${trace(i)}`;
    writeFileSync(file, text);
    await expectLevels(a, { info: 20, error: 20 });
    // Rotated in the middle of a trace: its first frames in the old file, the rest in the new one.
    appendFileSync(
      file,
      '2026-12-03 17:00:01 ERROR last job failed\njava.lang.RuntimeException: x\n\tat a.B.c(B.java:1)\n',
    );
    await expectLevels(a, { info: 20, error: 21 });
    renameSync(file, `${file}.1`);
    writeFileSync(
      file,
      '\tat a.B.d(B.java:2)\nCaused by: java.lang.Error: y\n\t... 3 more\n2026-12-03 17:00:02 WARN after\n',
    );
    await expectLevels(a, { info: 20, error: 21, warn: 1 });
    expect(await metricValue(a, 'log_lines_total')).toBe(20 * 17 + 3 + 4);
  });

  it('rule labels fold past the limit, and the same values fold after a restart from the checkpoint', async () => {
    const rules: Rule[] = [parseRule({ name: 'logins_total', regex: 'login user=(?P<user>\\w+)' })];
    const positionsFile = join(analyzers.scratch(), 'positions.json');
    const options = { format: 'app', rules, maxLabelValues: 2, positionsFile };
    const file = join(analyzers.dir(), 'auth.log');
    writeFileSync(file, 'INFO login user=ann\nINFO login user=bob\nINFO login user=cid\nINFO login user=ann\n');
    const first = await analyzers.start(['*.log'], options);
    await expectSettled(first, () => metricValue(first, 'logins_total'), 4);
    await analyzers.stop(first);
    // After the restart the first new value is dan: ann and bob still hold the two places.
    appendFileSync(file, 'INFO login user=dan\nINFO login user=bob\n');
    const second = await analyzers.start(['*.log'], options);
    await expectSettled(second, () => metricValue(second, 'logins_total'), 6);
    const by = (user: string) => metricValue(second, 'logins_total', { user });
    expect([await by('ann'), await by('bob'), await by('other')]).toEqual([2, 2, 2]);
    expect(
      await metricValue(second, 'log_analyzer_label_values_folded_total', { metric: 'logins_total', label: 'user' }),
    ).toBe(2);
    expect(await metricValue(second, 'log_messages_total', { level: 'info' })).toBe(6);
  });
});

describe('noise-maker app through the running analyzer', () => {
  const analyzers = useAnalyzers(false);
  const NOISE = join(import.meta.dirname, '../../noise-maker/src/cli.ts');

  it('counts equal what noise-maker says it wrote, by level, through rotations, traces once', async () => {
    const a = await analyzers.start(['app.log'], { format: 'app' });
    const file = join(analyzers.dir(), 'app.log');
    const args = ['app', '-o', file, '--count', '3500', '--rate', '3500', '--rotate-every', '1000', '--keep', '5'];
    const res = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', NOISE, ...args, '--seed', '7']);
      let stdout = '';
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      child.on('close', (code) => resolve({ code, stdout }));
    });
    expect(res.code).toBe(0);
    const wrote = JSON.parse(res.stdout) as {
      levels: Record<string, number>;
      lines: number;
      traces: number;
      rotations: number;
    };
    expect(wrote.rotations).toBe(3);
    expect(wrote.traces).toBeGreaterThan(0);
    await expectLevels(a, wrote.levels);
    expect(await metricValue(a, 'log_lines_total')).toBe(wrote.lines);
  });
});

describe('a bad rule in the config file', () => {
  const MAIN = join(import.meta.dirname, '../src/main.ts');
  const analyzers = useAnalyzers(false);
  it.each([
    {
      name: 'a regex that does not compile',
      rule: 'name = "bad_total"\nregex = "(unclosed"',
      want: /rule bad_total: the regex does not compile/,
    },
    {
      name: 'a counter without _total',
      rule: 'name = "errors"\nregex = "x"',
      want: /rule errors: a counter's name must end in _total/,
    },
  ])('$name: one line naming the rule, exit 2', ({ rule, want }) => {
    const config = join(analyzers.dir(), 'config.toml');
    writeFileSync(config, `[files]\nformat = "app"\n\n[[logs.rules]]\n${rule}\n`);
    const res = spawnSync(process.execPath, ['--import', 'tsx', MAIN, '--config', config, '--port', '0'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(want);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });
});
