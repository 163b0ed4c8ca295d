import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DecodedBatch, splitKey } from '../../store/push-batch.js';
import { parseMapping } from './mapping.js';
import { StatsdBatcher } from './statsd-batch.js';

const LIMITS = { maxLabels: 4, maxLabelValueBytes: 16, maxSeriesBytes: 64 };

/** A batch as series: `name{k=v,…} type: values`. */
function readable(batch: DecodedBatch | null): string[] {
  if (!batch) return [];
  return batch.keys.map((key, g) => {
    const info = batch.families[batch.family[g] as number];
    const { names, values } = splitKey(key);
    const labels = names.map((n, i) => `${n}=${values[i]}`).join(',');
    const samples = [...batch.values.subarray(batch.start[g], batch.start[g + 1])];
    return `${info?.name}{${labels}} ${info?.type}: ${samples.join(' ')}`;
  });
}

function take(lines: string[], mappingText: string | null = null, gauges: Record<string, number> = {}) {
  const batcher = new StatsdBatcher({
    mapping: mappingText === null ? null : parseMapping(mappingText),
    limits: LIMITS,
    gaugeValue: (name, key) => gauges[`${name}{${key}}`],
  });
  for (const line of lines) batcher.addLine(line);
  const { batch, counts } = batcher.take();
  return {
    series: readable(batch),
    refused: Object.fromEntries(counts.refused),
    dropped: counts.dropped,
    tagErrors: counts.tagErrors,
  };
}

const none = { refused: {}, dropped: 0, tagErrors: 0 };

