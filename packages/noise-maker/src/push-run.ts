// The push loop: keeps samples sent equal to what the rate schedule says is due, over several
// connections, and tallies what the server acknowledged, so the end can say exactly what was sent.

import { MetricModel, type PushShape, Totals } from './generate/metric-model.js';
import { isCumulative, type Protocol, ProtocolRenderer } from './generate/protocol-bodies.js';
import { type Runner, startRunner } from './runner.js';
import { createSchedule, type ScheduleOptions } from './schedule/rate-schedule.js';
import { HttpPusher, type PushAnswer, type RequestShape } from './sink/http-push.js';
import { RedisPusher } from './sink/redis-push.js';
import { StatsdPusher } from './sink/statsd-push.js';

export interface PushRunOptions {
  url: string;
  /** LPUSH queue messages onto this Redis list instead of posting (url is then a redis:// URL). */
  redisKey: string | null;
  shape: PushShape;
  /** `json`: the analyzer's own bodies in `shape`; the others send counters only (protocol-bodies.ts). */
  protocol: Protocol;
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

/** The request of each HTTP protocol but json (statsd is not HTTP). */
const REQUESTS: Record<'pushgateway' | 'otlp' | 'remote-write', RequestShape & { path: string }> = {
  pushgateway: { method: 'PUT', headers: { 'content-type': 'text/plain; version=0.0.4' }, path: '' },
  otlp: { method: 'POST', headers: { 'content-type': 'application/json' }, path: '/v1/metrics' },
  'remote-write': {
    method: 'POST',
    headers: {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
      'x-prometheus-remote-write-version': '0.1.0',
    },
    path: '/api/v1/write',
  },
};

/**
 * Pure: connection `part`'s Pushgateway group URL. Each connection PUTs its own group (its series'
 * running totals): `connection="c<part>"` is in the grouping key, as a client appends it to the URL.
 */
export function pushgatewayUrl(url: string, part: number): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`--url is not a URL: ${url}`);
  }
  parsed.pathname = `${parsed.pathname.replace(/\/+$/, '')}/metrics/job/noise-maker/connection/c${part}`;
  return parsed.toString();
}

/** Pure: the endpoint of an HTTP protocol other than json and pushgateway, when --url names only the server. */
export function protocolUrl(url: string, protocol: 'otlp' | 'remote-write'): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`--url is not a URL: ${url}`);
  }
  if (parsed.pathname === '/' || parsed.pathname === '') parsed.pathname = REQUESTS[protocol].path;
  return parsed.toString();
}

/**
 * Pure: the request sizes connection `part` of `parts` sends for `count` samples in requests of
 * `perRequest` (request i goes to connection i mod parts; the last request overall is the partial
 * one). Cumulative protocols fix each connection's share up front, so every body rendered is sent.
 */
export function shareOf(count: number, perRequest: number, parts: number, part: number): number[] {
  const requests = Math.ceil(count / perRequest);
  const sizes: number[] = [];
  for (let i = part; i < requests; i += parts) sizes.push(i === requests - 1 ? count - i * perRequest : perRequest);
  return sizes;
}

export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

