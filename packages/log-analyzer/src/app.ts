// Wires the stages — tail → parse pool → aggregate → export — and is the one place that knows
// them all. Everything here is handed in by main.ts, so tests build an analyzer in-process.

import { type ServerType, serve as serveHttp } from '@hono/node-server';
import { Registry } from 'prom-client';
import { LineRate } from './aggregate/line-rate.js';
import { initFileSeries, mergeSummary } from './aggregate/merge-summary.js';
import { createSelfMetrics, type LogMetrics } from './aggregate/metrics.js';
import { createCounting } from './counting.js';
import { createHttpApp } from './export/http-app.js';
import { loadPositions, savePositions, serializePositions } from './tail/positions-file.js';
import { Tailer } from './tail/tailer.js';
import { VERSION } from './version.js';

export interface AnalyzerConfig {
  watch: readonly string[];
  format: string;
  workers: number;
  maxLineBytes: number;
  from: 'end' | 'beginning';
  maxFiles: number;
  pollIntervalMs: number;
  rotateWaitMs: number;
  usePolling: boolean;
  /** Where read positions are saved for restarts; null: never saved, every start is a first start. */
  positionsFile: string | null;
  readBytes?: number;
  /** Warnings (corrupt positions, refused files); stderr by default. */
  warn?: (message: string) => void;
}

export interface Analyzer {
  registry: Registry;
  app: ReturnType<typeof createHttpApp>;
  tailer: Tailer;
  /** Serves the HTTP app; resolves with the bound port. */
  listen(port: number, host: string): Promise<number>;
  stop(): Promise<void>;
}

/** Positions are saved at most this often while running, and once more on stop. */
const POSITIONS_INTERVAL_MS = 1000;

export async function createAnalyzer(config: AnalyzerConfig): Promise<Analyzer> {
  const warn = config.warn ?? ((message: string) => process.stderr.write(`log-analyzer: ${message}\n`));
  const startedAt = Date.now();
  const { logRegistry, logMetrics, pool } = createCounting(config);
  const selfRegistry = new Registry();
  const lineRate = new LineRate();
  const lastError = new Map<string, string>();

  // The tailer is created below; the self metrics only read it at scrape time.
  let tailer: Tailer | null = null;
  const selfMetrics = createSelfMetrics(selfRegistry, VERSION, {
    filesWatched: () => tailer?.fileCount ?? 0,
    lagBytes: () => new Map((tailer?.statuses() ?? []).map((f) => [f.path, f.lagBytes])),
    lineRates: () => lineRate.rates(),
    pool: () => pool.stats(),
  });
  pool.onTask = (seconds) => selfMetrics.taskDuration.observe(seconds);

  const positions = config.positionsFile ? await loadPositions(config.positionsFile, warn) : new Map();
  tailer = new Tailer({
    positions,
    patterns: config.watch,
    from: config.from,
    maxFiles: config.maxFiles,
    pollIntervalMs: config.pollIntervalMs,
    rotateWaitMs: config.rotateWaitMs,
    usePolling: config.usePolling,
    pool,
    maxLineBytes: config.maxLineBytes,
    onFileAdded: (file) => initFileSeries(logMetrics, file),
    onFileRefused: (file) => {
      selfMetrics.filesRefused.inc();
      warn(`not following ${file}: already following --max-files=${config.maxFiles} files`);
    },
    onRotation: (file) => selfMetrics.rotations.inc({ file }),
    onError: (file, error) => {
      selfMetrics.readErrors.inc({ file });
      // Said once per distinct problem, not on every retry.
      const message = error instanceof Error ? error.message : String(error);
      if (lastError.get(file) !== message) warn(`${file}: ${message} (retrying)`);
      lastError.set(file, message);
    },
    onTruncation: (file) => selfMetrics.truncations.inc({ file }),
    onSummary: (file, summary) => {
      mergeSummary(logMetrics, file, summary);
      lineRate.add(file, summary.lines);
    },
    onRead: (file, bytes) => selfMetrics.readBytes.inc({ file }, bytes),
  });

  const registry = Registry.merge([logRegistry, selfRegistry]);
  const app = createHttpApp({
    registry,
    version: VERSION,
    startedAt,
    status: async () => {
      // Lines and errors per file come from the counters themselves: one source of truth.
      const sums = async (metric: LogMetrics['lines'] | LogMetrics['errors']) => {
        const byFile = new Map<string, number>();
        for (const { labels, value } of (await metric.get()).values) {
          byFile.set(String(labels.file), (byFile.get(String(labels.file)) ?? 0) + value);
        }
        return byFile;
      };
      const [lines, errors] = await Promise.all([sums(logMetrics.lines), sums(logMetrics.errors)]);
      return {
        files: (tailer?.statuses() ?? []).map((file) => ({
          ...file,
          lines: lines.get(file.path) ?? 0,
          errors: errors.get(file.path) ?? 0,
        })),
        pool: pool.stats(),
      };
    },
  });

  const rateTimer = setInterval(() => lineRate.sample(Date.now()), 1000);
  rateTimer.unref();
  await tailer.start();

  // Saves positions when they changed; never two writes at once.
  let lastSaved = '';
  let saving: Promise<void> = Promise.resolve();
  const savePositionsNow = () => {
    const file = config.positionsFile;
    if (!file || !tailer) return saving;
    saving = saving.then(async () => {
      const text = serializePositions(tailer?.positions() ?? []);
      if (text === lastSaved) return;
      try {
        await savePositions(file, text);
        lastSaved = text;
        selfMetrics.positionsWrites.inc();
      } catch (error) {
        warn(`cannot save positions to ${file}: ${(error as Error).message}`);
      }
    });
    return saving;
  };
  const positionsTimer = setInterval(savePositionsNow, POSITIONS_INTERVAL_MS);
  positionsTimer.unref();

  let server: ServerType | null = null;
  return {
    registry,
    app,
    tailer,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server = serveHttp({ fetch: app.fetch, port, hostname: host }, (info) => resolve(info.port));
        server.once('error', reject);
      });
    },
    async stop() {
      clearInterval(rateTimer);
      clearInterval(positionsTimer);
      await tailer?.stop();
      await savePositionsNow();
      await pool.close();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    },
  };
}
