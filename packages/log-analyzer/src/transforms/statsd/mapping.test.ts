import { describe, expect, it } from 'vitest';
import { mapName, parseMapping } from './mapping.js';

const README_EXAMPLE = `
mappings:
- match: "test.dispatcher.*.*.*"
  name: "dispatcher_events_total"
  labels:
    processor: "$1"
    action: "$2"
    outcome: "$3"
    job: "test_dispatcher"
- match: "*.signup.*.*"
  name: "signup_events_total"
  labels:
    provider: "$2"
    outcome: "$3"
    job: "\${1}_server"
- match: "test.*.*.counter"
  name: "\${2}_total"
  labels:
    provider: "$1"
- match: "noise.*"
  action: drop
- match: "typed.*"
  match_metric_type: gauge
  name: "typed_gauge"
- match: "typed.*"
  name: "typed_other"
- match: "timing.*"
  name: "timing_seconds"
  observer_type: summary
  summary_options:
    quantiles: [{ quantile: 0.9, error: 0.01 }]
- match: "sized.*"
  name: "sized_seconds"
  histogram_options: { buckets: [0.1, 1] }
  help: "Sized things."
  scale: 0.001
  honor_labels: true
  labels: { kind: "$1" }
`;

describe('mapName', () => {
  const mapping = parseMapping(README_EXAMPLE);
  const mapped = (name: string, labels: [string, string][], more: Record<string, unknown> = {}) => ({
    drop: false,
    name,
    labels,
    help: null,
    observer: 'histogram',
    buckets: null,
    targets: null,
    honorLabels: false,
    scale: 1,
    ...more,
  });
  const rows = [
    {
      name: 'the README example',
      given: ['test.dispatcher.FooProcessor.send.success', 'c'],
      want: mapped('dispatcher_events_total', [
        ['processor', 'FooProcessor'],
        ['action', 'send'],
        ['outcome', 'success'],
        ['job', 'test_dispatcher'],
      ]),
    },
    {
      name: 'a braced reference in a label',
      given: ['foo_product.signup.facebook.failure', 'c'],
      want: mapped('signup_events_total', [
        ['provider', 'facebook'],
        ['outcome', 'failure'],
        ['job', 'foo_product_server'],
      ]),
    },
    { name: '$n in the name', given: ['test.p.hits.counter', 'c'], want: mapped('hits_total', [['provider', 'p']]) },
    { name: 'no rule matches', given: ['test.web-server.foo.bar', 'c'], want: null },
    { name: 'a * is one whole part', given: ['noise.a.b', 'c'], want: null },
    { name: 'drop', given: ['noise.x', 'c'], want: { drop: true } },
    { name: 'match_metric_type gauge, for a gauge', given: ['typed.a', 'g'], want: mapped('typed_gauge', []) },
    { name: 'match_metric_type gauge skips a counter', given: ['typed.a', 'c'], want: mapped('typed_other', []) },
    {
      name: 'a summary with quantiles',
      given: ['timing.a', 'ms'],
      want: mapped('timing_seconds', [], { observer: 'summary', targets: [{ quantile: 0.9, epsilon: 0.01 }] }),
    },
    {
      name: 'buckets, help, scale, honor_labels',
      given: ['sized.big', 'h'],
      want: mapped('sized_seconds', [['kind', 'big']], {
        buckets: [0.1, 1],
        help: 'Sized things.',
        scale: 0.001,
        honorLabels: true,
      }),
    },
  ] as const;
  it.each(rows)('$name', ({ given, want }) => {
    expect(mapName(mapping, given[0], given[1])).toEqual(want);
  });

  it('takes the first matching rule, or with glob_disable_ordering the most specific', () => {
    const rules = `
mappings:
- match: "a.*.c"
  name: "wild"
- match: "a.b.c"
  name: "exact"
`;
    expect(mapName(parseMapping(rules), 'a.b.c', 'c')).toMatchObject({ name: 'wild' });
    const unordered = `defaults: { glob_disable_ordering: true }\n${rules}`;
    expect(mapName(parseMapping(unordered), 'a.b.c', 'c')).toMatchObject({ name: 'exact' });
    expect(mapName(parseMapping(unordered), 'a.x.c', 'c')).toMatchObject({ name: 'wild' });
  });

  it('takes the defaults for every rule that sets none', () => {
    const m = parseMapping(`
defaults: { observer_type: summary, summary_options: { quantiles: [{ quantile: 0.5, error: 0.05 }] } }
mappings: [{ match: "a.*", name: "a" }]
`);
    expect(mapName(m, 'a.b', 'ms')).toMatchObject({ observer: 'summary', targets: [{ quantile: 0.5, epsilon: 0.05 }] });
    expect(m.observer).toBe('summary');
  });
});

