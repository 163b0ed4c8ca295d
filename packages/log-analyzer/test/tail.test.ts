// Failure modes of tailing, one test each. Every assertion is exact: lines counted == lines written.
import {
  appendFileSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  statSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { appendFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as writerPause } from 'node:timers/promises';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Analyzer } from '../src/app.js';
import type { AnalyzerConfig } from '../src/config/analyzer-config.js';
import { expectSettled, line, lines, MODES, metricValue, useAnalyzers, WAIT } from './helpers.js';

describe.each(MODES)('tailing ($mode)', ({ usePolling }) => {
  const analyzers = useAnalyzers(usePolling);
  let dir = '';
  const scratch = analyzers.scratch;
  beforeEach(() => {
    dir = analyzers.dir();
  });
  const start = (overrides: Partial<AnalyzerConfig> = {}, watch = ['*.log']) => analyzers.start(watch, overrides);
  const counted = (a: Analyzer, file: string, name = 'log_lines_total', labels: Record<string, string> = {}) =>
    metricValue(a, name, { file, ...labels });
  const expectCount = (a: Analyzer, file: string, want: number) => expectSettled(a, () => counted(a, file), want, WAIT);
  /** An analyzer following access.log, which holds `content` and has been counted up to `counted`. */
  async function following(
    content: string,
    counted: number,
    overrides: Partial<AnalyzerConfig> = {},
    watch = ['*.log'],
  ) {
    const a = await start(overrides, watch);
    const file = join(dir, 'access.log');
    writeFileSync(file, content);
    await expectCount(a, file, counted);
    return { a, file };
  }

  /** An analyzer with a checkpoint that counted access.log's 100 lines, then stopped. */
  async function stoppedAfter100() {
    const positionsFile = join(scratch(), 'positions.json');
    const first = await start({ positionsFile });
    const file = join(dir, 'access.log');
    writeFileSync(file, lines(100));
    await expectCount(first, file, 100);
    await analyzers.stop(first);
    return { positionsFile, file };
  }

  it('append bursts of one-line and many-line writes', async () => {
    const a = await start();
    const file = join(dir, 'a.log');
    writeFileSync(file, '');
    let written = 0;
    for (let i = 0; i < 300; i++) {
      const n = i % 3 === 0 ? 1 : 1 + (i % 97);
      // Asynchronous appends, and a pause after every tenth: the analyzer reads between bursts.
      await appendFile(file, lines(n));
      written += n;
      if (i % 10 === 9) await writerPause(5);
    }
    await expectCount(a, file, written);
    expect(await counted(a, file, 'log_errors_total')).toBe(0);
  });

  it('rename rotation in the middle of a burst', async () => {
    const file = join(dir, 'access.log');
    writeFileSync(file, '');
    const a = await start();
    let written = 0;
    // Asynchronous writes, as from another process: the analyzer runs between them.
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 50; i++) await appendFile(file, lines(20));
      written += 1000;
      await rename(file, `${file}.${round + 1}`); // logrotate `create`: rename, then a new file
      await writeFile(file, lines(7));
      written += 7;
    }
    await expectCount(a, file, written);
    expect(await counted(a, file, 'log_analyzer_file_rotations_total')).toBe(5);
  });

  it('rename with a 500 ms gap before the new file, and late writes to the old one', async () => {
    const { a, file } = await following(lines(100), 100);
    renameSync(file, `${file}.1`);
    appendFileSync(`${file}.1`, lines(10)); // the server has not reopened yet
    await writerPause(500); // the writer's own delay before it creates the new file
    writeFileSync(file, lines(25));
    await expectCount(a, file, 135);
    expect(await counted(a, file, 'log_analyzer_file_rotations_total')).toBe(1);
  });

  it('the partial last line of a rotated file is counted once it is let go', async () => {
    const { a, file } = await following(lines(3) + line().slice(0, 30), 3, { rotateWaitMs: 100 });
    renameSync(file, `${file}.1`);
    writeFileSync(file, lines(2));
    await expectCount(a, file, 6);
    expect(await counted(a, file, 'log_errors_total', { reason: 'parse_failure' })).toBe(1);
  });

  it('copytruncate', async () => {
    const { a, file } = await following(lines(500), 500);
    copyFileSync(file, `${file}.1`);
    truncateSync(file, 0);
    appendFileSync(file, lines(40));
    await expectCount(a, file, 540);
    expect(await counted(a, file, 'log_analyzer_file_truncations_total')).toBe(1);
  });

  it('copytruncate while behind: the unread lines are read from the copy', async () => {
    const { a, file } = await following(lines(500), 500);
    // Synchronous, so the analyzer reads none of the 40 before the truncation.
    appendFileSync(file, lines(40, 201));
    copyFileSync(file, `${file}.1`);
    truncateSync(file, 0);
    appendFileSync(file, lines(10));
    await expectCount(a, file, 550);
    expect(await counted(a, file, 'http_requests_total', { status: '201' })).toBe(40);
    expect(await counted(a, file, 'log_errors_total')).toBe(0);
  });

  it('copytruncate with lines written between the copy and the truncation: the copy, shorter than what was read, is not read', async () => {
    const { a, file } = await following(lines(100), 100);
    copyFileSync(file, `${file}.1`);
    // logrotate's window: the writer goes on between the copy and the truncation, and we read it.
    appendFileSync(file, lines(7, 201));
    await expectCount(a, file, 107);
    truncateSync(file, 0);
    appendFileSync(file, lines(3, 202));
    await expectCount(a, file, 110);
    expect(await counted(a, file, 'http_requests_total', { status: '200' })).toBe(100);
  });

  it('a copy the glob follows anyway is not read twice', async () => {
    const { a, file } = await following(lines(100), 100, {}, ['access*.log']);
    appendFileSync(file, lines(20));
    copyFileSync(file, join(dir, 'access.log.1.log')); // matches the glob: followed as a file of its own
    truncateSync(file, 0);
    appendFileSync(file, lines(5));
    await expectCount(a, join(dir, 'access.log.1.log'), 120);
    await expectCount(a, file, 105);
  });

  it('truncate and regrow past the old offset between two checks', async () => {
    const { a, file } = await following(lines(10), 10);
    // Synchronous, so no check of the analyzer (same event loop) can fall in between.
    truncateSync(file, 0);
    appendFileSync(file, lines(30, 503));
    await expectCount(a, file, 40);
    expect(await counted(a, file, 'http_requests_total', { status: '503' })).toBe(30);
    expect(await counted(a, file, 'log_analyzer_file_truncations_total')).toBe(1);
  });

  it('deletion: what was written is counted, and the file is not held open', async () => {
    const { a, file } = await following(lines(20), 20, { rotateWaitMs: 60_000 });
    appendFileSync(file, lines(5));
    unlinkSync(file);
    await expectCount(a, file, 25);
    await vi.waitFor(() => {
      const held = readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).startsWith(file);
        } catch {
          return false;
        }
      });
      expect(held).toEqual([]);
    }, WAIT);
    // The fd is closed a moment before the tail forgets the file: wait for that too.
    await vi.waitFor(async () => expect(await metricValue(a, 'log_analyzer_files_watched')).toBe(0), WAIT);
  });

  it('a file created later in a subdirectory matched by **', async () => {
    const a = await start({}, ['**/*.log']);
    const nested = join(dir, 'x', 'y', 'deep.log');
    mkdirSync(join(dir, 'x', 'y'), { recursive: true });
    writeFileSync(nested, lines(12));
    writeFileSync(join(dir, 'x', 'skip.txt'), lines(3));
    await expectCount(a, nested, 12);
    // After expectCount's two extra passes: deep.log is the only file with a series at all.
    expect([...a.store.sumBy('log_lines_total', 'file')]).toEqual([[nested, 12]]);
  });

  it('restart with positions: lines written while stopped are counted once, none twice', async () => {
    const positionsFile = join(scratch(), 'positions.json');
    const first = await start({ positionsFile });
    const file = join(dir, 'access.log');
    const partial = line(202);
    writeFileSync(file, lines(100) + partial.slice(0, 25));
    await expectCount(first, file, 100);
    await analyzers.stop(first);

    appendFileSync(file, partial.slice(25) + lines(50)); // while stopped; completes the partial line
    const second = await start({ positionsFile, from: 'beginning' });
    // The counters carry on from the checkpoint: 100 before, 51 since.
    await expectCount(second, file, 151);
    expect(await counted(second, file, 'http_requests_total', { status: '202' })).toBe(1);
    expect(await counted(second, file, 'log_errors_total')).toBe(0);
  });

  it("restart between copytruncate's copy and its truncation: the copy is not read whole", async () => {
    const { positionsFile, file } = await stoppedAfter100();
    appendFileSync(file, lines(4, 201));
    copyFileSync(file, `${file}.1`); // while stopped: the copy is new, the path's file is the one we know
    const second = await start({ positionsFile });
    await expectCount(second, file, 104);
    truncateSync(file, 0);
    appendFileSync(file, lines(3, 202));
    await expectCount(second, file, 107);
    expect(await counted(second, file, 'http_requests_total', { status: '200' })).toBe(100);
  });

  it('restart after the file was replaced: the new file is read from 0', async () => {
    const { positionsFile, file } = await stoppedAfter100();
    renameSync(file, `${file}.1`);
    writeFileSync(file, lines(150)); // bigger than the saved offset: only identity tells
    const second = await start({ positionsFile, from: 'end' });
    await expectCount(second, file, 250);
  });

  it('restart after a rotation while stopped: lines the old file got after the position count once', async () => {
    const { positionsFile, file } = await stoppedAfter100();
    appendFileSync(file, lines(20, 202)); // written while stopped, then rotated away
    renameSync(file, `${file}.1`);
    writeFileSync(file, lines(30));
    const second = await start({ positionsFile, from: 'end' });
    await expectCount(second, file, 150);
    expect(await counted(second, file, 'http_requests_total', { status: '202' })).toBe(20);
  });

  it('a corrupt positions file refuses the start; with startFresh it is kept aside and the start is a fresh one', async () => {
    const positionsFile = join(scratch(), 'positions.json');
    writeFileSync(positionsFile, '{"version":1,"files":[{"path":');
    await expect(start({ positionsFile })).rejects.toThrow(/no usable checkpoint: .*positions\.json is unusable/);
    const warnings: string[] = [];
    writeFileSync(join(dir, 'a.log'), lines(4));
    const a = await start({ positionsFile, startFresh: true, warn: (m) => warnings.push(m) });
    await expectCount(a, join(dir, 'a.log'), 4);
    expect(warnings).toEqual([expect.stringMatching(/moved aside, starting fresh .*positions\.json\.corrupt-/)]);
  });

  it('a symlinked log directory', async () => {
    const real = scratch();
    symlinkSync(real, join(dir, 'logs'));
    const a = await start({}, ['logs/*.log']);
    const viaLink = join(dir, 'logs', 'a.log');
    writeFileSync(join(real, 'a.log'), lines(9));
    await expectCount(a, viaLink, 9);
    appendFileSync(viaLink, lines(1));
    await expectCount(a, viaLink, 10);
  });

  it('--max-files refuses files past the cap and counts the refusals', async () => {
    for (const name of ['a', 'b', 'c']) writeFileSync(join(dir, `${name}.log`), lines(1));
    const a = await start({ maxFiles: 2 });
    await expectSettled(a, () => metricValue(a, 'log_lines_total'), 2);
    expect(await metricValue(a, 'log_analyzer_files_refused_total')).toBe(1);
    expect(await metricValue(a, 'log_analyzer_files_watched')).toBe(2);
  });

  it('the checkpoint holds counts and positions together, while running and after stop', async () => {
    const positionsFile = join(scratch(), 'positions.json');
    const a = await start({ positionsFile, checkpointIntervalMs: 50 });
    const file = join(dir, 'a.log');
    writeFileSync(file, lines(3));
    await expectCount(a, file, 3);
    const saved = () => {
      const doc = JSON.parse(readFileSync(positionsFile, 'utf8'));
      const family = doc.store.families.find((f: { name: string }) => f.name === 'log_lines_total');
      return {
        lines: family.series.find((s: { labels: string[] }) => s.labels[0] === file)?.value,
        offset: doc.sources.file.paths.find((p: { path: string }) => p.path === file)?.files.at(-1)?.offset,
      };
    };
    // While running: the periodic checkpoint writes it by itself (nothing asks for one here).
    await vi.waitFor(() => expect(saved()).toEqual({ lines: 3, offset: lines(3).length }), WAIT);
    // On stop: lines the last periodic checkpoint may not have seen are in the final one.
    appendFileSync(file, lines(2));
    await expectCount(a, file, 5);
    await analyzers.stop(a);
    expect(saved()).toEqual({ lines: 5, offset: lines(5).length });
  });
});