describe('StatsdBatcher', () => {
  const MAPPING = `
mappings:
- match: "api.*.requests"
  name: "api_requests"
  labels: { service: "$1", region: "fixed" }
- match: "honor.*"
  name: "honored"
  honor_labels: true
  labels: { region: "default" }
- match: "noise.*"
  action: drop
- match: "slow.*"
  name: "slow_seconds"
  scale: 0.5
  histogram_options: { buckets: [1, 2] }
`;
  const rows: {
    name: string;
    given: { lines: string[]; mapping?: string; gauges?: Record<string, number> };
    want: object;
  }[] = [
    {
      name: 'counters add _total, one group per series, samples in order',
      given: { lines: ['a.b:1|c', 'a.b:2|c|#k:v', 'a.b:3|c'] },
      want: { ...none, series: ['a_b_total{} counter: 1 3', 'a_b_total{k=v} counter: 2'] },
    },
    {
      name: 'a name ending in _total keeps it',
      given: { lines: ['hits_total:1|c'] },
      want: { ...none, series: ['hits_total{} counter: 1'] },
    },
    {
      name: 'labels sorted, an empty value left out',
      given: { lines: ['a:1|g|#z:1,a:2'] },
      want: { ...none, series: ['a{a=2,z=1} gauge: 1'] },
    },
    {
      name: 'timers and histograms into the default buckets, observed 1/rate times',
      given: { lines: ['t:250|ms|@0.5', 'h:3|h'] },
      want: { ...none, series: ['t{} histogram: 0.25 0.25', 'h{} histogram: 3'] },
    },
    {
      name: 'relative gauges from the value held, then from each other',
      given: { lines: ['g:+3|g', 'g:-1|g', 'h:-2|g', 'h:7|g', 'h:+1|g'], gauges: { 'g{}': 10 } },
      want: { ...none, series: ['g{} gauge: 13 12', 'h{} gauge: -2 7 8'] },
    },
    {
      name: 'a mapping: name and labels, mapping labels win over tags',
      given: { lines: ['api.users.requests:1|c|#region:eu,method:get'], mapping: MAPPING },
      want: { ...none, series: ['api_requests_total{method=get,region=fixed,service=users} counter: 1'] },
    },
    {
      name: 'honor_labels: a tag wins over the mapping label',
      given: { lines: ['honor.a:1|g|#region:eu', 'honor.b:2|g'], mapping: MAPPING },
      want: { ...none, series: ['honored{region=eu} gauge: 1', 'honored{region=default} gauge: 2'] },
    },
    {
      name: 'drop counts every observation it drops',
      given: { lines: ['noise.a:1|c', 'noise.b:1|ms|@0.5'], mapping: MAPPING },
      want: { ...none, dropped: 3, series: [] },
    },
    {
      name: 'scale and buckets of the mapping',
      given: { lines: ['slow.x:3|h'], mapping: MAPPING },
      want: { ...none, series: ['slow_seconds{} histogram: 1.5'] },
    },
    {
      name: 'unmapped names escaped',
      given: { lines: ['test.web-server.foo:1|g'], mapping: MAPPING },
      want: { ...none, series: ['test_web_server_foo{} gauge: 1'] },
    },
    {
      name: 'reserved tag names skipped and counted: tenant_id, __x, le on a histogram',
      given: { lines: ['t:1|h|#tenant_id:x,__y:1,le:2,ok:3', 'g:1|g|#le:2'] },
      want: { ...none, tagErrors: 3, series: ['t{ok=3} histogram: 1', 'g{le=2} gauge: 1'] },
    },
    {
      name: 'too many labels',
      given: { lines: ['a:1|g|#a:1,b:2,c:3,d:4,e:5', 'b:1|g|#a:1,b:2,c:3,d:4'] },
      want: { ...none, refused: { too_many_labels: 1 }, series: ['b{a=1,b=2,c=3,d=4} gauge: 1'] },
    },
    {
      name: 'a label value too long',
      given: { lines: [`a:1|g|#a:${'x'.repeat(17)}`] },
      want: { ...none, refused: { label_too_long: 1 }, series: [] },
    },
    {
      name: 'a series too large',
      given: { lines: [`a:1|g|#a:${'x'.repeat(16)},b:${'x'.repeat(16)},c:${'x'.repeat(16)},d:${'x'.repeat(16)}`] },
      want: { ...none, refused: { series_too_large: 1 }, series: [] },
    },
    {
      name: 'a name too long',
      given: { lines: [`${'n'.repeat(300)}:1|g`] },
      want: { ...none, refused: { name_too_long: 1 }, series: [] },
    },
    {
      name: 'an unknown type is refused once per line',
      given: { lines: ['bad:1|c', 'x:1|q', 'x:1|q'] },
      want: { ...none, refused: { statsd_invalid_type: 2 }, series: ['bad_total{} counter: 1'] },
    },
    {
      name: 'a line seen before is read again for its value only, with the same verdicts',
      given: {
        lines: ['a:1|c|#k:v', 'a:2|c|#k:v', 'a:-1|c|#k:v', 'a:x|c|#k:v', 'a:3|c|#k:v,bad', 'a:4|c|#k:v,bad'],
      },
      want: {
        ...none,
        tagErrors: 2,
        refused: { negative_counter: 1, statsd_malformed_value: 1 },
        series: ['a_total{k=v} counter: 1 2 3 4'],
      },
    },
    {
      name: 'a gauge seen before: set or delta by its sign each time',
      given: { lines: ['g:5|g', 'g:+1|g', 'g:+1|g', 'g:-3|g', 'g:2|g'] },
      want: { ...none, series: ['g{} gauge: 5 6 7 4 2'] },
    },
    {
      name: 'a timer at a rate seen before: the same observations',
      given: { lines: ['t:100|ms|@0.5', 't:300|ms|@0.5'] },
      want: { ...none, series: ['t{} histogram: 0.1 0.1 0.3 0.3'] },
    },
    {
      name: 'a dropped name seen before is dropped again',
      given: { lines: ['noise.a:1|c', 'noise.a:2|c'], mapping: MAPPING },
      want: { ...none, dropped: 2, series: [] },
    },
  ];
  it.each(rows)('$name', ({ given, want }) => {
    expect(take(given.lines, given.mapping ?? null, given.gauges)).toEqual(want);
  });

  it('reads every line of a packet, refusing only those that are not UTF-8', () => {
    const batcher = new StatsdBatcher({ mapping: null, limits: LIMITS, gaugeValue: () => undefined });
    const packet = Buffer.concat([
      Buffer.from('a:1|c\n'),
      Buffer.from([0x62, 0xff, 0xfe, 0x3a, 0x31, 0x7c, 0x63, 0x0a]),
      Buffer.from('\n\nc:2|c\n'),
    ]);
    expect(batcher.addLines(packet)).toBe(3);
    const { batch, counts } = batcher.take();
    expect(readable(batch)).toEqual(['a_total{} counter: 1', 'c_total{} counter: 2']);
    expect(Object.fromEntries(counts.refused)).toEqual({ statsd_malformed_line: 1 });
  });

  it('starts each batch afresh: a series in two batches is a group of each', () => {
    const batcher = new StatsdBatcher({ mapping: null, limits: LIMITS, gaugeValue: () => undefined });
    batcher.addLine('a:1|c');
    expect(readable(batcher.take().batch)).toEqual(['a_total{} counter: 1']);
    expect(batcher.take().batch).toBeNull();
    batcher.addLine('a:2|c');
    batcher.addLine('b:2|c');
    expect(readable(batcher.take().batch)).toEqual(['a_total{} counter: 2', 'b_total{} counter: 2']);
  });

  it('two names a mapping makes one series are one group', () => {
    const m = 'mappings: [{ match: "x.*", name: "x" }]';
    expect(take(['x.a:+1|g', 'x.b:+2|g'], m).series).toEqual(['x{} gauge: 1 3']);
  });

  it('reads lines too long to cache whole every time, with the same result', () => {
    const limits = { maxLabels: 8, maxLabelValueBytes: 1024, maxSeriesBytes: 4096 };
    const batcher = new StatsdBatcher({ mapping: null, limits, gaugeValue: () => undefined });
    const tags = ['a', 'b', 'c'].map((k) => `${k}:${k.repeat(500)}`).join(',');
    for (const v of [1, 2, 3]) batcher.addLine(`long:${v}|c|#${tags}`);
    const { batch } = batcher.take();
    expect(batch?.keys.length).toBe(1);
    expect([...(batch?.values ?? [])]).toEqual([1, 2, 3]);
  });

  it('survives a flood of distinct names (the cache starts again)', () => {
    const batcher = new StatsdBatcher({ mapping: null, limits: LIMITS, gaugeValue: () => undefined });
    for (let i = 0; i < 50_000; i++) batcher.addLine(`n${i}:1|c`);
    expect(batcher.take().batch?.keys.length).toBe(50_000);
  });
});

describe('StatsdBatcher on any input', () => {
  // Texts made of StatsD's own punctuation reach every branch; plain bytes reach the UTF-8 check.
  const statsdish = fc
    .array(
      fc.constantFrom(
        'a',
        '.',
        ':',
        '|',
        '#',
        ',',
        '=',
        '[',
        ']',
        '@',
        '-',
        '+',
        '1',
        '0.5',
        'e9',
        'c',
        'g',
        'ms',
        'h',
        'd',
        's',
        '\n',
        '\r',
        'é',
        '\u0000',
      ),
      { maxLength: 80 },
    )
    .map((parts) => parts.join(''));

  it('never throws, and hands the store only finite values', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          statsdish.map((t) => Buffer.from(t)),
          fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
        ),
        (bytes) => {
          const batcher = new StatsdBatcher({ mapping: null, limits: LIMITS, gaugeValue: () => 1 });
          batcher.addLines(bytes);
          const { batch, counts } = batcher.take();
          for (const v of batch?.values ?? []) expect(Number.isFinite(v)).toBe(true);
          expect(counts.dropped).toBe(0);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
