import { describe, expect, it } from 'vitest';
import { applyPush, expireGroups, exposedNames, type Groups, removeGroup, sanitizeLabels } from './groups.js';
import { apiMetrics, goFloat, groupsText } from './render.js';
import { decodeSavedGroups, savedGroups } from './saved.js';
import { parseTextFormat, type TextFamily } from './text-format.js';

const body = (text: string): TextFamily[] => {
  const parsed = parseTextFormat(text);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.families;
};

const none = () => false;

/** Pushes in order; each step PUT (replace) or POST, additive or not. */
function run(
  steps: { key: Record<string, string>; text: string; replace?: boolean; additive?: boolean; at?: number }[],
) {
  let groups: Groups = new Map();
  const errors: (string | undefined)[] = [];
  for (const [i, s] of steps.entries()) {
    const parsed = parseTextFormat(s.text);
    if ('error' in parsed) throw new Error(parsed.error);
    const out = applyPush(
      groups,
      {
        key: s.key,
        families: parsed.families,
        replace: s.replace ?? true,
        additive: s.additive ?? false,
        timestamps: parsed.timestamps,
        at: s.at ?? (i + 1) * 1000,
      },
      none,
    );
    groups = out.groups;
    errors.push(out.error);
  }
  return { text: groupsText(groups), errors, groups };
}

describe('sanitizeLabels', () => {
  const cases = [
    {
      name: 'grouping labels added, instance="" added',
      given: { labels: [['a', '1']] as [string, string][], key: { job: 'j' } },
      want: [
        ['a', '1'],
        ['instance', ''],
        ['job', 'j'],
      ],
    },
    {
      name: 'a grouping label overrides the body',
      given: { labels: [['job', 'body']] as [string, string][], key: { job: 'path' } },
      want: [
        ['instance', ''],
        ['job', 'path'],
      ],
    },
    {
      name: "the body's instance stays when the key has none",
      given: { labels: [['instance', 'i']] as [string, string][], key: { job: 'j' } },
      want: [
        ['instance', 'i'],
        ['job', 'j'],
      ],
    },
  ];
  for (const { name, given, want } of cases)
    it(name, () => expect(sanitizeLabels(given.labels, given.key)).toEqual(want));
});