describe('generations that come and go between two looks, then a crash', () => {
  // Polled once an hour and no events: nothing looks at the path between the writes and the
  // checkpoint, as when a burst of rotations falls between two polls and the analyzer dies then.
  const analyzers = useAnalyzers(true);

  it('a generation rotated in and out after the last look is read at the next start', async () => {
    const dir = analyzers.dir();
    const positionsFile = join(analyzers.scratch(), 'positions.json');
    const file = join(dir, 'access.log');
    const slow = { positionsFile, pollIntervalMs: 3_600_000, checkpointIntervalMs: 3_600_000 };
    writeFileSync(file, lines(3));
    const a = await analyzers.start(['*.log'], slow);
    await a.ready;
    await expectSettled(a, () => metricValue(a, 'log_lines_total', { file }), 3, WAIT);
    // Unseen: the followed file is rotated away, a new one gets 5 lines and is rotated away too,
    // and a third starts with 2 lines.
    renameSync(file, join(dir, 'access.log.2'));
    writeFileSync(file, lines(5));
    renameSync(file, join(dir, 'access.log.1'));
    writeFileSync(file, lines(2));
    // The checkpoint (taken at stop, as a periodic one would be) must not claim to know them.
    await analyzers.stop(a);
    const b = await analyzers.start(['*.log'], slow);
    await b.ready;
    await expectSettled(b, () => metricValue(b, 'log_lines_total', { file }), 10, WAIT);
  });
});

