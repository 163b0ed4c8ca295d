// GET /metrics' query verdicts (issue 28 item 3), hostile values included: each a 400 with its reason.
import { describe, expect, it } from 'vitest';
import { type AggregationDefaults, aggregationBounds, type ExportParams, exportQuery } from './export-query.js';

const DEFAULTS: AggregationDefaults = {
  types: ['avg', 'sum', 'min', 'max'],
  windowSeconds: 300,
  minWindowSeconds: 10,
  maxWindowSeconds: 86_400,
};

describe('exportQuery', () => {
  const table: { name: string; given: ExportParams; want: object }[] = [
    { name: 'nothing asked', given: {}, want: { format: undefined, aggregated: null } },
    { name: 'json', given: { format: 'json' }, want: { format: 'json', aggregated: null } },
    { name: 'openmetrics', given: { format: 'openmetrics' }, want: { format: 'openmetrics', aggregated: null } },
    {
      name: 'aggregated with the defaults',
      given: { aggregated: 'true' },
      want: { aggregated: { types: ['avg', 'sum', 'min', 'max'], windowSeconds: 300 } },
    },
    {
      name: 'aggregated with types and a window',
      given: { aggregated: 'true', aggregation_types: 'count,avg', window_seconds: '60' },
      want: { aggregated: { types: ['count', 'avg'], windowSeconds: 60 } },
    },
    { name: 'aggregated=false', given: { aggregated: 'false' }, want: { aggregated: null } },
    {
      name: 'a path as format',
      given: { format: '../../etc' },
      want: { error: 'unknown format "../../etc" (prometheus, openmetrics, json)' },
    },
    {
      name: 'a huge format is shown short',
      given: { format: 'x'.repeat(100_000) },
      want: { error: `unknown format "${'x'.repeat(40)}…" (prometheus, openmetrics, json)` },
    },
    {
      name: '10,000 aggregation types',
      given: { aggregated: 'true', aggregation_types: Array(10_000).fill('avg').join(',') },
      want: { error: 'aggregation_types has 10000 entries, at most 5' },
    },
    {
      name: 'an unknown aggregation type',
      given: { aggregation_types: 'avg,median' },
      want: { error: 'aggregation_types: unknown "median" (avg, sum, min, max, count)' },
    },
    {
      name: 'a type twice',
      given: { aggregation_types: 'avg,avg' },
      want: { error: 'aggregation_types names a type twice' },
    },
    {
      name: 'window_seconds=1e309 (Infinity)',
      given: { window_seconds: '1e309' },
      want: { error: "window_seconds must be a number from 10 to 86400 (the history's step and what it keeps)" },
    },
    {
      name: 'window_seconds below a step',
      given: { window_seconds: '1' },
      want: { error: "window_seconds must be a number from 10 to 86400 (the history's step and what it keeps)" },
    },
    {
      name: 'window_seconds not a number',
      given: { window_seconds: 'NaN' },
      want: { error: "window_seconds must be a number from 10 to 86400 (the history's step and what it keeps)" },
    },
    {
      name: 'aggregated=yes',
      given: { aggregated: 'yes' },
      want: { error: 'aggregated must be true or false, not "yes"' },
    },
  ];
  for (const { name, given, want } of table) {
    it(name, () => expect(exportQuery(given, DEFAULTS)).toMatchObject(want));
  }
});

describe('aggregationBounds', () => {
  it('a window from one step to the rollups kept; the default brought within them', () => {
    expect(
      aggregationBounds({ types: ['avg', 'count'], windowSeconds: 300 }, { stepMs: 10_000, rollupWindowMs: 120_000 }),
    ).toEqual({ types: ['avg', 'count'], windowSeconds: 120, minWindowSeconds: 10, maxWindowSeconds: 120 });
  });
});
