// Test helpers: temp dirs, log lines, and reading the analyzer's own counters.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, vi } from 'vitest';
import { type Analyzer, createAnalyzer } from '../src/app.js';
import type { AnalyzerConfig } from '../src/config/analyzer-config.js';
import type { PushConfig } from '../src/sources/push/push-source.js';

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'log-analyzer-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

let serial = 0;
/** A valid combined line; `status` and `path` make lines distinguishable. */
export function line(status = 200, path = `/p/${serial++}`): string {
  return `203.0.113.7 - - [10/Oct/2000:13:55:36 -0700] "GET ${path} HTTP/1.1" ${status} 512 "-" "test/1.0"\n`;
}

export function lines(n: number, status = 200): string {
  let out = '';
  for (let i = 0; i < n; i++) out += line(status);
  return out;
}

/**
 * Sum of a metric's samples whose labels include `labels`: the store's live values for the log
 * families, the self registry for the rest.
 */
export async function metricValue(
  analyzer: Analyzer,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  if (analyzer.store.has(name)) return analyzer.store.sum(name, labels);
  const metric = analyzer.selfRegistry.getSingleMetric(name);
  // A name that exists nowhere is a mistake in the test, not a zero that would pass a negative check.
  if (!metric) throw new Error(`no metric named ${name} in the store or the self metrics`);
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))
    .reduce((sum, v) => sum + v.value, 0);
}

/** How long a test waits for a count: generous, since two cores run every suite at once. */
export const WAIT = { timeout: 15_000, interval: 20 };

/** The file source's two modes; the tail suites run in both. */
export const MODES = [
  { mode: 'inotify', usePolling: false },
  { mode: 'poll', usePolling: true },
] as const;

/**
 * Waits until `read()` gives `want`, then lets the analyzer run one more full cycle (every
 * directory and every file checked) and asserts again, so that a late over-count fails.
 */
export async function expectSettled(
  analyzer: Analyzer,
  read: () => Promise<number>,
  want: number,
  wait = WAIT,
): Promise<void> {
  await vi.waitFor(async () => expect(await read()).toBe(want), wait);
  await analyzer.tailer.checkAll();
  await analyzer.tailer.checkAll();
  expect(await read()).toBe(want);
}

/** The settings every in-process analyzer of the tests starts from. */
export function testConfig(overrides: Partial<AnalyzerConfig> & Pick<AnalyzerConfig, 'watch'>): AnalyzerConfig {
  return {
    format: 'combined',
    workers: 1,
    maxLineBytes: 65536,
    from: 'end',
    maxFiles: 1000,
    pollIntervalMs: 50,
    rotateWaitMs: 200,
    usePolling: false,
    positionsFile: null,
    warn: () => {},
    ...overrides,
  };
}

export async function startAnalyzer(
  overrides: Partial<AnalyzerConfig> & Pick<AnalyzerConfig, 'watch'>,
): Promise<Analyzer> {
  const analyzer = await createAnalyzer(testConfig(overrides));
  await analyzer.ready;
  return analyzer;
}

/**
 * Per test: a fresh temp dir (`dir()`), analyzers started in it (stopped afterwards), and more
 * scratch dirs on demand. `usePolling` picks the mode every analyzer runs in.
 */
export function useAnalyzers(usePolling: boolean) {
  const running: Analyzer[] = [];
  const cleanups: (() => void)[] = [];
  let current = '';
  const scratch = () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    return t.dir;
  };
  beforeEach(() => {
    current = scratch();
  });
  afterEach(async () => {
    for (const a of running.splice(0)) await a.stop();
    for (const c of cleanups.splice(0)) c();
  });
  return {
    dir: () => current,
    scratch,
    /** An analyzer following `watch` (relative to dir()), from the beginning unless overridden. */
    async start(watch: string[], overrides: Partial<AnalyzerConfig> = {}): Promise<Analyzer> {
      const analyzer = await startAnalyzer({
        watch: watch.map((w) => join(current, w)),
        from: 'beginning',
        usePolling,
        ...overrides,
      });
      running.push(analyzer);
      return analyzer;
    },
    async stop(analyzer: Analyzer): Promise<void> {
      await analyzer.stop();
      running.splice(running.indexOf(analyzer), 1);
    },
  };
}

