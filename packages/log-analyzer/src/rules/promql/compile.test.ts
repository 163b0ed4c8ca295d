import { describe, expect, it } from 'vitest';
import { compileExpr } from './compile.js';

describe('compileExpr refuses what is outside the subset, with the position', () => {
  const cases: { name: string; given: string; want: { position: number; message: string } }[] = [
    {
      name: 'an unsupported function',
      given: 'predict_linear(x[5m], 3600) < 0',
      want: { position: 0, message: 'function "predict_linear" is not supported' },
    },
    {
      name: 'an unsupported function deeper in',
      given: 'sum(rate(x[5m])) > on() group_left clamp_max(y, 1)',
      want: { position: 24, message: 'group_left (many-to-one matching) is not supported' },
    },
    {
      name: 'a subquery',
      given: 'max_over_time(rate(x[1m])[5m:1m])',
      want: { position: 14, message: 'subqueries are not supported' },
    },
    {
      name: 'the @ modifier',
      given: 'x @ 1700000000',
      want: { position: 2, message: 'the @ modifier is not supported' },
    },
    {
      name: 'group_right',
      given: 'a / ignoring(x) group_right b',
      want: { position: 16, message: 'group_right (many-to-one matching) is not supported' },
    },
    { name: 'topk', given: 'topk(3, x)', want: { position: 0, message: 'aggregation "topk" is not supported' } },
    {
      name: 'an unsupported aggregation is named as written',
      given: 'quantile(0.9, x)',
      want: { position: 0, message: 'aggregation "quantile" is not supported' },
    },
    { name: 'a string literal', given: '"abc"', want: { position: 0, message: 'string literals are not supported' } },
    {
      name: 'unclosed brace: the end',
      given: 'up{job="a"',
      want: { position: 10, message: 'unexpected end of expression' },
    },
    { name: 'bad syntax inside', given: 'sum(x) by', want: { position: 9, message: 'unexpected end of expression' } },
    { name: 'junk', given: 'x + * y', want: { position: 4, message: 'syntax error near "* y"' } },
    {
      name: 'a range at the top',
      given: 'x[5m]',
      want: { position: 0, message: 'a range vector is not an instant expression' },
    },
    {
      name: 'rate of an instant vector',
      given: 'rate(x)',
      want: { position: 5, message: 'function "rate" needs a range vector' },
    },
    {
      name: 'a range longer than the history window',
      given: 'rate(x[2h])',
      want: { position: 7, message: 'range (with offset) longer than the history window (3600s)' },
    },
    {
      name: 'range plus offset longer than the window',
      given: 'rate(x[50m] offset 20m)',
      want: { position: 7, message: 'range (with offset) longer than the history window (3600s)' },
    },
    {
      name: 'a negative offset',
      given: 'x offset -5m',
      want: { position: 9, message: 'a negative offset is not supported' },
    },
    {
      name: 'an empty selector',
      given: '{}',
      want: { position: 0, message: 'a vector selector needs one matcher that does not match the empty string' },
    },
    {
      name: 'only empty-matching matchers',
      given: '{a=~".*"}',
      want: { position: 0, message: 'a vector selector needs one matcher that does not match the empty string' },
    },
    {
      name: 'a lookahead regex',
      given: 'x{a=~"(?!b)"}',
      want: { position: 6, message: 'regex group (?!b is not supported' },
    },
    {
      name: 'a back-reference',
      given: 'x{a=~"(a)\\\\1"}',
      want: { position: 9, message: 'regex escape \\1 is not supported' },
    },
    {
      name: 'a POSIX class',
      given: 'x{a=~"[[:alpha:]]"}',
      want: { position: 7, message: 'regex character class [:…:] is not supported' },
    },
    {
      name: 'a Unicode class',
      given: 'x{a=~"\\\\pL"}',
      want: { position: 6, message: 'regex escape \\p is not supported' },
    },
    {
      name: 'scalar comparison without bool',
      given: '1 > 2',
      want: { position: 2, message: 'a comparison between scalars needs bool' },
    },
    { name: 'bool on arithmetic', given: 'x + bool 1', want: { position: 2, message: 'bool is only for comparisons' } },
    {
      name: 'set operator with a scalar',
      given: 'x and 1',
      want: { position: 2, message: 'set operator "and" needs instant vectors on both sides' },
    },
    {
      name: 'aggregating a scalar',
      given: 'sum(1)',
      want: { position: 4, message: 'an instant vector is needed here, not a scalar' },
    },
    {
      name: 'wrong arity',
      given: 'histogram_quantile(0.9)',
      want: { position: 0, message: 'function "histogram_quantile" takes 2 argument(s), got 1' },
    },
    {
      name: 'a duration as a number',
      given: 'x > 5m',
      want: { position: 4, message: 'a duration as a number is not supported' },
    },
    {
      name: 'duration arithmetic',
      given: 'rate(x[5m+1m])',
      want: { position: 7, message: 'only a plain duration is supported here' },
    },
    { name: 'atan2', given: 'x atan2 y', want: { position: 2, message: 'operator "atan2" is not supported' } },
  ];
  it.each(cases)('$name', ({ given, want }) => {
    const got = compileExpr(given);
    expect(got.ok ? 'accepted' : { position: got.position, message: got.message }).toEqual(want);
  });
});

describe('compileExpr accepts the subset', () => {
  const accepted = [
    'up',
    'up{job="a", instance!="b", path=~"/api/.*", method!~"GET|HEAD"}',
    'rate(http_requests_total[5m])',
    'irate(x[1m]) + increase(x[1h]) - delta(g[90s])',
    'avg_over_time(g[5m]) * max_over_time(g[5m]) / min_over_time(g[5m]) % sum_over_time(g[5m]) ^ 2',
    'sum by (status) (rate(x[1m])) / ignoring(status) group_left_not_a_keyword',
    'sum without (instance) (x) > bool on(job) count by (job) (y)',
    'histogram_quantile(0.99, sum by (le) (rate(d_bucket[5m])))',
    'absent(up{job="x"}) or vector_absent',
    '-x + (1 - -2)',
    'x offset 5m and y unless z',
    'sum(x) by (a) == 0',
    'x{a=~"(?i)get"}',
    'x{a=~"(?P<n>a)b"}',
    "x{a='single', b=`raw\\d`}",
    'rate(x[300])',
    'x > Inf or x < -inf or x != NaN or x == 0x1f',
  ];
  it.each(accepted)('%s', (given) => {
    const got = compileExpr(given);
    expect(got.ok ? 'accepted' : `position ${got.position}: ${got.message}`).toBe('accepted');
  });
});
