// The one mapping from parsed flags to each command's runner options: the file writer's (run.ts) and
// the pusher's (push-run.ts). Pure; cli.ts parses, validates the combinations and starts the runner.

import type { PushShape } from './generate/metric-model.js';
import type { Protocol } from './generate/protocol-bodies.js';
import type { PushRunOptions } from './push-run.js';
import type { RunOptions } from './run.js';
import { type Pattern, steady } from './schedule/rate-schedule.js';
import type { RotateMode } from './sink/file-sink.js';

/** What commander parses for the default command (writing files). */
export interface Flags {
  output: string[];
  rate: number | 'max';
  pattern: Pattern;
  burstFactor: number;
  burstEvery: number;
  burstLength: number;
  period: number;
  waveAmplitude: number;
  duration?: number;
  count?: number;
  format: string;
  errorRate: number;
  malformedRate: number;
  seed?: number;
  startTime?: number;
  rotateEvery?: { lines: number | null; bytes: number | null };
  rotateMode: RotateMode;
  keep: number;
  statsPort?: number;
  statsHost: string;
  quiet: boolean;
}

/** What commander parses for `push`. */
export interface PushFlags {
  url?: string;
  redisUrl?: string;
  redisKey: string;
  shape: PushShape;
  protocol: Protocol;
  rate: number | 'max';
  batch: number;
  series: number;
  connections: number;
  seed?: number;
  duration?: number;
  count?: number;
  apiKey?: string;
  bodies: number;
  quiet: boolean;
}

/** --rate, --duration and --count mean the same to both commands: how fast, and when to stop. */
function pace(flags: Pick<Flags, 'rate' | 'duration' | 'count'>) {
  return { rate: flags.rate, durationSeconds: flags.duration ?? null, count: flags.count ?? null };
}

/** The file writer's options; `cores` is the machine's available parallelism. */
export function runOptions(flags: Flags, seed: number, cores: number): RunOptions {
  return {
    outputs: flags.output,
    ...pace(flags),
    schedule: {
      pattern: flags.pattern,
      burstFactor: flags.burstFactor,
      burstEverySeconds: flags.burstEvery,
      burstLengthSeconds: flags.burstLength,
      periodSeconds: flags.period,
      waveAmplitude: flags.waveAmplitude,
      seed,
    },
    rotation: flags.rotateEvery
      ? {
          everyLines: flags.rotateEvery.lines,
          everyBytes: flags.rotateEvery.bytes,
          mode: flags.rotateMode,
          keep: flags.keep,
        }
      : null,
    lines: {
      format: flags.format,
      seed,
      errorRate: flags.errorRate,
      malformedRate: flags.malformedRate,
      startTimeMs: flags.startTime ?? null,
    },
    // Rendering is what limits --rate max: every core but none beyond four renders.
    renderThreads: cores > 1 ? Math.min(4, cores) : 0,
  };
}

/**
 * The pusher's options (url is --url, or --redis-url with the queue's key). Throws on a redis:// --url;
 * that exactly one of --url and --redis-url is given is cli.ts's check, made before.
 */
export function pushOptions(flags: PushFlags, seed: number): Omit<PushRunOptions, 'onUnreachable'> {
  if (flags.url?.startsWith('redis://')) throw new Error('--url is for HTTP: use --redis-url redis://…');
  return {
    url: (flags.url ?? flags.redisUrl) as string,
    redisKey: flags.redisUrl === undefined ? null : flags.redisKey,
    shape: flags.shape,
    protocol: flags.protocol,
    ...pace(flags),
    schedule: steady(seed),
    batch: flags.batch,
    series: flags.series,
    connections: flags.connections,
    seed,
    apiKey: flags.apiKey ?? null,
    bodies: flags.bodies,
  };
}
