// Where the analyzer's CPU goes under one push protocol's load: the analyzer runs with
// `node --cpu-prof` (main thread and decode threads each write a profile) under bench/push-protocols.mjs'
// driver; prints the top self-time functions of each thread with profile samples, and the run's figures.
// Run: node bench/push-profile.mjs remote-write|otlp-protobuf|otlp-json [seconds] [top]
// A/B in one run (another build, e.g. main's, copied with its bin/ and dist/): samples/s and the
// analyzer's CPU per sample, runs interleaved, medians:
//      node bench/push-profile.mjs ab /path/to/before/bin/log-analyzer.js [seconds] [repeats] [protocol,…]

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { protocolInputs, protocolRun } from './push-protocols.mjs';

/** Self time per function (name and file:line) of one .cpuprofile, largest first, as shares. */
export function selfTimes(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const ticks = new Map();
  for (const id of profile.samples) ticks.set(id, (ticks.get(id) ?? 0) + 1);
  const total = profile.samples.length;
  const byFunction = new Map();
  for (const [id, n] of ticks) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const where = url ? `${url.replace(/^.*\/(src|dist|node_modules)\//, '$1/')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + n);
  }
  return { total, top: [...byFunction].sort((a, b) => b[1] - a[1]).map(([f, n]) => ({ f, share: n / total })) };
}

/** Before (`bin`) against this build, each protocol, interleaved `repeats` times: medians. */
async function ab(bin, seconds, repeats, protocols = ['remote-write', 'otlp-protobuf', 'otlp-json']) {
  const inputs = await protocolInputs();
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  for (const protocol of protocols) {
    const runs = { before: [], after: [] };
    const given = protocol === 'remote-write' ? inputs.rw : inputs.otlp;
    for (let i = 0; i < repeats; i++) {
      runs.before.push(await protocolRun(seconds, protocol, given, { bin }));
      runs.after.push(await protocolRun(seconds, protocol, given));
    }
    for (const [which, rs] of Object.entries(runs)) {
      const exact = rs.every((r) => r.exact) ? 'exact' : 'NOT EXACT';
      console.log(
        `${protocol.padEnd(14)} ${which.padEnd(7)} ${String(median(rs.map((r) => r.samplesPerSecond))).padStart(8)} samples/s  ${String(median(rs.map((r) => r.cpuSecondsPerMillion))).padStart(6)} CPU µs/sample  p99 ${median(rs.map((r) => r.p99Ms))} ms  ${exact}  runs ${rs.map((r) => r.samplesPerSecond).join(' ')}`,
      );
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}` && process.argv[2] === 'ab') {
  await ab(process.argv[3], Number(process.argv[4] ?? 8), Number(process.argv[5] ?? 3), process.argv[6]?.split(','));
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const protocol = process.argv[2] ?? 'remote-write';
  const seconds = Number(process.argv[3] ?? 10);
  const top = Number(process.argv[4] ?? 15);
  const dir = mkdtempSync(join(tmpdir(), 'push-profile-'));
  const inputs = await protocolInputs();
  const run = await protocolRun(seconds, protocol, protocol === 'remote-write' ? inputs.rw : inputs.otlp, {
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
  });
  console.log(JSON.stringify(run));
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const { total, top: rows } = selfTimes(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    if (total < 100) continue; // an idle thread
    console.log(`\n${file}: ${total} samples`);
    for (const r of rows.slice(0, top)) console.log(`${(100 * r.share).toFixed(1).padStart(5)} %  ${r.f}`);
  }
  rmSync(dir, { recursive: true, force: true });
}
