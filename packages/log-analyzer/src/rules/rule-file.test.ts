import { describe, expect, it } from 'vitest';
import { type Compiled, MAX_RULE_FILE_BYTES, parseRuleFile } from './rule-file.js';

/** A compiler that takes anything but `offset`, which it refuses at its place (as the real one would). */
const compile = (expr: string): Compiled<string> => {
  const at = expr.indexOf('offset');
  return at < 0 ? { ok: true, expr } : { ok: false, position: at, message: 'offset is not supported' };
};

const GOOD = `groups:
  - name: http
    interval: 30s
    rules:
      - alert: HighErrorRate
        expr: sum(rate(http_requests_total{status=~"5.."}[1m])) / sum(rate(http_requests_total[1m])) > 0.05
        for: 1m
        keep_firing_for: 30s
        labels:
          severity: page
        annotations:
          summary: "5xx ratio is {{ $value | humanizePercentage }} on {{ $labels.file }}"
      - alert: Quiet
        expr: absent(log_lines_total)
`;

describe('parseRuleFile', () => {
  it('reads groups and rules, their durations, labels and annotations', () => {
    const [group] = parseRuleFile(GOOD, 'rules.yml', compile);
    expect(group?.name).toBe('http');
    expect(group?.intervalMs).toBe(30_000);
    const [high, quiet] = group?.rules ?? [];
    expect(high?.forMs).toBe(60_000);
    expect(high?.keepFiringForMs).toBe(30_000);
    expect(high?.labels.severity?.text).toBe('page');
    expect(high?.annotations.summary?.render({ labels: { file: 'a.log' }, value: 0.1 })).toBe(
      '5xx ratio is 10% on a.log',
    );
    expect(quiet?.forMs).toBe(0);
    expect(high?.key).not.toBe(quiet?.key);
    // The same text gives the same keys (a reload keeps these rules' alerts).
    expect(parseRuleFile(GOOD, 'rules.yml', compile)[0]?.rules.map((r) => r.key)).toEqual([high?.key, quiet?.key]);
  });

  it('takes an empty file', () => {
    expect(parseRuleFile('', 'empty.yml', compile)).toEqual([]);
    expect(parseRuleFile('groups: []\n', 'empty.yml', compile)).toEqual([]);
  });

  const deep = `groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        labels:\n          x: ${'['.repeat(40)}${']'.repeat(40)}\n`;
  const refused: { name: string; given: string; want: string }[] = [
    {
      name: 'a huge file',
      given: `# ${'x'.repeat(MAX_RULE_FILE_BYTES)}\n`,
      want: `r.yml: ${MAX_RULE_FILE_BYTES + 3} bytes, more than the ${MAX_RULE_FILE_BYTES} a rule file may hold`,
    },
    { name: 'deep YAML', given: deep, want: 'r.yml: nested deeper than 16 levels' },
    {
      name: 'an alias bomb',
      given: `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`,
      want: 'r.yml: Excessive alias count indicates a resource exhaustion attack',
    },
    { name: 'not YAML', given: 'groups: [\n', want: 'r.yml:2: not YAML:' },
    { name: 'an unknown top key', given: 'groups: []\nrule_files: []\n', want: 'r.yml:2: unknown key "rule_files"' },
    {
      name: 'an unknown group key',
      given: 'groups:\n  - name: g\n    limit: 3\n    rules: []\n',
      want: 'r.yml:3: group "g": unknown key "limit"',
    },
    {
      name: 'an unknown rule key',
      given: 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        severity: page\n',
      want: 'r.yml:6: group "g", alert "A": unknown key "severity"',
    },
    {
      name: 'a bad for',
      given: 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        for: 5 minutes\n',
      want: 'r.yml:6: group "g", alert "A": for "5 minutes" is not a duration such as 1m',
    },
    {
      name: 'a bad interval',
      given: 'groups:\n  - name: g\n    interval: 1.5m\n    rules: []\n',
      want: 'r.yml:3: group "g": interval "1.5m" is not a duration such as 15s',
    },
    {
      name: 'a bad keep_firing_for',
      given: 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        keep_firing_for: -1s\n',
      want: 'r.yml:6: group "g", alert "A": keep_firing_for "-1s" is not a duration such as 1m',
    },
    {
      name: 'an unsupported expression',
      given: 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up offset 5m\n',
      want: 'r.yml:5: group "g", alert "A": expr at position 3: offset is not supported',
    },
    {
      name: 'an unsupported template',
      given:
        'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        annotations:\n          s: \'{{ printf "%.2f" $value }}\'\n',
      want: 'r.yml:7: group "g", alert "A": annotations.s: {{ printf "%.2f" $value }}: unsupported function "printf"',
    },
    {
      name: 'a recording rule',
      given: 'groups:\n  - name: g\n    rules:\n      - record: job:up\n        expr: up\n',
      want: 'r.yml:4: group "g", record "job:up": recording rules are not supported, only alert',
    },
    {
      name: 'a group twice',
      given: 'groups:\n  - name: g\n    rules: []\n  - name: g\n    rules: []\n',
      want: 'r.yml:4: group "g" is repeated in the same file',
    },
    {
      name: 'a bad alert name',
      given: 'groups:\n  - name: g\n    rules:\n      - alert: "high rate"\n        expr: up\n',
      want: 'r.yml:4: group "g": alert "high rate" is not a valid alert name',
    },
    {
      name: 'a label named alertname',
      given:
        'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        labels:\n          alertname: B\n',
      want: 'r.yml:7: group "g", alert "A": labels name "alertname" is not allowed',
    },
    {
      name: 'a key twice',
      given: 'groups:\n  - name: g\n    name: h\n    rules: []\n',
      want: 'r.yml:3: not YAML: Map keys must be unique',
    },
  ];
  it.each(refused)('refuses $name in one line naming it', ({ given, want }) => {
    let message = 'accepted';
    try {
      parseRuleFile(given, 'r.yml', compile);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.includes('\n') ? `more than one line: ${message}` : message.slice(0, want.length)).toBe(want);
  });
});
