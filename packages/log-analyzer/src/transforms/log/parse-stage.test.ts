import { describe, expect, it } from 'vitest';
import { type ChunkSummary, emptySummary } from '../../store/chunk-summary.js';
import { logFamilies } from '../../store/log-families.js';
import { Store } from '../../store/store.js';
import type { Lease } from '../pool/parse-pool.js';
import { type ChunkPool, ParseStage } from './parse-stage.js';

/** A pool that "parses" a chunk into one line per byte, and says what it was given. */
function fakePool() {
  const runs: number[] = [];
  let released = 0;
  const lease = (): Lease => ({ release: () => void released++ });
  const pool: ChunkPool = {
    readBytes: 1024,
    buffer: (size) => new Uint8Array(size),
    acquire: async () => lease(),
    run: async (held, bytes) => {
      runs.push(bytes.length);
      held.release();
      return { ...emptySummary(), lines: bytes.length, parseFailures: 1 };
    },
  };
  return { pool, runs, lease, released: () => released };
}

describe('ParseStage', () => {
  const cases = [
    {
      name: 'whole lines go to a worker; its summary comes back as it is',
      given: { bytes: 3, tooLong: 0 },
      want: { runs: [3], summary: { lines: 3, parseFailures: 1, tooLong: 0 } },
    },
    {
      name: 'over-long lines that ended in the read are added to the worker’s lines',
      given: { bytes: 3, tooLong: 2 },
      want: { runs: [3], summary: { lines: 5, parseFailures: 1, tooLong: 2 } },
    },
    {
      name: 'a read that held only the end of an over-long line goes to no worker',
      given: { bytes: null, tooLong: 1 },
      want: { runs: [], summary: { lines: 1, parseFailures: 0, tooLong: 1 } },
    },
  ];
  for (const { name, given, want } of cases) {
    it(name, async () => {
      const fake = fakePool();
      const sink = new ParseStage(fake.pool, logFamilies(new Store(), false)).forFile('a.log');
      const summary = await sink.parse({
        bytes: given.bytes === null ? null : new Uint8Array(given.bytes),
        tooLong: given.tooLong,
        lease: fake.lease(),
        again: async () => new Uint8Array(0),
      });
      expect(want).toEqual({
        runs: fake.runs,
        summary: { lines: summary.lines, parseFailures: summary.parseFailures, tooLong: summary.tooLong },
      });
      expect(fake.released()).toBe(1); // the lease goes back either way
    });
  }

  it('apply merges into the store under the file label and tells of each merge', () => {
    const store = new Store();
    const merged: [string, ChunkSummary][] = [];
    const stage = new ParseStage(fakePool().pool, logFamilies(store, false), (file, s) => merged.push([file, s]));
    const summary = { ...emptySummary(), lines: 4, tooLong: 1 };
    stage.forFile('a.log').apply(summary);
    expect({
      lines: store.sum('log_lines_total', { file: 'a.log' }),
      tooLong: store.sum('log_errors_total', { file: 'a.log', reason: 'line_too_long' }),
      merged,
    }).toEqual({ lines: 4, tooLong: 1, merged: [['a.log', summary]] });
  });
});