describe('copytruncate twice between two looks', () => {
  // Polled once an hour: both rotations fall between the same two looks (checkAll's).
  const analyzers = useAnalyzers(true);

  it('the copy of the generation in between is read too, after our copy and before the path', async () => {
    const dir = analyzers.dir();
    const file = join(dir, 'access.log');
    writeFileSync(file, lines(3));
    const a = await analyzers.start(['*.log'], { pollIntervalMs: 3_600_000 });
    await expectSettled(a, () => metricValue(a, 'log_lines_total', { file }), 3, WAIT);
    // Unseen: 4 more lines, copied to .1 and truncated; 5 lines, .1 moved to .2, copied to .1 and
    // truncated again; 2 lines. Each generation has its own status, so a double count shows.
    appendFileSync(file, lines(4, 201));
    copyFileSync(file, `${file}.1`);
    truncateSync(file, 0);
    appendFileSync(file, lines(5, 202));
    renameSync(`${file}.1`, `${file}.2`);
    copyFileSync(file, `${file}.1`);
    truncateSync(file, 0);
    appendFileSync(file, lines(2, 203));
    await a.tailer.checkAll();
    await expectSettled(a, () => metricValue(a, 'log_lines_total', { file }), 14, WAIT);
    await countedToTheEnd(a, [dir]);
    for (const [status, n] of [
      ['200', 3],
      ['201', 4],
      ['202', 5],
      ['203', 2],
    ] as const) {
      expect(await metricValue(a, 'http_requests_total', { file, status })).toBe(n);
    }
  });
});

