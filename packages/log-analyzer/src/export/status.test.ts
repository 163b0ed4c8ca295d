import { describe, expect, it } from 'vitest';
import { type StatusParts, statusAnswer } from './status.js';

const file = { path: '/var/log/a.log', offset: 10, lines: 3, errors: 1 };
const parts = (checkpoint: Partial<StatusParts<typeof file>['checkpoint']>): StatusParts<typeof file> => ({
  discovery: { done: true, directories: 1, files: 1, refused: 0 },
  checkpoint: { file: '/state/cp.json', resumed: false, publishedAt: 0, series: 4, ...checkpoint },
  files: [file],
  pool: { workers: 1 },
});

describe('statusAnswer', () => {
  it.each([
    {
      name: 'nothing published yet: publishedAt is null',
      given: parts({}),
      want: { file: '/state/cp.json', resumed: false, publishedAt: null, series: 4 },
    },
    {
      name: 'a published checkpoint: its time in ISO 8601',
      given: parts({ publishedAt: Date.UTC(2026, 10, 3, 12, 0, 0), resumed: true }),
      want: { file: '/state/cp.json', resumed: true, publishedAt: '2026-11-03T12:00:00.000Z', series: 4 },
    },
    {
      name: 'no checkpoint file (--positions none)',
      given: parts({ file: null }),
      want: { file: null, resumed: false, publishedAt: null, series: 4 },
    },
  ])('$name', ({ given, want }) => {
    const answer = statusAnswer(given);
    expect(want).toEqual(answer.checkpoint);
    // The other parts are passed on as they are.
    expect({ discovery: given.discovery, files: [file], pool: { workers: 1 } }).toEqual({
      discovery: answer.discovery,
      files: answer.files,
      pool: answer.pool,
    });
  });
});
