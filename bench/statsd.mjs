// StatsD over UDP: a sender process writes datagrams of ~1,400 bytes (35 lines: counters, gauges
// and timers over 1,000 series with DogStatsD tags) for `seconds`, at 500,000 lines/s (the issue's
// target) and at its max rate;
// the analyzer's accepted samples/s, its CPU seconds per million samples (the figure that holds on
// a shared machine), and the kernel drops it counted (lines + drops = lines sent is checked).
// No statsd_exporter here to compare with. Medians of `repeats` runs.
// Run alone: node bench/statsd.mjs [seconds] [repeats]

import { readFileSync } from 'node:fs';
import { freePort, median, scrape, sleep, start, startAnalyzer, sumMetric } from './lib.mjs';

const LINES_PER_DATAGRAM = 35;

/** The sender: datagrams as fast as the socket takes them (bursts of 256), then its totals on stdout. */
const SENDER = `
const dgram = require('node:dgram');
const [port, seconds, perDatagram, rate] = process.argv.slice(1).map(Number);
const socket = dgram.createSocket('udp4');
const datagrams = [];
for (let d = 0; d < 100; d++) {
  const lines = [];
  for (let i = 0; i < perDatagram; i++) {
    const n = (d * perDatagram + i) % 1000;
    const kind = n % 10;
    if (kind < 7) lines.push('bench.requests.' + (n % 100) + ':1|c|#route:/r' + (n % 10) + ',method:get');
    else if (kind < 9) lines.push('bench.latency.' + (n % 50) + ':' + (n % 300) + '|ms|#route:/r' + (n % 10));
    else lines.push('bench.depth.' + (n % 20) + ':' + n + '|g');
  }
  datagrams.push(Buffer.from(lines.join('\\n')));
}
let sent = 0;
let inFlight = 0;
let done = false;
const began = Date.now();
const end = began + seconds * 1000;
const back = () => {
  inFlight--;
  if (inFlight === 0) more();
};
function more() {
  const now = Date.now();
  // At a rate: the datagrams due by now; at max (0): bursts of 256, the next when they are out.
  const due = rate > 0 ? Math.min(256, Math.floor(((now - began) * rate) / 1000 / perDatagram) - sent) : 256;
  if (rate > 0 && due <= 0 && now < end) {
    setTimeout(more, 1);
    return;
  }
  for (let i = 0; i < due && now < end; i++) {
    inFlight++;
    socket.send(datagrams[sent % 100], back);
    sent++;
  }
  if (now >= end && inFlight === 0 && !done) {
    done = true;
    process.stdout.write(JSON.stringify({ datagrams: sent, lines: sent * perDatagram }));
    socket.close();
  }
}
socket.connect(port, '127.0.0.1', more);
`;

/** CPU seconds (user + system) a live process has used so far. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function run(seconds, rate) {
  const port = await freePort();
  const analyzer = await startAnalyzer(['--statsd-port', String(port)]);
  const cpuBefore = cpuSeconds(analyzer.child.pid);
  const sender = start(
    process.execPath,
    ['-e', SENDER, String(port), String(seconds), String(LINES_PER_DATAGRAM), String(rate)],
    {
      stdout: 'pipe',
    },
  );
  let out = '';
  sender.child.stdout.on('data', (d) => {
    out += d;
  });
  const began = performance.now();
  await sender.exited;
  const sending = (performance.now() - began) / 1000;
  const sent = JSON.parse(out);
  // Everything sent is either a line read or a datagram dropped (35 lines each), once settled.
  let text = '';
  let counted = 0;
  for (let i = 0; i < 300; i++) {
    text = await scrape(analyzer.url);
    const lines = sumMetric(text, 'log_analyzer_statsd_lines_total');
    const drops = sumMetric(text, 'log_analyzer_statsd_udp_drops_total');
    counted = lines + drops * LINES_PER_DATAGRAM;
    if (counted >= sent.lines) break;
    await sleep(100);
  }
  const cpu = cpuSeconds(analyzer.child.pid) - cpuBefore;
  analyzer.child.kill('SIGTERM');
  await analyzer.exited;
  const accepted = text
    .split('\n')
    .filter((l) => l.startsWith('log_analyzer_statsd_samples_total{result="accepted"'))
    .reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  const drops = sumMetric(text, 'log_analyzer_statsd_udp_drops_total');
  return {
    sentLinesPerSecond: sent.lines / sending,
    samplesPerSecond: accepted / sending,
    dropped: drops * LINES_PER_DATAGRAM,
    droppedShare: (drops * LINES_PER_DATAGRAM) / sent.lines,
    cpuSecondsPerMillion: (cpu / Math.max(1, accepted)) * 1e6,
    accounted: counted === sent.lines,
  };
}

/** Medians of `repeats` runs at each rate (lines/s; 0: the sender's max), interleaved. */
export async function statsdBench(seconds = 5, repeats = 3, rates = [500_000, 0]) {
  const runs = new Map(rates.map((rate) => [rate, []]));
  for (let i = 0; i < repeats; i++) for (const rate of rates) runs.get(rate).push(await run(seconds, rate));
  const summary = (list) => {
    const m = (key) => median(list.map((r) => r[key]));
    return {
      sentLinesPerSecond: Math.round(m('sentLinesPerSecond')),
      samplesPerSecond: Math.round(m('samplesPerSecond')),
      droppedShare: Number(m('droppedShare').toFixed(4)),
      cpuSecondsPerMillion: Number(m('cpuSecondsPerMillion').toFixed(2)),
      accounted: list.every((r) => r.accounted),
      runs: list,
    };
  };
  return {
    seconds,
    linesPerDatagram: LINES_PER_DATAGRAM,
    rates: Object.fromEntries(rates.map((rate) => [rate === 0 ? 'max' : String(rate), summary(runs.get(rate))])),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [seconds = 5, repeats = 3] = process.argv.slice(2).map(Number);
  console.log(JSON.stringify(await statsdBench(seconds, repeats), null, 2));
}