/**
 * Waits until every generation the analyzer has open is counted to its end (expectSettled's
 * checks resolve once what they read is handed to the parse stage, not once it is counted).
 */
async function countedToTheEnd(a: Analyzer, dirs: string[]): Promise<void> {
  await vi.waitFor(() => {
    const sizes = new Map<number, number>();
    for (const dir of dirs) {
      for (const name of readdirSync(dir)) {
        const stats = statSync(join(dir, name));
        if (stats.isFile()) sizes.set(stats.ino, stats.size);
      }
    }
    for (const path of a.tailer.position().paths) {
      for (const f of path.files) expect(f.offset).toBe(sizes.get(f.ino));
    }
  }, WAIT);
}

describe('generations rotated away before the first look at their path', () => {
  // Polled (no events): nothing looks at a path the tests do not ask to.
  const analyzers = useAnalyzers(true);

  it('between the start and the first look: read whole before the file at the path (--from beginning)', async () => {
    // Under load the first walk comes well after the start (the instant the checkpoint claims to
    // know everything before): a generation written at the path meanwhile and rotated away before
    // the tail first opened the path was never read, and the next checkpoint's knownAt hid it from
    // every restart too (crash.test.ts: 52,000 of 60,000). Here the start is a minute before the
    // files were written and rotated.
    const dir = analyzers.dir();
    const file = join(dir, 'access.log');
    writeFileSync(file, lines(3));
    renameSync(file, join(dir, 'access.log.1'));
    writeFileSync(file, lines(2));
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() - 60_000);
      const a = await analyzers.start(['*.log']);
      await a.ready;
      vi.useRealTimers();
      await expectSettled(a, () => metricValue(a, 'log_lines_total', { file }), 5, WAIT);
    } finally {
      vi.useRealTimers();
    }
  });

  it('of a path that appears while running: read whole before the file at the path', async () => {
    // Polled once an hour: the new file and its rotation are seen by one look, checkAll's.
    const dir = analyzers.dir();
    const a = await analyzers.start(['*.log'], { pollIntervalMs: 3_600_000 });
    const file = join(dir, 'access.log');
    writeFileSync(file, lines(3));
    renameSync(file, join(dir, 'access.log.1'));
    writeFileSync(file, lines(2));
    await a.tailer.checkAll();
    await expectSettled(a, () => metricValue(a, 'log_lines_total', { file }), 5, WAIT);
  });
});

