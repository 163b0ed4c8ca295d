// Decode micro-benchmark (issue 23): the same 1,000-sample /api/metrics bodies and 1,000-message
// queue batches (noise-maker's push model, 10,000 series) decoded by the fast decoder, the slow
// one, and plain JSON.parse of the same bytes (the reference: the floor the slow path stood on).
// One thread, interleaved rounds, CPU time per round (process.cpuUsage): samples per CPU second
// and CPU µs per sample, medians. Both decoders' batches are compared first: they must be equal.
// Run alone: node bench/decode.mjs [rounds] (from a built tree: pnpm build)

import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { median, ROOT } from './lib.mjs';

const { MetricModel } = await import(join(ROOT, 'packages/noise-maker/dist/generate/metric-model.js'));
const batch = await import(join(ROOT, 'packages/log-analyzer/dist/transforms/push/batch.js'));

const SERIES = 10_000;
const SAMPLES = 1000;
const BODIES = 16;
const CONTEXT = {
  limits: { maxItems: 10_000, maxLabels: 32, maxLabelValueBytes: 1024, maxSeriesBytes: 4096 },
  namespace: '',
  prefix: '',
  tenant: null,
};

const encoder = new TextEncoder();
const text = new TextDecoder();

/** Each variant decodes every input once: [name, function]. */
function variants(kind) {
  if (kind === 'push') {
    return [
      ['JSON.parse', (b) => JSON.parse(text.decode(b))],
      ['slow', (b) => batch.slowDecodeBatch(b, CONTEXT)],
      ['fast', (b) => batch.decodeBatch(b, CONTEXT)],
    ];
  }
  return [
    [
      'JSON.parse',
      (b) =>
        text
          .decode(b)
          .split('\0')
          .map((m) => JSON.parse(m)),
    ],
    ['slow', (b) => batch.slowDecodeJoinedBatch(b, SAMPLES, CONTEXT)],
    ['fast', (b) => batch.decodeJoinedBatch(b, SAMPLES, CONTEXT)],
  ];
}

function inputs(kind) {
  const model = new MetricModel(1, SERIES);
  return Array.from({ length: BODIES }, () =>
    encoder.encode(
      kind === 'push' ? model.body('batch', SAMPLES).body : model.items('queue', SAMPLES).items.join('\0'),
    ),
  );
}

/** CPU seconds and wall seconds of `passes` passes of `decode` over `bodies`. */
function timed(decode, bodies, passes) {
  const cpu = process.cpuUsage();
  const wall = performance.now();
  for (let p = 0; p < passes; p++) for (const b of bodies) decode(b);
  const used = process.cpuUsage(cpu);
  return { cpu: (used.user + used.system) / 1e6, wall: (performance.now() - wall) / 1000 };
}

function benchKind(kind, rounds, passes) {
  const bodies = inputs(kind);
  const list = variants(kind);
  const slow = list[1][1];
  const fast = list[2][1];
  const identical = bodies.every((b) => isDeepStrictEqual(fast(b), slow(b)));
  for (const [, decode] of list) timed(decode, bodies, 3); // warm: JIT and the series cache
  const cpu = Object.fromEntries(list.map(([name]) => [name, []]));
  const wall = Object.fromEntries(list.map(([name]) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    // Interleaved, the order rotated: each round measures all three under the same load.
    for (let k = 0; k < list.length; k++) {
      const [name, decode] = list[(round + k) % list.length];
      const t = timed(decode, bodies, passes);
      cpu[name].push(t.cpu);
      wall[name].push(t.wall);
    }
  }
  const samples = BODIES * SAMPLES * passes;
  const rows = {};
  for (const [name] of list) {
    const c = median(cpu[name]);
    rows[name] = {
      samplesPerCpuSecond: Math.round(samples / c),
      cpuMicrosPerSample: Number(((c / samples) * 1e6).toFixed(3)),
      samplesPerWallSecond: Math.round(samples / median(wall[name])),
    };
  }
  return {
    rounds,
    samplesPerRound: samples,
    identical,
    ...rows,
    fastOverJsonParse: Number((rows.fast.samplesPerCpuSecond / rows['JSON.parse'].samplesPerCpuSecond).toFixed(2)),
    fastOverSlow: Number((rows.fast.samplesPerCpuSecond / rows.slow.samplesPerCpuSecond).toFixed(2)),
  };
}

export function decodeBench(rounds = 7, passes = 4) {
  return { push: benchKind('push', rounds, passes), queue: benchKind('queue', rounds, passes) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(decodeBench(Number(process.argv[2] ?? 7)), null, 2));
}
