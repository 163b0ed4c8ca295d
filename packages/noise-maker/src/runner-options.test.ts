// The flags → runner options mapping of both commands, as tables.
import { describe, expect, it } from 'vitest';
import type { PushRunOptions } from './push-run.js';
import type { RunOptions } from './run.js';
import { type Flags, type PushFlags, pushOptions, runOptions } from './runner-options.js';
import { steady } from './schedule/rate-schedule.js';

const flags: Flags = {
  output: ['-'],
  rate: 1000,
  pattern: 'burst',
  burstFactor: 3,
  burstEvery: 20,
  burstLength: 2,
  period: 30,
  waveAmplitude: 0.25,
  format: '%h',
  errorRate: 0.01,
  malformedRate: 0,
  rotateMode: 'rename',
  keep: 5,
  statsHost: '0.0.0.0',
  quiet: false,
};

const run: RunOptions = {
  outputs: ['-'],
  rate: 1000,
  schedule: {
    pattern: 'burst',
    burstFactor: 3,
    burstEverySeconds: 20,
    burstLengthSeconds: 2,
    periodSeconds: 30,
    waveAmplitude: 0.25,
    seed: 7,
  },
  durationSeconds: null,
  count: null,
  rotation: null,
  lines: { format: '%h', seed: 7, errorRate: 0.01, malformedRate: 0, startTimeMs: null },
  renderThreads: 2,
};

describe('runOptions', () => {
  it.each([
    { name: 'defaults', given: { flags, cores: 2 }, want: run },
    {
      name: 'duration, count and start time',
      given: { flags: { ...flags, duration: 30, count: 100, startTime: 5 }, cores: 2 },
      want: { ...run, durationSeconds: 30, count: 100, lines: { ...run.lines, startTimeMs: 5 } },
    },
    {
      name: 'rotation by lines',
      given: {
        flags: { ...flags, rotateEvery: { lines: 300, bytes: null }, rotateMode: 'copytruncate', keep: 2 },
        cores: 2,
      },
      want: { ...run, rotation: { everyLines: 300, everyBytes: null, mode: 'copytruncate', keep: 2 } },
    },
    { name: 'one core renders on the writing thread', given: { flags, cores: 1 }, want: { ...run, renderThreads: 0 } },
    { name: 'no more than four render threads', given: { flags, cores: 16 }, want: { ...run, renderThreads: 4 } },
  ] satisfies { name: string; given: { flags: Flags; cores: number }; want: RunOptions }[])(
    '$name',
    ({ given, want }) => {
      expect(runOptions(given.flags, 7, given.cores)).toEqual(want);
    },
  );
});

const pushFlags: PushFlags = {
  url: 'http://127.0.0.1:9090',
  redisKey: 'prom-stream-gateway:metric-queue',
  shape: 'batch',
  protocol: 'json',
  rate: 1000,
  batch: 1000,
  series: 1000,
  connections: 4,
  bodies: 64,
  quiet: false,
};

const push: Omit<PushRunOptions, 'onUnreachable'> = {
  url: 'http://127.0.0.1:9090',
  redisKey: null,
  shape: 'batch',
  protocol: 'json',
  rate: 1000,
  schedule: steady(7),
  batch: 1000,
  series: 1000,
  connections: 4,
  seed: 7,
  durationSeconds: null,
  count: null,
  apiKey: null,
  bodies: 64,
};

describe('pushOptions', () => {
  it.each([
    { name: 'HTTP defaults', given: pushFlags, want: push },
    {
      name: 'duration, count and API key',
      given: { ...pushFlags, duration: 5, count: 10, apiKey: 'k' },
      want: { ...push, durationSeconds: 5, count: 10, apiKey: 'k' },
    },
    {
      name: '--redis-url pushes onto the key',
      given: { ...pushFlags, url: undefined, redisUrl: 'redis://127.0.0.1:6379' },
      want: { ...push, url: 'redis://127.0.0.1:6379', redisKey: 'prom-stream-gateway:metric-queue' },
    },
  ] satisfies { name: string; given: PushFlags; want: Omit<PushRunOptions, 'onUnreachable'> }[])(
    '$name',
    ({ given, want }) => {
      expect(pushOptions(given, 7)).toEqual(want);
    },
  );

  it('a redis:// --url is refused, naming --redis-url', () => {
    expect(() => pushOptions({ ...pushFlags, url: 'redis://127.0.0.1:6379' }, 7)).toThrow(
      '--url is for HTTP: use --redis-url redis://…',
    );
  });
});
