import { describe, expect, it } from 'vitest';
import {
  type Arrival,
  type Candidate,
  judgeChanged,
  judgePath,
  judgeRotated,
  type Known,
  leavesPath,
  planArrival,
  planResume,
  type SavedGeneration,
} from './decisions.js';

const known: Known = { dev: 1, ino: 10, size: 500, mtimeMs: 1000, offset: 500 };

describe('judgePath', () => {
  it.each([
    { name: 'nothing at the path', given: null, want: 'gone' },
    { name: 'same file, untouched', given: { dev: 1, ino: 10, size: 500, mtimeMs: 1000 }, want: 'idle' },
    { name: 'same file, grown', given: { dev: 1, ino: 10, size: 700, mtimeMs: 1010 }, want: 'changed' },
    {
      name: 'same size, new time (rewritten in place)',
      given: { dev: 1, ino: 10, size: 500, mtimeMs: 1010 },
      want: 'changed',
    },
    {
      name: 'same file, shorter than our offset',
      given: { dev: 1, ino: 10, size: 100, mtimeMs: 1010 },
      want: 'truncated',
    },
    { name: 'another inode', given: { dev: 1, ino: 11, size: 900, mtimeMs: 1010 }, want: 'replaced' },
    { name: 'same inode on another device', given: { dev: 2, ino: 10, size: 500, mtimeMs: 1000 }, want: 'replaced' },
  ] as const)('$name → $want', ({ given, want }) => {
    expect(judgePath(known, given)).toBe(want);
  });

  it('a file not read to its end is never idle, even when untouched', () => {
    expect(judgePath({ ...known, offset: 100 }, { dev: 1, ino: 10, size: 500, mtimeMs: 1000 })).toBe('changed');
  });

  it.each([
    { given: true, want: 'grown' },
    { given: false, want: 'truncated' },
  ] as const)('after a change, first bytes matching=$given → $want', ({ given, want }) => {
    expect(judgeChanged(given)).toBe(want);
  });
});

describe('leavesPath', () => {
  it.each([
    { name: 'untouched: still ours', given: 'idle', want: false },
    { name: 'grown: still ours', given: 'changed', want: false },
    { name: 'truncated: still ours, read again from 0', given: 'truncated', want: false },
    { name: 'renamed away, another file there', given: 'replaced', want: true },
    { name: 'renamed away or deleted, nothing there', given: 'gone', want: true },
  ] as const)('$name → $want', ({ given, want }) => {
    expect(leavesPath(given)).toBe(want);
  });
});

describe('planArrival', () => {
  const at = (given: Partial<Arrival>): Arrival => ({
    following: false,
    fileThere: true,
    heldElsewhere: false,
    emptyBefore: false,
    ...given,
  });
  it.each([
    { name: 'we follow the file there', given: at({ following: true }), want: [] },
    { name: 'a new file where ours was: a rotation', given: at({}), want: ['open-at-path'] },
    {
      name: 'a file where nothing was: generations may have come and gone in the gap',
      given: at({ emptyBefore: true }),
      want: ['find-missed', 'open-at-path'],
    },
    { name: 'nothing there', given: at({ fileThere: false }), want: [] },
    { name: 'still nothing there', given: at({ fileThere: false, emptyBefore: true }), want: [] },
    {
      name: 'the file there is followed by another path (a switched symlink)',
      given: at({ heldElsewhere: true }),
      want: [],
    },
  ] as const)('$name', ({ given, want }) => {
    expect(planArrival(given)).toEqual(want);
  });
});

describe('judgeRotated', () => {
  it.each([
    { name: 'renamed, written to just now', given: { links: 1, quietMs: 0, rotateWaitMs: 5_000 }, want: 'wait' },
    {
      name: 'renamed, quiet just short of the wait',
      given: { links: 1, quietMs: 4_999, rotateWaitMs: 5_000 },
      want: 'wait',
    },
    { name: 'renamed, quiet for the wait', given: { links: 1, quietMs: 5_000, rotateWaitMs: 5_000 }, want: 'finish' },
    { name: 'deleted: nobody can write to it', given: { links: 0, quietMs: 0, rotateWaitMs: 5_000 }, want: 'finish' },
    { name: 'no wait configured', given: { links: 2, quietMs: 0, rotateWaitMs: 0 }, want: 'finish' },
  ] as const)('$name → $want', ({ given, want }) => {
    expect(judgeRotated(given.links, given.quietMs, given.rotateWaitMs)).toBe(want);
  });
});

