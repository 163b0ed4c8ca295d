import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { parseRule } from '../transforms/log/rule-config.js';
import { ruleTable } from './apply.js';

describe('config print shows a rule as the TOML table that gives it back', () => {
  it.each([
    { name: 'regex counter', given: { name: 'a_total', regex: 'user=(?P<user>\\w+) "q"', files: ['*.log'] } },
    {
      name: 'json histogram',
      given: { name: 'd_seconds', type: 'histogram', json_path: 'a.b', labels: { j: 'job.name' }, buckets: [1, 2] },
    },
    { name: 'regex histogram', given: { name: 'h', type: 'histogram', regex: '(?P<r>\\S+) (?P<s>\\d+)', value: 's' } },
  ])('$name', ({ given }) => {
    const rule = parseRule(given);
    const back = parse(`rule = ${ruleTable(rule)}`).rule;
    expect(parseRule(back)).toEqual({ ...rule, help: rule.help });
  });
});
