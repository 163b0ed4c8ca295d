import { describe, expect, it } from 'vitest';
import { escapeName, parseLine } from './line.js';

/** A sample as parseLine gives it, with the fields most rows leave at their usual values. */
const sample = (name: string, type: string, value: number, more: Record<string, unknown> = {}) => ({
  name,
  type,
  value,
  relative: false,
  times: 1,
  tags: [],
  tagErrors: 0,
  rate: 1,
  ...more,
});
const refused = (reason: string) => ({ reason, message: expect.any(String) });

describe('parseLine', () => {
  const rows: { name: string; given: string; want: unknown[] }[] = [
    { name: 'a counter', given: 'api.requests:1|c', want: [sample('api.requests', 'c', 1)] },
    { name: 'a counter at a rate', given: 'a:1|c|@0.1', want: [sample('a', 'c', 10, { rate: 0.1 })] },
    { name: 'a gauge', given: 'q.depth:5|g', want: [sample('q.depth', 'g', 5)] },
    { name: 'a gauge delta up', given: 'q:+5|g', want: [sample('q', 'g', 5, { relative: true })] },
    { name: 'a gauge delta down', given: 'q:-2.5|g', want: [sample('q', 'g', -2.5, { relative: true })] },
    { name: 'a gauge ignores its rate', given: 'q:4|g|@0.5', want: [sample('q', 'g', 4, { rate: 0.5 })] },
    { name: 'a timer in seconds', given: 't:320|ms', want: [sample('t', 'ms', 0.32)] },
    { name: 'a timer at a rate', given: 't:100|ms|@0.25', want: [sample('t', 'ms', 0.1, { times: 4, rate: 0.25 })] },
    {
      name: 'a rate rounds down as Go int()',
      given: 't:1|h|@0.3',
      want: [sample('t', 'h', 1, { times: 3, rate: 0.3 })],
    },
    { name: 'a histogram as sent', given: 'h:2.5|h', want: [sample('h', 'h', 2.5)] },
    { name: 'a distribution', given: 'd:7|d', want: [sample('d', 'd', 7)] },
    { name: 'a trailing CR', given: 'a:1|c\r', want: [sample('a', 'c', 1)] },
    { name: 'an exponent', given: 'a:1.5e3|c', want: [sample('a', 'c', 1500)] },
    {
      name: 'DogStatsD tags',
      given: 'a:1|c|#route:/users,method:get',
      want: [
        sample('a', 'c', 1, {
          tags: [
            ['route', '/users'],
            ['method', 'get'],
          ],
        }),
      ],
    },
    {
      name: 'DogStatsD tags with a rate, tag names escaped',
      given: 'a:2|c|@0.5|#a.b-c:x:y',
      want: [sample('a', 'c', 4, { tags: [['a_b_c', 'x:y']], rate: 0.5 })],
    },
    {
      name: 'DogStatsD valueless tag: skipped and counted',
      given: 'a:1|c|#production,env:prod',
      want: [sample('a', 'c', 1, { tags: [['env', 'prod']], tagErrors: 1 })],
    },
    {
      name: 'InfluxDB tags',
      given: 'api.requests,region=eu,zone=a:1|c',
      want: [
        sample('api.requests', 'c', 1, {
          tags: [
            ['region', 'eu'],
            ['zone', 'a'],
          ],
        }),
      ],
    },
    {
      name: 'Librato tags',
      given: 'api.requests#region=eu,zone=a:1|c',
      want: [
        sample('api.requests', 'c', 1, {
          tags: [
            ['region', 'eu'],
            ['zone', 'a'],
          ],
        }),
      ],
    },
    {
      name: 'SignalFx tags',
      given: 'api[region=eu,zone=a].requests:1|c',
      want: [
        sample('api.requests', 'c', 1, {
          tags: [
            ['region', 'eu'],
            ['zone', 'a'],
          ],
        }),
      ],
    },
    {
      name: 'one SignalFx bracket: the name as sent, a tag error',
      given: 'api[region=eu.requests:1|c',
      want: [sample('api[region=eu.requests', 'c', 1, { tagErrors: 1 })],
    },
    {
      name: 'a tag without a value in the name',
      given: 'a,region:1|c',
      want: [sample('a', 'c', 1, { tagErrors: 1 })],
    },
    {
      name: 'a container id (with DogStatsD tags: else its colon splits the line, as in statsd_exporter)',
      given: 'a:1|c|#k:v|c:abc123',
      want: [
        sample('a', 'c', 1, {
          tags: [
            ['k', 'v'],
            ['container_id', 'abc123'],
          ],
        }),
      ],
    },
    { name: 'a DogStatsD timestamp is ignored', given: 'a:1|c|T1656581400', want: [sample('a', 'c', 1)] },
    {
      name: 'several samples on one line',
      given: 'a:1|c:2|g',
      want: [sample('a', 'c', 1), sample('a', 'g', 2)],
    },
    {
      name: 'DogStatsD extended aggregation',
      given: 't:100:200|ms|#k:v',
      want: [sample('t', 'ms', 0.1, { tags: [['k', 'v']] }), sample('t', 'ms', 0.2, { tags: [['k', 'v']] })],
    },
    { name: 'an empty line', given: '', want: [] },
    { name: 'no colon', given: 'bad line', want: [refused('statsd_malformed_line')] },
    { name: 'an empty name', given: ':1|c', want: [refused('statsd_malformed_line')] },
    { name: 'no type', given: 'a:1', want: [refused('statsd_malformed_component')] },
    { name: 'an unknown type', given: 'a:1|x', want: [refused('statsd_invalid_type')] },
    { name: 'a set', given: 'a:u1|s', want: [refused('statsd_invalid_type')] },
    { name: 'several values of a counter', given: 'a:1:2|c', want: [refused('statsd_invalid_type')] },
    { name: 'not a number', given: 'a:abc|c', want: [refused('statsd_malformed_value')] },
    { name: 'NaN', given: 'a:NaN|g', want: [refused('statsd_malformed_value')] },
    { name: 'Inf', given: 'a:+Inf|g', want: [refused('statsd_malformed_value')] },
    { name: 'hex', given: 'a:0x10|g', want: [refused('statsd_malformed_value')] },
    { name: 'an empty value', given: 'a:|c', want: [refused('statsd_malformed_value')] },
    { name: '1e309 overflows', given: 'a:1e309|g', want: [refused('statsd_malformed_value')] },
    {
      name: 'a large counter over a small rate overflows',
      given: 'a:1e308|c|@0.01',
      want: [refused('statsd_malformed_value')],
    },
    { name: 'a negative counter', given: 'a:-1|c', want: [refused('negative_counter')] },
    { name: 'a rate above 1', given: 'a:1|c|@2', want: [refused('statsd_invalid_sample_rate')] },
    { name: 'a rate of 0', given: 'a:1|c|@0', want: [refused('statsd_invalid_sample_rate')] },
    { name: 'a rate that is not a number', given: 'a:1|c|@x', want: [refused('statsd_invalid_sample_rate')] },
    {
      name: 'an observer rate that would be a million observations',
      given: 't:1|ms|@0.000001',
      want: [refused('statsd_invalid_sample_rate')],
    },
    { name: 'an empty part', given: 'a:1|c||#k:v', want: [refused('statsd_malformed_component')] },
    { name: 'an unknown part', given: 'a:1|c|x', want: [refused('statsd_malformed_component')] },
    { name: 'too many parts', given: 'a:1|c|@1|#a:b|T1|c:x|T2', want: [refused('statsd_malformed_component')] },
    {
      name: 'tags in the name and after |#',
      given: 'a,k=v:1|c|#x:y',
      want: [refused('statsd_mixed_tagging_styles')],
    },
  ];
  it.each(rows)('$name', ({ given, want }) => {
    expect(parseLine(given)).toEqual(want);
  });

  it('reads thousands of tags, a very long name and a huge line without failing', () => {
    const tags = Array.from({ length: 5000 }, (_, i) => `k${i}:v${i}`).join(',');
    const [many] = parseLine(`a:1|c|#${tags}`);
    expect(many && 'tags' in many ? many.tags.length : 0).toBe(5000);
    const name = 'n'.repeat(100_000);
    expect(parseLine(`${name}:1|c`)).toEqual([sample(name, 'c', 1)]);
    expect(parseLine(`a:${'9'.repeat(400)}|c`)).toEqual([refused('statsd_malformed_value')]);
  });
});

describe('escapeName', () => {
  const rows = [
    { name: 'valid', given: 'api_requests', want: 'api_requests' },
    { name: 'dots', given: 'api.requests', want: 'api_requests' },
    { name: 'a dash', given: 'web-server', want: 'web_server' },
    { name: 'a run of dashes is one _', given: 'a--b', want: 'a_b' },
    { name: 'a leading digit', given: '5xx.count', want: '_5xx_count' },
    { name: 'non-ASCII is one _ per character', given: 'größe', want: 'gr__e' },
    { name: 'an astral character is one _', given: 'a😀b', want: 'a_b' },
    { name: 'colons are escaped too', given: 'a:b', want: 'a_b' },
    { name: 'empty', given: '', want: '' },
  ];
  it.each(rows)('$name', ({ given, want }) => {
    expect(escapeName(given)).toBe(want);
  });
});