describe('a path that comes back after forget-after', () => {
  // With events, an idle file is told idle by its stat alone; one in a directory of its own.
  const analyzers = useAnalyzers(false);

  it('is no missed generation: what the path read before is not read again', async () => {
    // The files it let go longer ago than forget-after are forgotten with it: its new first look
    // reads the files beside it written since knownAt only, and the idle file's looks keep
    // knownAt recent (they used not to: 5 lines, its old generation read again).
    const dir = analyzers.dir();
    const file = join(dir, 'access.log');
    mkdirSync(join(dir, 'idle'));
    writeFileSync(join(dir, 'idle', 'idle.log'), lines(1));
    const a = await analyzers.start(['*.log', 'idle/*.log'], { forgetAfterMs: 300, rotateWaitMs: 50 });
    writeFileSync(file, lines(3));
    // No checkAll (expectSettled): it would look at the idle file too.
    await vi.waitFor(async () => expect(await metricValue(a, 'log_lines_total', { file })).toBe(3), WAIT);
    renameSync(file, join(dir, 'access.log.1'));
    await vi.waitFor(() => expect(a.tailer.statuses().map((s) => s.path)).not.toContain(file), WAIT);
    // Files written before knownAt are known: the idle file's looks (a stat every few seconds)
    // move it past the rotated generation. They would not if an unchanged stat were no look.
    const rotatedAt = statSync(join(dir, 'access.log.1')).mtimeMs;
    await vi.waitFor(() => expect(a.tailer.position().knownAt).toBeGreaterThan(rotatedAt), {
      ...WAIT,
      timeout: 20_000,
    });
    writeFileSync(file, lines(2));
    await vi.waitFor(() => expect(a.tailer.statuses().map((s) => s.path)).toContain(file), WAIT);
    await countedToTheEnd(a, [dir, join(dir, 'idle')]);
    // The path's series went with it: counted from 0 again, the new file's 2 lines.
    await expectSettled(a, () => metricValue(a, 'log_lines_total', { file }), 2, WAIT);
  });
});

describe('an idle file and a restart after forget-after', () => {
  // With events, an idle file is told idle by its stat alone; one in a directory of its own.
  const analyzers = useAnalyzers(false);

  it('a generation let go longer ago than forget-after is not read again at the next start', async () => {
    // The checkpoint claims to know what was written before the last look of every path. An
    // idle file's stat that finds it unchanged is such a look: if it were not, its start would
    // stay that claim, and a start after the busy path's finished generations are forgotten
    // (forget-after) would read them whole again.
    const dir = analyzers.dir();
    const file = join(dir, 'access.log');
    const positionsFile = join(analyzers.scratch(), 'positions.json');
    const settings = { positionsFile, forgetAfterMs: 300, rotateWaitMs: 50 };
    mkdirSync(join(dir, 'idle'));
    writeFileSync(join(dir, 'idle', 'idle.log'), lines(1));
    const a = await analyzers.start(['*.log', 'idle/*.log'], settings);
    writeFileSync(file, lines(3));
    // No checkAll (expectSettled): it would look at the idle file too.
    await vi.waitFor(async () => expect(await metricValue(a, 'log_lines_total', { file })).toBe(3), WAIT);
    renameSync(file, join(dir, 'access.log.1'));
    writeFileSync(file, lines(2));
    await vi.waitFor(async () => expect(await metricValue(a, 'log_lines_total', { file })).toBe(5), WAIT);
    const rotated = statSync(join(dir, 'access.log.1')).ino;
    // Let go, then forgotten: no longer among the finished files the checkpoint keeps.
    await vi.waitFor(() => expect(a.tailer.position().finished.map((f) => f.ino)).toContain(rotated), WAIT);
    await vi.waitFor(() => expect(a.tailer.position().finished.map((f) => f.ino)).not.toContain(rotated), WAIT);
    // A change, so that the checkpoint at stop is taken now (an unchanged one is not written again).
    appendFileSync(file, lines(1));
    await vi.waitFor(async () => expect(await metricValue(a, 'log_lines_total', { file })).toBe(6), WAIT);
    await analyzers.stop(a);
    const b = await analyzers.start(['*.log', 'idle/*.log'], settings);
    await countedToTheEnd(b, [dir, join(dir, 'idle')]);
    await expectSettled(b, () => metricValue(b, 'log_lines_total', { file }), 6, WAIT);
  });
});
