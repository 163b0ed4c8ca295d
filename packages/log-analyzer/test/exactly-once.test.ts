// The cases where "every line exactly once" used to break, one test each, in inotify and poll
// modes. Each waits for the analyzer's own count, runs one more full cycle, and asserts again.
import {
  appendFileSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { type Analyzer, createAnalyzer } from '../src/app.js';
import { expectSettled, lines, MODES, metricValue, testConfig, useAnalyzers, WAIT } from './helpers.js';

describe.each(MODES)('exactly once ($mode)', ({ usePolling }) => {
  const analyzers = useAnalyzers(usePolling);
  let dir = '';
  const { scratch, start, stop } = analyzers;
  beforeEach(() => {
    dir = analyzers.dir();
  });
  const total = (a: Analyzer, labels: Record<string, string> = {}) => metricValue(a, 'log_lines_total', labels);
  const seriesOf = (a: Analyzer, name = 'log_lines_total') =>
    a.store
      .snapshot()
      .families.find((f) => f.name === name)
      ?.series.map((s) => s.labels[0]) ?? [];

  it('a symlink loop under ** is walked once: 500 lines are 500, in one series', async () => {
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    symlinkSync('..', join(dir, 'a', 'b', 'loop'));
    const a = await start(['**/*.log']);
    writeFileSync(join(dir, 'a', 'x.log'), lines(500));
    await expectSettled(a, () => total(a), 500, WAIT);
    expect(seriesOf(a)).toEqual([join(dir, 'a', 'x.log')]);
  });

  it('a file reached through alias links is followed once, under the first path that matched', async () => {
    mkdirSync(join(dir, 'a'));
    const real = join(dir, 'a', 'x.log');
    writeFileSync(real, '');
    symlinkSync(join(dir, 'a'), join(dir, 'latest'));
    symlinkSync(real, join(dir, 'current.log'));
    const a = await start(['**/*.log']);
    appendFileSync(real, lines(300));
    await expectSettled(a, () => total(a), 300, WAIT);
    expect(seriesOf(a)).toHaveLength(1);
  });

  it('a watched directory deleted and re-created is watched again', async () => {
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    const a = await start(['logs/*.log']);
    writeFileSync(join(logs, 'a.log'), lines(10));
    await expectSettled(a, () => total(a), 10, WAIT);
    rmSync(logs, { recursive: true });
    mkdirSync(logs);
    writeFileSync(join(logs, 'b.log'), lines(20));
    await expectSettled(a, () => total(a, { file: join(logs, 'b.log') }), 20, WAIT);
    expect(await total(a)).toBe(30);
  });

  it('a directory that does not exist at start is followed once it appears', async () => {
    const a = await start(['later/deeper/*.log']);
    mkdirSync(join(dir, 'later', 'deeper'), { recursive: true });
    writeFileSync(join(dir, 'later', 'deeper', 'a.log'), lines(7));
    await expectSettled(a, () => total(a), 7, WAIT);
  });

  it('two rename rotations while stopped: every generation is counted once', async () => {
    const positionsFile = join(scratch(), 'checkpoint.json');
    const file = join(dir, 'access.log');
    writeFileSync(file, '');
    const first = await start(['*.log'], { positionsFile });
    appendFileSync(file, lines(500));
    await expectSettled(first, () => total(first), 500, WAIT);
    await stop(first);
    appendFileSync(file, lines(200)); // the rest of the generation we knew
    renameSync(file, `${file}.1`);
    writeFileSync(file, lines(500)); // a whole generation we never saw
    renameSync(`${file}.1`, `${file}.2`);
    renameSync(file, `${file}.1`);
    writeFileSync(file, lines(300));
    const second = await start(['*.log'], { positionsFile, from: 'end' });
    await expectSettled(second, () => total(second), 1500, WAIT);
  });

  it('a crash right after a restart does not hide the generations rotated while it was down', async () => {
    const positionsFile = join(scratch(), 'checkpoint.json');
    const file = join(dir, 'access.log');
    writeFileSync(file, '');
    const first = await start(['*.log'], { positionsFile });
    appendFileSync(file, lines(100));
    await expectSettled(first, () => total(first), 100, WAIT);
    await stop(first);
    renameSync(file, `${file}.1`);
    writeFileSync(file, lines(40)); // a whole generation the checkpoint does not know...
    renameSync(`${file}.1`, `${file}.2`);
    renameSync(file, `${file}.1`); // ...rotated away again before the restart
    writeFileSync(file, lines(10));
    // The second start writes a checkpoint before it has looked at the files, then "crashes":
    // what it leaves behind is that first checkpoint.
    const second = await createAnalyzer(testConfig({ watch: [join(dir, '*.log')], usePolling, positionsFile }));
    const leftBehind = readFileSync(positionsFile);
    await second.stop();
    writeFileSync(positionsFile, leftBehind);
    const third = await start(['*.log'], { positionsFile, from: 'end' });
    await expectSettled(third, () => total(third), 150, WAIT);
  });

  it('a truncated file whose older generation starts with the same bytes does not count that one again', async () => {
    const file = join(dir, 'access.log');
    const content = `# header line written at the top of every file\n${lines(100)}`;
    writeFileSync(file, content);
    const a = await start(['access.log'], { rotateWaitMs: 50 });
    await expectSettled(a, () => total(a), 101, WAIT);
    renameSync(file, `${file}.1`);
    writeFileSync(file, content); // the same bytes again: same first bytes, same last bytes
    await expectSettled(a, () => total(a), 202, WAIT);
    truncateSync(file, 0); // copytruncate without a copy: only access.log.1, already read, matches
    appendFileSync(file, lines(5));
    await expectSettled(a, () => total(a), 207, WAIT);
  });

  it('series of files gone for --forget-after are dropped: the file label stays bounded', async () => {
    const a = await start(['*.log'], { forgetAfterMs: 200, maxFiles: 5 });
    for (let day = 1; day <= 12; day++) {
      const file = join(dir, `app-2026-11-${String(day).padStart(2, '0')}.log`);
      writeFileSync(file, lines(2));
      await expectSettled(a, () => total(a, { file }), 2);
      unlinkSync(file);
    }
    await vi.waitFor(() => expect(seriesOf(a)).toEqual([]), WAIT);
    await vi.waitFor(() => expect(seriesOf(a, 'http_requests_total')).toEqual([]), WAIT);
    // One more full cycle: nothing comes back.
    await a.tailer.checkAll();
    await a.tailer.checkAll();
    expect(seriesOf(a)).toEqual([]);
    expect(seriesOf(a, 'http_requests_total')).toEqual([]);
    expect(await metricValue(a, 'log_analyzer_files_refused_total')).toBe(0);
  });

  it('file names with backslashes and glob characters are followed, by glob and by name', async () => {
    const odd = join(dir, 'a\\b [1].log');
    writeFileSync(odd, lines(3));
    const byGlob = await start(['*.log']);
    await expectSettled(byGlob, () => total(byGlob, { file: odd }), 3, WAIT);
    await stop(byGlob);
    const byName = await start(['a\\b [1].log']);
    await expectSettled(byName, () => total(byName, { file: odd }), 3, WAIT);
    const text = await (await byName.app.request('/metrics')).text();
    expect(text).toContain('file="');
  });

  it('a file name that is not UTF-8 is followed, through a rotation, and labelled with \\xNN', async () => {
    // caf\xe9.log: Latin-1, as old systems write it.
    const raw = (suffix: string) =>
      Buffer.concat([Buffer.from(`${dir}/caf`), Buffer.from([0xe9]), Buffer.from(suffix)]);
    writeFileSync(raw('.log'), lines(3));
    const a = await start(['*.log']);
    const label = `${dir}/caf\uDCE9.log`;
    await expectSettled(a, () => total(a, { file: label }), 3, WAIT);
    renameSync(raw('.log'), raw('.log.1'));
    writeFileSync(raw('.log'), lines(2));
    appendFileSync(raw('.log.1'), lines(1));
    await expectSettled(a, () => total(a, { file: label }), 6, WAIT);
    expect(await total(a)).toBe(6);
    const text = await (await a.app.request('/metrics')).text();
    expect(text).toContain(`log_lines_total{file="${dir}/caf\\\\xe9.log"} 6`);
  });

  it('a generation created, written and rotated away while the path was empty is read', async () => {
    // Found by a 25-run loop of the burst test: the path is gone at one look; before the next,
    // a whole generation comes and goes and the next file appears. Checks are driven by hand.
    const file = join(dir, 'access.log');
    writeFileSync(file, lines(10));
    const a = await start(['access.log'], { pollIntervalMs: 60_000 });
    await expectSettled(a, () => total(a), 10, WAIT);
    renameSync(file, `${file}.1`);
    await a.tailer.checkAll(); // the path is empty now
    writeFileSync(file, lines(20));
    renameSync(file, `${file}.2`); // came and went between two looks
    writeFileSync(file, lines(5));
    await a.tailer.checkAll();
    await expectSettled(a, () => total(a), 35, WAIT);
  });

  it('a restart keeps the generations it had nothing left to read in its checkpoint', async () => {
    // Found by a 25-run loop of the crash test: a start killed before it was ready wrote a
    // checkpoint without them, and the start after it read them again from 0 (76,000 of 60,000).
    const positionsFile = join(dir, 'checkpoint.json');
    const file = join(dir, 'access.log');
    writeFileSync(file, lines(10));
    const a = await start(['access.log'], { positionsFile });
    await expectSettled(a, () => total(a), 10, WAIT);
    await stop(a);
    renameSync(file, `${file}.1`); // read to its end before the stop
    writeFileSync(file, lines(5));
    const b = await start(['access.log'], { positionsFile });
    await expectSettled(b, () => total(b), 15, WAIT);
    const rotated = statSync(`${file}.1`);
    expect(b.tailer.position().finished.map((f) => f.ino)).toContain(rotated.ino);
  });

  it('refused files are said once in total, and counted', async () => {
    for (const name of ['a', 'b', 'c', 'd']) writeFileSync(join(dir, `${name}.log`), lines(1));
    const warnings: string[] = [];
    const a = await start(['*.log'], { maxFiles: 1, warn: (m) => warnings.push(m) });
    await expectSettled(a, () => total(a), 1, WAIT);
    expect(await metricValue(a, 'log_analyzer_files_refused_total')).toBe(3);
    expect(warnings.filter((w) => w.includes('not following'))).toHaveLength(1);
  });
});