describe('planResume', () => {
  const file = (name: string, ino: number, size: number, mtimeMs: number, atPath = false): Candidate => ({
    name,
    dev: 1,
    ino,
    size,
    mtimeMs,
    atPath,
  });
  const gen = (ino: number, offset: number): SavedGeneration => ({ dev: 1, ino, offset });
  // Content "matches" when the candidate's ino is listed for the generation's ino (a copy keeps content,
  // not inode); a file with the same content also starts like it.
  const plan = (
    saved: SavedGeneration[],
    candidates: Candidate[],
    writtenAt: number,
    sameContent: Record<number, number[]> = {},
  ) => {
    const same = (c: Candidate, g: SavedGeneration) => c.ino === g.ino || (sameContent[g.ino] ?? []).includes(c.ino);
    return planResume({ saved, candidates, writtenAt, sameContent: same, startsLike: same }).map(
      (s) => `${s.candidate.name}@${s.offset}`,
    );
  };

  it.each([
    {
      name: 'nothing happened while stopped: the path resumes at its offset',
      want: ['access.log@100'],
      saved: [gen(10, 100)],
      candidates: [file('access.log', 10, 100, 50, true)],
    },
    {
      name: 'one rename rotation: the old file from its offset, then the new one from 0',
      want: ['access.log.1@100', 'access.log@0'],
      saved: [gen(10, 100)],
      candidates: [file('access.log.1', 10, 300, 150), file('access.log', 11, 40, 160, true)],
    },
    {
      name: 'two rotations: the old file, the whole middle generation (written after the checkpoint), the new one',
      want: ['access.log.2@100', 'access.log.1@0', 'access.log@0'],
      saved: [gen(10, 100)],
      candidates: [
        file('access.log.2', 10, 300, 150),
        file('access.log.1', 11, 500, 170),
        file('access.log', 12, 40, 180, true),
      ],
    },
    {
      name: 'a rotated file older than the checkpoint and unknown to it is not read again',
      want: ['access.log@100'],
      saved: [gen(10, 100)],
      candidates: [file('access.log.3', 7, 900, 20), file('access.log', 10, 100, 50, true)],
    },
    {
      name: 'a rotated generation the checkpoint held open continues from its offset, before the current file',
      want: ['access.log.1@250', 'access.log@80'],
      saved: [gen(9, 250), gen(10, 80)],
      candidates: [file('access.log.1', 9, 300, 150), file('access.log', 10, 200, 160, true)],
    },
    {
      name: 'a generation read to its end is not opened',
      want: ['access.log@80'],
      saved: [gen(9, 300), gen(10, 80)],
      candidates: [file('access.log.1', 9, 300, 40), file('access.log', 10, 200, 160, true)],
    },
    {
      name: 'copytruncate while stopped: the copy (another inode, same content) from the offset, the path from 0',
      want: ['access.log.1@100', 'access.log@0'],
      saved: [gen(10, 100)],
      candidates: [file('access.log.1', 20, 180, 150), file('access.log', 10, 30, 160, true)],
      same: { 10: [20] },
    },
    {
      name: "stopped between copytruncate's copy and its truncation: the copy is ours (its lines are the path's), not read",
      want: ['access.log@100'],
      saved: [gen(10, 100)],
      candidates: [file('access.log.1', 20, 180, 150), file('access.log', 10, 180, 160, true)],
      same: { 10: [20] },
    },
    {
      name: 'a reused inode whose content differs is not the saved file',
      want: ['access.log@0'],
      saved: [gen(10, 100)],
      candidates: [file('access.log', 10, 400, 160, true)],
      same: {},
      differs: true,
    },
  ])('$name', ({ want, saved, candidates, same, differs }) => {
    const got = differs
      ? planResume({ saved, candidates, writtenAt: 100, sameContent: () => false }).map(
          (s) => `${s.candidate.name}@${s.offset}`,
        )
      : plan(saved, candidates, 100, same as Record<number, number[]> | undefined);
    expect(got).toEqual(want);
  });
});
