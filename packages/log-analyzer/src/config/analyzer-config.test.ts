// The metrics-service API's settings onto the stages' configs (issue 28 item 5): table tests.
import { describe, expect, it } from 'vitest';
import { aggregationTypes, customNames } from '../cli/parsers.js';
import { aggregationOf, customMetricsOf, historyOf } from './analyzer-config.js';
import { DEFAULTS } from './settings.js';

describe('historyOf: max points and retention onto the history', () => {
  const table: { name: string; given: Record<string, unknown>; want: object }[] = [
    {
      name: 'the defaults: 1,000 points cap nothing (1 h of 10 s is 360), rollups 24 h',
      given: {},
      want: { maxSeries: 10_000, stepMs: 10_000, windowMs: 3_600_000, rollupWindowMs: 86_400_000 },
    },
    {
      name: 'ACCESS_MAX_POINTS_PER_SERIES=90: 90 steps of 10 s',
      given: { historyMaxPoints: 90 },
      want: { windowMs: 900_000 },
    },
    {
      name: 'more points than the window holds: the window',
      given: { historyMaxPoints: 100_000 },
      want: { windowMs: 3_600_000 },
    },
    {
      name: '[aggregation] retention_hours = 2: rollups for 2 h',
      given: { retentionHours: 2 },
      want: { rollupWindowMs: 7_200_000 },
    },
    { name: 'ACCESS_MAX_METRIC_SERIES=500', given: { historyMaxSeries: 500 }, want: { maxSeries: 500 } },
  ];
  for (const { name, given, want } of table) {
    it(name, () => expect(historyOf({ ...DEFAULTS, ...given })).toMatchObject(want));
  }
});

describe('aggregation and declared metrics', () => {
  it('the documented defaults', () => {
    expect(aggregationOf(DEFAULTS)).toEqual({
      types: ['avg', 'sum', 'min', 'max'],
      windowSeconds: 300,
      trendHours: 24,
    });
    expect(customMetricsOf(DEFAULTS)).toEqual({ gauges: [], counters: [], histograms: [] });
    expect(DEFAULTS.environment).toBe('local');
  });

  const types: { name: string; given: [string, string[] | undefined]; want: string[] | string }[] = [
    { name: 'a list replaces the default', given: ['count', ['avg', 'sum', 'min', 'max']], want: ['count'] },
    { name: 'comma-separated', given: ['max,count', undefined], want: ['max', 'count'] },
    { name: 'a second value adds', given: ['sum', ['avg']], want: ['avg', 'sum'] },
    {
      name: 'an unknown type',
      given: ['median', undefined],
      want: 'expected aggregation types among avg, sum, min, max, count',
    },
    { name: 'twice', given: ['avg,avg', undefined], want: 'avg is named twice' },
  ];
  for (const { name, given, want } of types) {
    it(`--aggregation-types: ${name}`, () => {
      const [value, previous] = given;
      // The default is handed over as itself (commander does so): it must not be added to.
      const prev = previous?.join() === 'avg,sum,min,max' ? (DEFAULTS.aggregationTypes as string[]) : previous;
      if (typeof want === 'string') expect(() => aggregationTypes(value, prev)).toThrow(want);
      else expect(aggregationTypes(value, prev)).toEqual(want);
    });
  }

  it('--custom-gauge: metric names, each once', () => {
    expect(customNames('errors,active_sessions')).toEqual(['errors', 'active_sessions']);
    expect(() => customNames('1x')).toThrow('"1x" is not a Prometheus metric name');
    expect(() => customNames('a', ['a'])).toThrow('a is declared twice');
  });
});