/**
 * Per test: in-process analyzers with push settings, each following *.log in a temp dir of its own,
 * stopped and removed afterwards. `running` and `cleanups` take more (or give one back).
 */
export function usePushAnalyzers() {
  const running: Analyzer[] = [];
  const cleanups: (() => void)[] = [];
  afterEach(async () => {
    for (const a of running.splice(0)) await a.stop();
    for (const c of cleanups.splice(0)) c();
  });
  async function analyzer(push: Partial<PushConfig> = {}, overrides: Partial<AnalyzerConfig> = {}): Promise<Analyzer> {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const a = await createAnalyzer(testConfig({ watch: [join(t.dir, '*.log')], push, ...overrides }));
    running.push(a);
    await a.ready;
    return a;
  }
  return { analyzer, running, cleanups };
}

/**
 * An in-process analyzer draining a Redis queue, with a checkpoint file in a fresh temp dir (its
 * removal goes on `cleanups`).
 */
export async function startQueueAnalyzer(
  cleanups: (() => void)[],
  queue: NonNullable<AnalyzerConfig['queue']>,
  push: Partial<PushConfig> = {},
): Promise<Analyzer> {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  return startAnalyzer({ watch: [`${dir}/none.log`], positionsFile: `${dir}/checkpoint.json`, push, queue });
}

/** Lets the queue source's claim loop turn twice more: the round under way ends, and one whole round after it. */
export async function queueCycle(analyzer: Analyzer): Promise<void> {
  const loops = analyzer.queue?.loops ?? 0;
  await vi.waitFor(() => expect(analyzer.queue?.loops).toBeGreaterThan(loops + 1), WAIT);
}

export const MAIN = join(import.meta.dirname, '../src/main.ts');
export const NOISE_MAKER = join(import.meta.dirname, '../../noise-maker/src/cli.ts');

/** The node arguments that run noise-maker from source with these arguments. */
export function noiseMakerArgs(args: string[]): string[] {
  return ['--conditions=source', '--import', 'tsx', NOISE_MAKER, ...args];
}

/** noise-maker (from source) in its own process, output ignored. */
export function spawnNoiseMaker(args: string[]): ChildProcess {
  return spawn(process.execPath, noiseMakerArgs(args), { stdio: 'ignore' });
}

export interface Served {
  child: ChildProcess;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string | null>;
  stderr(): string;
  /** The metrics URL, once the start line said it. */
  url: Promise<string>;
  /** Sum of a metric's samples (whose label text includes `labels`) in one scrape. */
  value(name: string, labels?: string): Promise<number>;
}

/**
 * `log-analyzer serve` in its own process (from source), one worker; `prefix` runs it through e.g.
 * setpriv. Its log is text (the lines tests match) unless `env` says otherwise.
 */
export function spawnServe(args: string[], prefix: string[] = [], env: Record<string, string> = {}): Served {
  const command = [...prefix, process.execPath, '--import', 'tsx', MAIN, '--port', '0', '--host', '127.0.0.1', ...args];
  const child = spawn(command[0] as string, command.slice(1), {
    env: { ...process.env, LOG_ANALYZER_WORKERS: '1', LOG_ANALYZER_LOG_FORMAT: 'text', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number | string | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal)),
  );
  const url = new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', () => {
      const m = /metrics on (https?:\/\/[^\s"]+)/.exec(stderr);
      if (m?.[1]) resolve(m[1]);
    });
    void exited.then(() => reject(new Error(`analyzer exited: ${stderr}`)));
  });
  url.catch(() => {});
  const value = async (name: string, labels = '') => {
    const text = await (await fetch(await url)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      if ((line.startsWith(`${name}{`) || line.startsWith(`${name} `)) && line.includes(labels)) {
        sum += Number(line.slice(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  };
  return { child, exited, stderr: () => stderr, url, value };
}

/**
 * Per test: analyzers (or anything served) in their own processes, killed afterwards, and
 * cleanups run after them. Push onto the lists the test gets back.
 */
export function useProcesses(): { running: Served[]; cleanups: (() => void)[] } {
  const running: Served[] = [];
  const cleanups: (() => void)[] = [];
  afterEach(async () => {
    for (const s of running.splice(0)) {
      s.child.kill('SIGKILL');
      await s.exited;
    }
    for (const c of cleanups.splice(0)) c();
  });
  return { running, cleanups };
}
