// Every rule file in the repository (any YAML file with `groups:` at its top) is accepted by
// `promtool check rules` (Debian's prometheus) and loads here unchanged, every expression inside
// the supported subset; and the hostile ones are refused at start, one line naming them.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRules } from '../src/rules/alerting.js';
import { MAIN, tempDir } from './helpers.js';

const ROOT = join(import.meta.dirname, '../../..');
const ruleFiles = execFileSync('git', ['ls-files', '*.yml', '*.yaml'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter(Boolean)
  .filter((f) => /^groups:/m.test(readFileSync(join(ROOT, f), 'utf8')));

describe('example rule files', () => {
  it('there is at least the demo stack’s', () => {
    expect(ruleFiles).toContain('deploy/rules/log-analyzer.rules.yml');
  });

  it.each(ruleFiles)('%s: promtool check rules accepts it, and it loads here', (file) => {
    const check = spawnSync('promtool', ['check', 'rules', join(ROOT, file)], { encoding: 'utf8' });
    expect(check.stdout + check.stderr).toMatch(/SUCCESS/);
    expect(check.status).toBe(0);
    const groups = loadRules([join(ROOT, file)], 3_600_000);
    expect(groups.flatMap((g) => g.rules).length).toBeGreaterThan(0);
  });
});

describe('a refused rule file stops the start', () => {
  const cases: { name: string; text: string; want: RegExp }[] = [
    {
      name: 'an unsupported expression',
      text: 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: topk(1, up)\n',
      want: /rules\.yml:5: group "g", alert "A": expr at position \d+: /,
    },
    {
      name: 'a template injected into a label',
      text: 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        labels:\n          team: "{{ printf \\"%s\\" $labels.job }}"\n',
      want: /rules\.yml:7: group "g", alert "A": labels\.team: .*unsupported function "printf"/,
    },
    {
      name: 'a bad duration',
      text: 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        for: soon\n',
      want: /rules\.yml:6: group "g", alert "A": for "soon" is not a duration/,
    },
  ];
  it.each(cases)(
    '$name: one line, exit 2',
    ({ text, want }) => {
      const { dir, cleanup } = tempDir();
      try {
        writeFileSync(join(dir, 'rules.yml'), text);
        const run = spawnSync(
          process.execPath,
          [
            '--import',
            'tsx',
            MAIN,
            '--no-positions',
            '--port',
            '0',
            '--watch',
            join(dir, '*.log'),
            '--rules',
            join(dir, 'rules.yml'),
          ],
          { encoding: 'utf8', timeout: 30_000, env: { ...process.env, LOG_ANALYZER_LOG_FORMAT: 'text' } },
        );
        expect(run.status).toBe(2);
        const lines = run.stderr.trim().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(want);
      } finally {
        cleanup();
      }
    },
    40_000,
  );
});
