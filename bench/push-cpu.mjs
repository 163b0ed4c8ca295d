// The analyzer's CPU per pushed sample (all its threads, from /proc), for builds compared side by
// side: is the service log and tracing free when off (issue 27)? Each variant is an analyzer entry
// point plus flags; noise-maker pushes 1,000-sample batches at full rate for a few seconds to each in
// turn (interleaved, so a noisy minute hits each alike), --push-ack merged, no checkpoint.
// Prints the median µs of analyzer CPU per accepted sample and each variant's ratio to the first.
//   node bench/push-cpu.mjs [seconds] [repeats] [label=/path/to/bin/log-analyzer.js[,flag,flag...]]...
// Without variants: this checkout, this checkout with tracing to a discarding receiver.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { ANALYZER, median, NOISE_MAKER, start } from './lib.mjs';

/** CPU seconds (user + system, every thread) a live process has used so far. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function run(entry, flags, seconds) {
  const analyzer = start(
    process.execPath,
    [entry, '--port', '0', '--host', '127.0.0.1', '--no-positions'].concat([
      '--watch',
      '/nonexistent/*.log',
      '--push-ack',
      'merged',
      '--workers',
      '1',
      ...flags,
    ]),
  );
  const url = await new Promise((resolve, reject) => {
    analyzer.child.stderr.on('data', () => {
      const m = /metrics on (http:\/\/[^\s"]+)/.exec(analyzer.stderr);
      if (m) resolve(m[1]);
    });
    analyzer.exited.then(() => reject(new Error(analyzer.stderr)));
  });
  const base = url.replace(/\/metrics$/, '');
  const before = cpuSeconds(analyzer.child.pid);
  const pusher = start(
    process.execPath,
    [NOISE_MAKER, 'push', '--url', base, '--shape', 'batch', '--rate', 'max', '--duration', `${seconds}s`].concat([
      '--batch',
      '1000',
      '--series',
      '10000',
      '--connections',
      '4',
      '--seed',
      '1',
    ]),
    { stdout: 'pipe' },
  );
  let out = '';
  pusher.child.stdout.on('data', (d) => {
    out += d;
  });
  await pusher.exited;
  const cpu = cpuSeconds(analyzer.child.pid) - before;
  analyzer.child.kill('SIGTERM');
  await analyzer.exited;
  const samples = JSON.parse(out || '{}').samples ?? 0;
  return { usPerSample: samples ? (cpu * 1e6) / samples : Number.NaN, samples };
}

const [seconds = 5, repeats = 5] = process.argv.slice(2, 4).map(Number);
let variants = process.argv.slice(4).map((v) => {
  const [label, rest] = v.split('=');
  const [entry, ...flags] = rest.split(',');
  return { label, entry, flags };
});
let sink = null;
if (variants.length === 0) {
  sink = createServer((q, r) => q.resume().on('end', () => r.end('{}'))).listen(0, '127.0.0.1');
  await new Promise((resolve) => sink.once('listening', resolve));
  variants = [
    { label: 'this', entry: ANALYZER, flags: [] },
    { label: 'tracing on', entry: ANALYZER, flags: ['--tracing-endpoint', `http://127.0.0.1:${sink.address().port}`] },
  ];
}
const results = new Map(variants.map((v) => [v.label, []]));
for (let i = 0; i < repeats; i++) {
  for (const v of variants) results.get(v.label).push((await run(v.entry, v.flags, seconds)).usPerSample);
}
sink?.close();
const reference = median(results.get(variants[0].label));
for (const v of variants) {
  const runs = results.get(v.label);
  const m = median(runs);
  console.log(
    `${v.label.padEnd(12)} ${m.toFixed(2)} µs CPU/sample  ×${(m / reference).toFixed(3)}  runs: ${runs.map((r) => r.toFixed(2)).join(' ')}`,
  );
}
