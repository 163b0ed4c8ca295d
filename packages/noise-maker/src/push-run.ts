// The push loop: keeps samples sent equal to what the rate schedule says is due, over several
// connections, and tallies what the server acknowledged, so the end can say exactly what was sent.

import { MetricModel, type PushShape, Totals } from './generate/metric-model.js';
import { type Runner, startRunner } from './runner.js';
import { createSchedule, type ScheduleOptions } from './schedule/rate-schedule.js';
import { HttpPusher, type PushAnswer } from './sink/http-push.js';
import { RedisPusher } from './sink/redis-push.js';

export interface PushRunOptions {
  url: string;
  /** LPUSH queue messages onto this Redis list instead of posting (url is then a redis:// URL). */
  redisKey: string | null;
  shape: PushShape;
  rate: number | 'max';
  schedule: Omit<ScheduleOptions, 'rate'>;
  /** Samples per request (track: always 1). */
  batch: number;
  series: number;
  connections: number;
  seed: number;
  durationSeconds: number | null;
  count: number | null;
  apiKey: string | null;
  /**
   * Distinct bodies each connection renders, then sends again in turn (as wrk or hey replay
   * theirs): the generator costs nothing at high rates, and the totals stay exact.
   */
  bodies: number;
  /** The first request that got no answer at all (said once; the rest are only counted). */
  onUnreachable?(error: Error): void;
}

export interface PushStats {
  requests: number;
  /** Samples in requests answered 200, less those the answer said were refused. */
  acknowledged: number;
  rejected: number;
  /** Requests answered with another status, or not at all (their samples are not in the totals). */
  failedRequests: number;
  seconds: number;
  totals: Totals;
  /** Request latencies in ms (a bounded reservoir). */
  latencies: number[];
}

/** Latencies kept for the percentiles. */
const RESERVOIR = 100_000;

/** The endpoint of each shape, when --url names only the server. */
export const DEFAULT_PATHS: Record<PushShape, string> = {
  batch: '/api/metrics',
  track: '/metrics/track',
  'track-batch': '/metrics/track/batch',
  queue: '/update',
};

export function pushUrl(url: string, shape: PushShape): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`--url is not a URL: ${url}`);
  }
  if (parsed.pathname === '/' || parsed.pathname === '') parsed.pathname = DEFAULT_PATHS[shape];
  return parsed.toString();
}

export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

export function startPush(options: PushRunOptions, now: () => number = () => performance.now()): Runner<PushStats> {
  // One payload type per sink: an HTTP body, or a batch of queue messages for one LPUSH.
  type Payload = Buffer | string[];
  const sink: { send(payload: Payload): Promise<PushAnswer>; close(): void } = (() => {
    if (options.redisKey !== null) {
      const redis = new RedisPusher(options.url, options.redisKey);
      return { send: (payload: Payload) => redis.send(payload as string[]), close: () => redis.close() };
    }
    const http = new HttpPusher(pushUrl(options.url, options.shape), options.connections, options.apiKey);
    return { send: (payload: Payload) => http.send(payload as Buffer), close: () => http.close() };
  })();
  const schedule = options.rate === 'max' ? null : createSchedule({ ...options.schedule, rate: options.rate });
  const parts = Math.min(options.connections, options.series);
  const stats: PushStats = {
    requests: 0,
    acknowledged: 0,
    rejected: 0,
    failedRequests: 0,
    seconds: 0,
    totals: new Totals(),
    latencies: [],
  };
  const perRequest = options.shape === 'track' ? 1 : options.batch;
  let started = now();
  let claimed = 0;
  // Bodies each connection renders before the clock starts: --bodies, or fewer when --count or
  // --duration at a rate needs fewer requests than that.
  const needed =
    options.count ??
    (options.rate !== 'max' && options.durationSeconds !== null ? options.rate * options.durationSeconds : null);
  const upFront = Math.min(options.bodies, needed === null ? options.bodies : Math.ceil(needed / perRequest / parts));

  type Rendered = { body: Payload; samples: number; totals: Totals };
  const prepare = (part: number) => {
    const model = new MetricModel(options.seed, options.series, part, parts);
    const render = (size: number): Rendered => {
      if (options.redisKey !== null) {
        const { items, totals } = model.items('queue', size);
        return { body: items, samples: size, totals };
      }
      return model.bodyBytes(options.shape, size);
    };
    return { render, pool: Array.from({ length: upFront }, () => render(perRequest)) };
  };

  const connection = async ({ render, pool }: ReturnType<typeof prepare>, stopped: AbortSignal) => {
    let turn = 0;
    const next = (size: number) => {
      if (size !== perRequest) return render(size);
      if (pool.length < options.bodies) {
        const rendered = render(size);
        pool.push(rendered);
        return rendered;
      }
      return pool[turn++ % pool.length] as Rendered;
    };
    while (!stopped.aborted) {
      let elapsed = (now() - started) / 1000;
      const finished = options.durationSeconds !== null && elapsed >= options.durationSeconds;
      if (finished && schedule === null) return;
      if (finished) elapsed = options.durationSeconds as number;
      let due = schedule ? schedule.due(elapsed) : claimed + perRequest;
      if (options.count !== null) due = Math.min(due, options.count);
      const size = Math.min(perRequest, due - claimed);
      // A whole batch when one is due; the rest only at the very end (count or duration reached).
      const last = finished || (options.count !== null && due === options.count);
      if (size > 0 && (size === perRequest || last)) {
        claimed += size;
        const { body, samples, totals } = next(size);
        stats.requests++;
        try {
          const answer = await sink.send(body);
          if (stats.latencies.length < RESERVOIR) stats.latencies.push(answer.ms);
          if (answer.status === 200 && answer.rejected === 0) {
            stats.acknowledged += samples;
            stats.totals.merge(totals);
          } else if (answer.status === 200) {
            // Partly refused: the totals can no longer be exact; say so in the counts.
            stats.acknowledged += samples - answer.rejected;
            stats.rejected += answer.rejected;
          } else stats.failedRequests++;
        } catch (error) {
          if (stats.failedRequests === 0) options.onUnreachable?.(error as Error);
          stats.failedRequests++;
          if (stopped.aborted) return;
          await new Promise((r) => setTimeout(r, 100)); // the server is away: do not spin
        }
        continue;
      }
      if (stopped.aborted || finished || (options.count !== null && claimed >= options.count)) return;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  };

  return startRunner(
    stats,
    async (stopped) => {
      // Rendered before the clock starts, as hey or wrk read their bodies first: a run's samples/s
      // is the sending, and rendering (~1 µs a sample) no longer takes the first second's CPU.
      const prepared = Array.from({ length: parts }, (_, part) => prepare(part));
      started = now();
      await Promise.all(prepared.map((connectionParts) => connection(connectionParts, stopped)));
    },
    () => {
      sink.close();
      stats.seconds = (now() - started) / 1000;
      stats.latencies.sort((a, b) => a - b);
    },
  );
}