describe('parseMapping refuses, naming the key', () => {
  const rows = [
    {
      name: 'regex',
      given: 'mappings: [{ match: "a.(.*)", match_type: regex, name: "a" }]',
      want: 'mappings[0].match_type: regex is not supported',
    },
    { name: 'regex by default', given: 'defaults: { match_type: regex }', want: 'defaults.match_type: regex' },
    {
      name: 'ttl',
      given: 'mappings: [{ match: "a", name: "a", ttl: 1m }]',
      want: 'mappings[0].ttl: not supported (use --push-ttl',
    },
    {
      name: 'an unknown key',
      given: 'mappings: [{ match: "a", name: "a", colour: red }]',
      want: 'mappings[0].colour: unknown',
    },
    { name: 'an unknown top-level key', given: 'maps: []', want: 'the file.maps: unknown' },
    {
      name: 'native histograms',
      given: 'mappings: [{ match: "a", name: "a", histogram_options: { native_histogram_bucket_factor: 1.1 } }]',
      want: 'mappings[0].histogram_options.native_histogram_bucket_factor: not supported',
    },
    {
      name: 'summary max_age',
      given: 'mappings: [{ match: "a", name: "a", observer_type: summary, summary_options: { max_age: 30s } }]',
      want: 'mappings[0].summary_options.max_age: not supported',
    },
    {
      name: 'a glob inside a part',
      given: 'mappings: [{ match: "a.b*", name: "a" }]',
      want: 'mappings[0].match: must be a glob',
    },
    { name: 'no name', given: 'mappings: [{ match: "a.*" }]', want: 'mappings[0].name: must be a metric name' },
    { name: 'a bad name', given: 'mappings: [{ match: "a.*", name: "a.b" }]', want: 'mappings[0].name' },
    {
      name: 'a reference past the stars',
      given: 'mappings: [{ match: "a.*", name: "a_$2" }]',
      want: 'mappings[0].name: refers past the 1 *',
    },
    {
      name: 'a label reference past the stars',
      given: 'mappings: [{ match: "a.*", name: "a", labels: { x: "$3" } }]',
      want: 'mappings[0].labels.x: refers past',
    },
    {
      name: 'a bad label name',
      given: 'mappings: [{ match: "a", name: "a", labels: { "a-b": "x" } }]',
      want: 'mappings[0].labels.a-b: not a label name',
    },
    {
      name: 'a __ label',
      given: 'mappings: [{ match: "a", name: "a", labels: { __x: "x" } }]',
      want: 'mappings[0].labels.__x',
    },
    {
      name: 'unsorted buckets',
      given: 'mappings: [{ match: "a", name: "a", histogram_options: { buckets: [1, 0.5] } }]',
      want: 'mappings[0].histogram_options.buckets',
    },
    {
      name: 'a tiny error',
      given:
        'mappings: [{ match: "a", name: "a", observer_type: summary, summary_options: { quantiles: [{ quantile: 0.5, error: 0.00001 }] } }]',
      want: 'mappings[0].summary_options.quantiles[0]: error',
    },
    {
      name: 'summary options on a histogram',
      given: 'mappings: [{ match: "a", name: "a", summary_options: { quantiles: [{ quantile: 0.5, error: 0.05 }] } }]',
      want: 'mappings[0].summary_options: set for a histogram',
    },
    {
      name: 'an unknown action',
      given: 'mappings: [{ match: "a", name: "a", action: keep }]',
      want: 'mappings[0].action',
    },
    {
      name: 'a bad observer type',
      given: 'mappings: [{ match: "a", name: "a", observer_type: gauge }]',
      want: 'mappings[0].observer_type',
    },
    { name: 'not YAML', given: 'mappings: [', want: 'not YAML' },
    { name: 'not a map', given: '- a', want: 'the file: must be a map' },
  ];
  it.each(rows)('$name', ({ given, want }) => {
    expect(() => parseMapping(given)).toThrow(`--statsd-mapping-config: ${want}`);
  });

  it('takes an empty file as no rules', () => {
    expect(parseMapping('').rules).toEqual([]);
  });
});
