import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRule, parseRuleText, ruleReads } from './rule-config.js';
import { RuleRunner, requiredLiteral } from './user-rules.js';

const run = (rules: unknown[], text: string) => {
  const parsed = rules.map((r) => parseRule(r));
  return new RuleRunner(
    parsed,
    parsed.map((_, i) => i),
    [],
  ).run(Buffer.from(text), 65536);
};

describe('parseRule refuses a bad rule, naming it', () => {
  it.each([
    { name: 'no name', given: { regex: 'x' }, want: 'rule #1: needs a name' },
    { name: 'bad regex', given: { name: 'a_total', regex: '(a' }, want: 'rule a_total: the regex does not compile: ' },
    { name: 'lookahead', given: { name: 'a_total', regex: '(?=a)' }, want: 'rule a_total: the regex does not compile' },
    {
      name: 'counter without _total',
      given: { name: 'errors', regex: 'x' },
      want: "counter's name must end in _total",
    },
    {
      name: 'histogram _total',
      given: { name: 'x_total', type: 'histogram', regex: '(?P<v>\\d+)', value: 'v' },
      want: 'must not end in _total',
    },
    { name: 'bad metric name', given: { name: '9x_total', regex: 'x' }, want: 'not a Prometheus metric name' },
    { name: 'reserved', given: { name: 'log_lines_total', regex: 'x' }, want: 'one of the analyzer' },
    {
      name: 'both',
      given: { name: 'a_total', regex: 'x', json_path: 'y' },
      want: 'exactly one of regex and json_path',
    },
    { name: 'neither', given: { name: 'a_total' }, want: 'exactly one of regex and json_path' },
    { name: 'unknown key', given: { name: 'a_total', regex: 'x', lables: ['a'] }, want: 'unknown key lables' },
    {
      name: 'label not a group',
      given: { name: 'a_total', regex: '(?P<a>x)', labels: ['b'] },
      want: 'label b is not a named group',
    },
    {
      name: 'bad label name',
      given: { name: 'a_total', json_path: 'x', labels: { 'a-b': 'y' } },
      want: 'a-b is not a Prometheus label name',
    },
    { name: 'histogram without value', given: { name: 'h', type: 'histogram', regex: 'x' }, want: 'needs value' },
    {
      name: 'le on a histogram',
      given: { name: 'h', type: 'histogram', regex: '(?P<le>x)(?P<v>1)', value: 'v' },
      want: 'label named le',
    },
    {
      name: 'buckets out of order',
      given: { name: 'h', type: 'histogram', json_path: 'd', buckets: [1, 0.5] },
      want: 'increasing order',
    },
    { name: 'bad type', given: { name: 'a_total', type: 'gauge', regex: 'x' }, want: 'type must be' },
  ])('$name', ({ given, want }) => {
    expect(() => parseRule(given)).toThrow(want);
  });

  it('two rules of one name', () => {
    const first = parseRuleText('{"name":"a_total","regex":"x"}');
    expect(() => parseRuleText('{"name":"a_total","regex":"y"}', first)).toThrow(
      'rule a_total: two rules have this name',
    );
  });

  it('labels default to the named groups but value', () => {
    const rule = parseRule({ name: 'h', type: 'histogram', regex: '(?P<route>\\S+) (?P<ms>\\d+)', value: 'ms' });
    expect(rule.labels).toEqual(['route']);
  });
});

