import { describe, expect, it } from 'vitest';
import { MemorySource } from '../rules/promql/series-source.js';
import { parseTime, queryRoutes } from './query-routes.js';

const source = new MemorySource([
  { labels: { __name__: 'up', job: 'a' }, points: [[1000_000, 1]] },
  { labels: { __name__: 'dup', a: '1' }, points: [[1000_000, 1]] },
  { labels: { __name__: 'dup', a: '2' }, points: [[1000_000, 2]] },
]);
const app = queryRoutes(source, 3600_000, () => 1000_000);
const get = async (query: string, time?: string) => {
  const params = new URLSearchParams({ query, ...(time === undefined ? {} : { time }) });
  const res = await app.request(`/api/v1/query?${params}`);
  return { status: res.status, body: await res.json() };
};

describe('GET /api/v1/query answers in Prometheus shapes', () => {
  const cases: { name: string; given: [string, string?]; want: { status: number; body: unknown } }[] = [
    {
      name: 'a vector, at now',
      given: ['up == 1'],
      want: {
        status: 200,
        body: {
          status: 'success',
          data: { resultType: 'vector', result: [{ metric: { __name__: 'up', job: 'a' }, value: [1000, '1'] }] },
        },
      },
    },
    {
      name: 'a scalar at a given time',
      given: ['1 / 0', '1000.5'],
      want: { status: 200, body: { status: 'success', data: { resultType: 'scalar', result: [1000.5, '+Inf'] } } },
    },
    {
      name: 'a refusal: bad_data with the position',
      given: ['sum(up) + predict_linear(up[5m], 60)'],
      want: {
        status: 400,
        body: {
          status: 'error',
          errorType: 'bad_data',
          error: 'invalid parameter "query": position 10: function "predict_linear" is not supported',
        },
      },
    },
    {
      name: 'an error the data reveals: execution',
      given: ['dup + on() up'],
      want: {
        status: 422,
        body: {
          status: 'error',
          errorType: 'execution',
          error: 'multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)',
        },
      },
    },
    {
      name: 'a bad time',
      given: ['up', 'yesterday'],
      want: { status: 400, body: { status: 'error', errorType: 'bad_data', error: 'invalid parameter "time"' } },
    },
  ];
  it.each(cases)('$name', async ({ given, want }) => {
    expect(await get(...given)).toEqual(want);
  });
});

describe('parseTime', () => {
  const cases: { name: string; given: string | undefined; want: number | null }[] = [
    { name: 'absent: now', given: undefined, want: 5 },
    { name: 'Unix seconds', given: '1700000000.25', want: 1700000000250 },
    { name: 'RFC 3339', given: '2026-01-02T03:04:05Z', want: Date.UTC(2026, 0, 2, 3, 4, 5) },
    { name: 'junk', given: '12abc', want: null },
  ];
  it.each(cases)('$name', ({ given, want }) => expect(parseTime(given, 5)).toBe(want));
});