describe('applyPush', () => {
  it('PUT replaces the whole group, POST only the families it names', () => {
    const { text, errors } = run([
      { key: { job: 'j' }, text: 'a 1\nb 2\n' },
      { key: { job: 'j' }, text: 'a 5\n', replace: false },
      { key: { job: 'k' }, text: 'c 1\n' },
      { key: { job: 'k' }, text: 'd 1\n' },
    ]);
    expect(errors).toEqual([undefined, undefined, undefined, undefined]);
    expect(text).toContain('a{instance="",job="j"} 5');
    expect(text).toContain('b{instance="",job="j"} 2');
    expect(text).not.toContain('c{');
    expect(text).toContain('d{instance="",job="k"} 1');
    expect(text).toContain('push_time_seconds{instance="",job="j"} 2');
    expect(text).toContain('push_failure_time_seconds{instance="",job="j"} 0');
  });

  it('an empty PUT leaves an empty group with its push time', () => {
    const { text } = run([
      { key: { job: 'j' }, text: 'a 1\n' },
      { key: { job: 'j' }, text: '' },
    ]);
    expect(text).not.toContain('\na{');
    expect(text).toContain('push_time_seconds{instance="",job="j"} 2');
  });

  const refusals = [
    {
      name: 'timestamps',
      given: ['x 1\n', 'x 1 123\n'],
      want: 'pushed metrics are invalid or inconsistent with existing metrics: pushed metrics must not have timestamps',
    },
    {
      name: 'a type other than another group has',
      given: ['# TYPE x gauge\nx 1\n', '# TYPE x counter\nx 1\n'],
      want: 'pushed metrics are invalid or inconsistent with existing metrics: gathered metric family x has type COUNTER but should have GAUGE',
    },
    {
      name: 'a _count beside a summary',
      given: ['# TYPE s summary\ns_sum 1\ns_count 1\n', 's_count 1\n'],
      want: 'pushed metrics are invalid or inconsistent with existing metrics: collected metric family "s_count" collides with previously collected summary named "s"',
    },
  ];
  for (const { name, given, want } of refusals) {
    it(`refuses ${name}, keeps the group, records the failure time`, () => {
      const { text, errors } = run([
        { key: { job: 'j' }, text: given[0] ?? '' },
        { key: { job: 'k' }, text: given[1] ?? '' },
      ]);
      expect(errors[1]).toBe(want);
      expect(text).toContain('push_failure_time_seconds{instance="",job="k"} 2');
      expect(text).toContain('push_time_seconds{instance="",job="k"} 0');
    });
  }

  it('refuses a series another group holds already (the body label meets a grouping label)', () => {
    const { errors } = run([
      { key: { job: 'j', x: '1' }, text: 'a 1\n' },
      { key: { job: 'j' }, text: 'a{x="1"} 1\n' },
    ]);
    expect(errors[1]).toMatch(/was collected before with the same name and label values/);
  });

  it('refuses a name the analyzer exposes itself', () => {
    const out = applyPush(
      new Map(),
      {
        key: { job: 'j' },
        families: body('log_lines_total 1\n'),
        replace: true,
        additive: false,
        timestamps: false,
        at: 1,
      },
      (n) => n === 'log_lines_total',
    );
    expect(out.error).toMatch(/already exposed by the analyzer/);
  });

  it('additive: counters, histograms and summary sums add; gauges and quantiles replace', () => {
    const text =
      '# TYPE c counter\nc 2\n# TYPE g gauge\ng 2\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 3\nh_count 2\n# TYPE s summary\ns{quantile="0.5"} 7\ns_sum 1\ns_count 1\n';
    const { text: out } = run([
      { key: { job: 'j' }, text },
      { key: { job: 'j' }, text, additive: true },
      { key: { job: 'j' }, text, additive: true, replace: false },
    ]);
    for (const want of [
      'c{instance="",job="j"} 6',
      'g{instance="",job="j"} 2',
      'h_bucket{instance="",job="j",le="1"} 3',
      'h_bucket{instance="",job="j",le="+Inf"} 6',
      'h_sum{instance="",job="j"} 9',
      'h_count{instance="",job="j"} 6',
      's{instance="",job="j",quantile="0.5"} 7',
      's_sum{instance="",job="j"} 3',
      's_count{instance="",job="j"} 3',
    ]) {
      expect(out).toContain(want);
    }
  });

  it('additive on a new series starts from the pushed value', () => {
    const { text } = run([{ key: { job: 'j' }, text: '# TYPE c counter\nc 2\n', additive: true }]);
    expect(text).toContain('c{instance="",job="j"} 2');
  });
});

describe('exposedNames', () => {
  const cases: { name: string; given: string; want: string[] }[] = [
    { name: 'no group: nothing, not even the push times', given: '', want: [] },
    { name: 'a gauge', given: '# TYPE g gauge\ng 1\n', want: ['g', 'push_failure_time_seconds', 'push_time_seconds'] },
    {
      name: 'a histogram: its sample names too',
      given: '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
      want: ['h', 'h_bucket', 'h_count', 'h_sum', 'push_failure_time_seconds', 'push_time_seconds'],
    },
    {
      name: 'a summary',
      given: '# TYPE s summary\ns_sum 1\ns_count 1\n',
      want: ['push_failure_time_seconds', 'push_time_seconds', 's', 's_count', 's_sum'],
    },
  ];
  it.each(cases)('$name', ({ given, want }) => {
    const groups = given === '' ? new Map() : run([{ key: { job: 'j' }, text: given }]).groups;
    expect([...exposedNames(groups)].sort()).toEqual(want);
  });
});

