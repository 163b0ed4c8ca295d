// kill -9 at random moments while noise-maker writes with rename rotation; every restart resumes
// from the checkpoint. The final totals equal the lines written exactly, and no scrape ever saw a
// counter go down (a restart is no counter reset for Prometheus).
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { type Served, spawnNoiseMaker, spawnServe, tempDir } from './helpers.js';

const LINES = 60_000;

it('kill -9 at random moments: nothing lost, nothing twice, no counter ever goes down', async () => {
  const { dir, cleanup } = tempDir();
  const file = join(dir, 'access.log');
  const args = [
    '--watch',
    file,
    '--from',
    'beginning',
    '--positions',
    join(dir, 'state', 'checkpoint.json'),
    '--checkpoint-interval',
    '100ms',
    '--poll-interval',
    '50',
    '--rotate-wait',
    '1000',
  ];
  const spawnWriter = () =>
    spawnNoiseMaker([
      '--rate',
      '10000',
      '--count',
      String(LINES),
      '--rotate-every',
      '8000',
      '--keep',
      '20',
      '--seed',
      '7',
      '--output',
      file,
      '--quiet',
    ]);
  let writer: ChildProcess | null = null;
  let written: Promise<number | null> = Promise.resolve(null);
  let writerDone = false;

  const seen: number[] = [];
  const scrapeUntil = async (served: Served, stop: () => boolean) => {
    while (!stop()) {
      try {
        seen.push(await served.value('log_lines_total'));
      } catch {
        return; // killed under us
      }
    }
  };
  let analyzer: Served | null = null;
  try {
    let kills = 0;
    // Three kills at random moments while lines are being written, then a last run to the end.
    for (;;) {
      const served = spawnServe(args);
      analyzer = served;
      await served.url;
      // The writer starts once the analyzer has started: generations rotated away before its first
      // start are files that were there before it, which --from beginning does not read (under
      // load, starting took longer than writing one 8,000-line generation).
      if (!writer) {
        const started = spawnWriter();
        writer = started;
        written = new Promise<number | null>((resolve) => started.on('exit', resolve));
        void written.then(() => {
          writerDone = true;
        });
        // The first kill, too, while lines are being written.
        await vi.waitFor(() => expect(existsSync(file)).toBe(true), { timeout: 30_000, interval: 20 });
      }
      // Under load a start takes seconds (tsx): the writer may be done before the second kill,
      // which then comes while the analyzer catches up (a restart from the checkpoint all the same).
      if (kills < 3 && (!writerDone || kills < 2)) {
        const lifetime = 300 + Math.random() * 700;
        const deadline = Date.now() + lifetime;
        await scrapeUntil(served, () => Date.now() > deadline);
        served.child.kill('SIGKILL');
        await served.exited;
        kills++;
        continue;
      }
      expect(await written).toBe(0);
      const deadline = Date.now() + 60_000;
      await scrapeUntil(served, () => seen.at(-1) === LINES || Date.now() > deadline);
      // One more look a while later: a late double count would show now.
      const settle = Date.now() + 1500;
      await scrapeUntil(served, () => Date.now() > settle);
      break;
    }
    expect(kills).toBeGreaterThanOrEqual(2); // a slow machine may finish writing before the third
    expect(seen.at(-1)).toBe(LINES);
    const wentDown = seen.findIndex((v, i) => i > 0 && v < (seen[i - 1] as number));
    expect(wentDown).toBe(-1);
  } finally {
    writer?.kill('SIGKILL');
    analyzer?.child.kill('SIGKILL');
    cleanup();
  }
}, 120_000);