export function startPush(options: PushRunOptions, now: () => number = () => performance.now()): Runner<PushStats> {
  // One payload type per sink: an HTTP body, or a batch of queue messages for one LPUSH.
  type Payload = Buffer | string[];
  const { protocol } = options;
  const cumulative = isCumulative(protocol);
  const parts = Math.min(options.connections, options.series);
  const sink: { send(payload: Payload, part: number): Promise<PushAnswer>; close(): void } = (() => {
    if (options.redisKey !== null) {
      const redis = new RedisPusher(options.url, options.redisKey);
      return { send: (payload: Payload) => redis.send(payload as string[]), close: () => redis.close() };
    }
    if (protocol === 'statsd') {
      const statsd = new StatsdPusher(options.url);
      return { send: (payload: Payload) => statsd.send(payload as Buffer), close: () => statsd.close() };
    }
    if (protocol === 'pushgateway') {
      // One group, so one URL, per connection.
      const groups = Array.from(
        { length: parts },
        (_, part) => new HttpPusher(pushgatewayUrl(options.url, part), 1, options.apiKey, REQUESTS.pushgateway),
      );
      return {
        send: (payload: Payload, part: number) => (groups[part] as HttpPusher).send(payload as Buffer),
        close: () => {
          for (const g of groups) g.close();
        },
      };
    }
    const http =
      protocol === 'json'
        ? new HttpPusher(pushUrl(options.url, options.shape), options.connections, options.apiKey)
        : new HttpPusher(protocolUrl(options.url, protocol), options.connections, options.apiKey, REQUESTS[protocol]);
    return { send: (payload: Payload) => http.send(payload as Buffer), close: () => http.close() };
  })();
  const schedule = options.rate === 'max' ? null : createSchedule({ ...options.schedule, rate: options.rate });
  const stats: PushStats = {
    requests: 0,
    acknowledged: 0,
    rejected: 0,
    failedRequests: 0,
    seconds: 0,
    totals: new Totals(),
    latencies: [],
  };
  const perRequest = protocol === 'json' && options.shape === 'track' ? 1 : options.batch;
  // Cumulative protocols: each connection's last acknowledged body holds its final totals.
  const lastTotals: Totals[] = [];
  let started = now();
  let claimed = 0;
  // Bodies each connection renders before the clock starts: --bodies, or fewer when --count or
  // --duration at a rate needs fewer requests than that.
  const needed =
    options.count ??
    (options.rate !== 'max' && options.durationSeconds !== null ? options.rate * options.durationSeconds : null);
  const perPart = needed === null ? options.bodies : Math.ceil(needed / perRequest / parts);
  // Running totals are never sent twice: every body a cumulative protocol needs is rendered up front.
  const upFront = cumulative ? perPart : Math.min(options.bodies, perPart);

  type Rendered = { body: Payload; samples: number; totals: Totals };
  const prepare = (part: number) => {
    const model = new MetricModel(options.seed, options.series, part, parts);
    const renderer = protocol === 'json' ? null : new ProtocolRenderer(protocol, 'noise-maker');
    const running = new Totals();
    const render = (size: number): Rendered => {
      if (renderer !== null) {
        const { draws, totals } = model.counterDraws(size);
        const body = renderer.body(draws);
        if (!cumulative) return { body, samples: size, totals };
        running.merge(totals);
        const snapshot = new Totals();
        snapshot.merge(running);
        return { body, samples: size, totals: snapshot };
      }
      if (options.redisKey !== null) {
        const { items, totals } = model.items('queue', size);
        return { body: items, samples: size, totals };
      }
      return model.bodyBytes(options.shape, size);
    };
    if (cumulative && options.count !== null) {
      return { render, pool: shareOf(options.count, perRequest, parts, part).map(render) };
    }
    return { render, pool: Array.from({ length: upFront }, () => render(perRequest)) };
  };

  const connection = async ({ render, pool }: ReturnType<typeof prepare>, part: number, stopped: AbortSignal) => {
    let turn = 0;
    const next = (size: number) => {
      if (size !== perRequest) return render(size);
      // In order, each once; past the end (a connection that took more than its share), new ones.
      if (cumulative) return turn < pool.length ? (pool[turn++] as Rendered) : render(size);
      if (pool.length < options.bodies) {
        const rendered = render(size);
        pool.push(rendered);
        return rendered;
      }
      return pool[turn++ % pool.length] as Rendered;
    };
    /** Sends one body and tallies the answer; true when the run was stopped while the server was away. */
    const send = async ({ body, samples, totals }: Rendered): Promise<boolean> => {
      stats.requests++;
      try {
        const answer = await sink.send(body, part);
        if (stats.latencies.length < RESERVOIR) stats.latencies.push(answer.ms);
        // 2xx: remote-write answers 204, pushgateway 200 or 202.
        const ok = answer.status >= 200 && answer.status < 300;
        if (ok && answer.rejected === 0) {
          stats.acknowledged += samples;
          if (cumulative) lastTotals[part] = totals;
          else stats.totals.merge(totals);
        } else if (ok) {
          // Partly refused: the totals can no longer be exact; say so in the counts.
          stats.acknowledged += samples - answer.rejected;
          stats.rejected += answer.rejected;
        } else stats.failedRequests++;
      } catch (error) {
        if (stats.failedRequests === 0) options.onUnreachable?.(error as Error);
        stats.failedRequests++;
        if (stopped.aborted) return true;
        await new Promise((r) => setTimeout(r, 100)); // the server is away: do not spin
      }
      return false;
    };
    while (!stopped.aborted) {
      if (cumulative && options.count !== null) {
        // Its own share, in order: a body waits until the schedule has room for all of it.
        const body = pool[turn];
        if (body === undefined) return;
        const elapsed = (now() - started) / 1000;
        const due = Math.min(options.count, schedule ? schedule.due(elapsed) : Number.POSITIVE_INFINITY);
        if (due - claimed >= body.samples) {
          turn++;
          claimed += body.samples;
          if (await send(body)) return;
        } else await new Promise((resolve) => setTimeout(resolve, 2));
        continue;
      }
      let elapsed = (now() - started) / 1000;
      const finished = options.durationSeconds !== null && elapsed >= options.durationSeconds;
      if (finished && schedule === null) return;
      if (finished) elapsed = options.durationSeconds as number;
      let due = schedule ? schedule.due(elapsed) : claimed + perRequest;
      if (options.count !== null) due = Math.min(due, options.count);
      const size = Math.min(perRequest, due - claimed);
      // A whole batch when one is due; the rest only at the very end (count or duration reached).
      const last = finished || (options.count !== null && due === options.count);
      // Cumulative (no --count): no partial request at the end, which would skip bodies rendered before it.
      if (size > 0 && (size === perRequest || (last && !cumulative))) {
        claimed += size;
        if (await send(next(size))) return;
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
      await Promise.all(prepared.map((connectionParts, part) => connection(connectionParts, part, stopped)));
    },
    () => {
      for (const t of lastTotals) if (t) stats.totals.merge(t);
      sink.close();
      stats.seconds = (now() - started) / 1000;
      stats.latencies.sort((a, b) => a - b);
    },
  );
}