describe('removeGroup and expireGroups', () => {
  it('DELETE drops the group, push times included; an absent group is a no-op', () => {
    const { groups } = run([
      { key: { job: 'j' }, text: 'a 1\n' },
      { key: { job: 'k' }, text: 'b 1\n' },
    ]);
    const after = removeGroup(groups, { job: 'j' });
    expect(groupsText(after)).not.toContain('job="j"');
    expect(removeGroup(after, { job: 'nope' })).toBe(after);
  });
  it('the TTL drops groups not changed for that long', () => {
    const { groups } = run([
      { key: { job: 'old' }, text: 'a 1\n', at: 1000 },
      { key: { job: 'new' }, text: 'b 1\n', at: 5000 },
    ]);
    expect([...expireGroups(groups, 6000, 2000).values()].map((g) => g.key.job)).toEqual(['new']);
    expect(expireGroups(groups, 2000, 2000)).toBe(groups);
  });
});

describe('render', () => {
  const cases = [
    { name: 'integer', given: 3, want: '3' },
    { name: 'small uses an exponent as Go does', given: 0.00001, want: '1e-05' },
    { name: 'large', given: 1e21, want: '1e+21' },
    { name: 'seconds', given: 1712345678.123, want: '1712345678.123' },
    { name: 'NaN', given: Number.NaN, want: 'NaN' },
    { name: '+Inf', given: Number.POSITIVE_INFINITY, want: '+Inf' },
  ];
  for (const { name, given, want } of cases) it(`goFloat: ${name}`, () => expect(goFloat(given)).toBe(want));

  it('GET /api/v1/metrics has pushgateway shape', () => {
    const { groups } = run([
      {
        key: { job: 'j' },
        text: '# HELP h H.\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 3\nh_count 2\n',
        at: 2000,
      },
    ]);
    expect(apiMetrics(groups)).toEqual({
      status: 'success',
      data: [
        {
          labels: { job: 'j' },
          last_push_successful: true,
          push_time_seconds: {
            time_stamp: '1970-01-01T00:00:02.000Z',
            type: 'GAUGE',
            help: 'Last Unix time when changing this group in the Pushgateway succeeded.',
            metrics: [{ labels: { instance: '', job: 'j' }, value: '2' }],
          },
          push_failure_time_seconds: {
            time_stamp: '1970-01-01T00:00:02.000Z',
            type: 'GAUGE',
            help: 'Last Unix time when changing this group in the Pushgateway failed.',
            metrics: [{ labels: { instance: '', job: 'j' }, value: '0' }],
          },
          h: {
            time_stamp: '1970-01-01T00:00:02.000Z',
            type: 'HISTOGRAM',
            help: 'H.',
            metrics: [{ labels: { instance: '', job: 'j' }, buckets: { '1': '1' }, count: '2', sum: '3' }],
          },
        },
      ],
    });
  });
});

describe('saved groups', () => {
  it('round-trip through JSON, NaN and Inf included', () => {
    const { groups } = run([{ key: { job: 'j', a: 'x' }, text: 'n NaN\ni -Inf\n' }]);
    const back = decodeSavedGroups(JSON.parse(JSON.stringify(savedGroups.fromGroups(groups))));
    expect(back).not.toBeNull();
    expect(groupsText(savedGroups.toGroups(back ?? { groups: [] }))).toBe(groupsText(groups));
  });
  const bad = [
    { name: 'absent', given: undefined },
    { name: 'not groups', given: { groups: 1 } },
    {
      name: 'a bad value',
      given: {
        groups: [
          {
            key: { job: 'j' },
            pushedAt: 1,
            failedAt: 0,
            families: [{ name: 'x', help: '', type: 'gauge', at: 1, samples: [['x', [], 'seven']] }],
          },
        ],
      },
    },
    {
      name: 'a bad type',
      given: {
        groups: [
          {
            key: { job: 'j' },
            pushedAt: 1,
            failedAt: 0,
            families: [{ name: 'x', help: '', type: 'meter', at: 1, samples: [] }],
          },
        ],
      },
    },
  ];
  for (const { name, given } of bad) it(`refuses ${name}`, () => expect(decodeSavedGroups(given)).toBeNull());
});