describe('RuleRunner', () => {
  it('counts by label set, one RuleCount each', () => {
    const counts = run([{ name: 'x_total', regex: 'user=(?P<user>\\w+)' }], 'user=a\nuser=b\nnope\nuser=a\n');
    expect(counts).toEqual([
      { rule: 0, labels: ['a'], count: 2 },
      { rule: 0, labels: ['b'], count: 1 },
    ]);
  });

  it('observes a histogram from a group', () => {
    const counts = run(
      [{ name: 'took_seconds', type: 'histogram', regex: 'took (?P<s>[\\d.]+)s', value: 's', buckets: [1, 5] }],
      'took 0.5s\ntook 3s\ntook 9s\ntook xs\n',
    );
    expect(counts).toEqual([{ rule: 0, labels: [], count: 3, sum: 12.5, buckets: [1, 1, 1] }]);
  });

  it('json_path: the field must be there; labels from other fields', () => {
    const counts = run(
      [{ name: 'slow_total', json_path: 'req.ms', labels: { code: 'res.status' } }],
      '{"req":{"ms":5},"res":{"status":200}}\n{"req":{}}\n{"req":{"ms":1},"res":{"status":500}}\n{"req":{"ms":1\n',
    );
    expect(counts).toEqual([
      { rule: 0, labels: ['200'], count: 1 },
      { rule: 0, labels: ['500'], count: 1 },
    ]);
  });

  it('a catastrophic-backtracking pattern on a hostile line finishes, with the right answer', () => {
    const hostile = `${'a'.repeat(50_000)}!\n${'a'.repeat(50_000)}\n`;
    const counts = run([{ name: 'evil_total', regex: '(a+)+$' }], hostile);
    // Only the second line ends in a's: RE2 semantics, in linear time (a backtracking engine never returns).
    expect(counts).toEqual([{ rule: 0, labels: [], count: 1 }]);
  }, 30_000);

  it('a rule reads the files its globs match', () => {
    expect(ruleReads({ files: [] }, '/var/log/a.log')).toBe(true);
    expect(ruleReads({ files: ['app*.log'] }, '/var/log/app-1.log')).toBe(true);
    expect(ruleReads({ files: ['app*.log'] }, '/var/log/web.log')).toBe(false);
    expect(ruleReads({ files: ['/var/log/*/x.log'] }, '/var/log/a/x.log')).toBe(true);
    expect(ruleReads({ files: ['/var/log/*.log'] }, '/var/log/a/x.log')).toBe(false);
    expect(ruleReads({ files: ['/var/**/x.log'] }, '/var/log/a/x.log')).toBe(true);
  });
});

describe('requiredLiteral: what every match holds (lines without it are skipped)', () => {
  it.each([
    { name: 'prefix before a group', given: 'checkout failed (?P<n>[0-9])', want: 'checkout failed ' },
    { name: 'longest run', given: 'ab (?P<x>\\d+) user=(?P<u>\\w+) done!', want: ' user=' },
    { name: 'escaped punctuation', given: 'GET /api\\.v1', want: 'GET /api.v1' },
    { name: 'optional last char left out', given: 'errors?', want: 'error' },
    { name: 'plus keeps the char once', given: 'x-ray+s', want: 'x-ray' },
    { name: 'alternation: nothing certain', given: 'timeout|refused', want: null },
    { name: 'alternation in a group', given: 'conn (a|b)', want: null },
    { name: 'case-insensitive flag', given: '(?i)error', want: null },
    { name: 'inside a group only', given: '(?P<x>abcdef)', want: null },
    { name: 'short', given: 'a.b', want: null },
    { name: 'class skipped', given: '[abc]def', want: 'def' },
    { name: 'catastrophic', given: '(a+)+$', want: null },
  ])('$name', ({ given, want }) => {
    expect(requiredLiteral(given)).toBe(want);
  });

  it('a rule with a needle counts the same as without', () => {
    const text = 'x checkout failed 1\ncheckout failed 22\nnothing\ncheckout failed 3 checkout failed 4\n';
    const counts = run([{ name: 'c_total', regex: 'checkout failed (?P<n>[0-9])' }], text);
    expect(counts).toEqual([
      { rule: 0, labels: ['1'], count: 1 },
      { rule: 0, labels: ['2'], count: 1 },
      { rule: 0, labels: ['3'], count: 1 },
    ]);
  });

  it("several rules: each needle is found again after a line that another rule's needle led to", () => {
    const text = 'aaa1 bbb1\nbbb2\nnothing\naaa2\nbbb3 aaa3\r\naaa4';
    const counts = run(
      [
        { name: 'a_total', regex: 'aaa(?P<n>[0-9])' },
        { name: 'b_total', regex: 'bbb(?P<n>[0-9])' },
      ],
      text,
    );
    const got = (rule: number) => counts.filter((c) => c.rule === rule).map((c) => c.labels[0]);
    expect(got(0)).toEqual(['1', '2', '3', '4']);
    expect(got(1)).toEqual(['1', '2', '3']);
  });

  it('property: with needles, rules count exactly what they count trying every line', () => {
    // `|\b\B` (never matches) leaves a rule without a needle: the reference tries every line.
    const rules = (needles: boolean) =>
      ['abc(?P<n>[0-9]?)', 'xyz(?P<n>[a-z]?)'].map((regex, i) => ({
        name: `r${i}_total`,
        regex: needles ? regex : `${regex}|\\b\\B`,
      }));
    const piece = fc.constantFrom('abc', 'xyz', 'ab', 'c', '1', 'q', ' ', '\n', '\r\n', 'abc7\n', 'x');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), (pieces) => {
        const text = pieces.join('');
        const sorted = (counts: ReturnType<typeof run>) =>
          counts.map((c) => `${c.rule}:${c.labels.join(',')}:${c.count}`).sort();
        expect(sorted(run(rules(true), text))).toEqual(sorted(run(rules(false), text)));
      }),
    );
  });
});
