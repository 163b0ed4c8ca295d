// noise-maker push --protocol X against a running analyzer, one test per protocol: the counter
// totals it prints are exactly what /metrics shows (cumulative protocols: its final values).

import { execFile, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it, vi } from 'vitest';
import { noiseMakerArgs, spawnServe, tempDir, useProcesses, WAIT } from './helpers.js';

const run = promisify(execFile);
const { running: servers, cleanups } = useProcesses();

/** A port free for TCP (and so, here, for UDP too): bound on 0 and let go. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

/** Sum of every line of a family in an exposition (the series' values). */
function familySum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

// UDP: few enough lines (~70 KB) that the socket's receive buffer holds them all even while the
// analyzer is starved of CPU, so nothing is dropped.
const cases: { protocol: string; transport: '' | 'udp' | 'tcp'; count: number }[] = [
  { protocol: 'pushgateway', transport: '', count: 3000 },
  { protocol: 'otlp', transport: '', count: 3000 },
  { protocol: 'remote-write', transport: '', count: 3000 },
  { protocol: 'statsd', transport: 'udp', count: 1000 },
  { protocol: 'statsd', transport: 'tcp', count: 3000 },
];

it.each(cases)(
  'noise-maker push --protocol $protocol $transport: its totals are exactly /metrics',
  async ({ protocol, transport, count }) => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const statsdPort = await freePort();
    const s = spawnServe(['--watch', join(t.dir, '*.log'), '--no-positions', '--statsd-port', String(statsdPort)]);
    servers.push(s);
    const metricsUrl = await s.url;
    const url = transport ? `${transport}://127.0.0.1:${statsdPort}` : metricsUrl.replace(/\/metrics$/, '');
    const { stdout } = await run(
      process.execPath,
      noiseMakerArgs(
        [
          'push',
          '--protocol',
          protocol,
          '--url',
          url,
          '--rate',
          '5000',
          '--count',
          String(count),
          '--batch',
          '250',
        ].concat(['--series', '60', '--connections', '3', '--seed', '11']),
      ),
      { encoding: 'utf8' },
    );
    const summary = JSON.parse(stdout);
    expect(summary.protocol).toBe(protocol);
    expect(summary.samples).toBe(count);
    expect(summary.failed_requests).toBe(0);
    // Counters only: every sample of these protocols is one.
    expect(Object.keys(summary.families)).toEqual(['app_requests_total']);
    const want = summary.families.app_requests_total.sum;
    expect(want).toBeGreaterThan(count); // each increment is 1 to 5
    const shown = async () => familySum(await (await fetch(metricsUrl)).text(), 'app_requests_total');
    await vi.waitFor(async () => expect(await shown()).toBe(want), WAIT);
    // One more cycle: a marker sent after everything else shows, and the totals have not moved.
    // (Its own name: a Pushgateway group's name is not open to other protocols.)
    const socket = connect(statsdPort, '127.0.0.1');
    await once(socket, 'connect');
    socket.end('noise_marker_total:1|c\n');
    await vi.waitFor(
      async () => expect(familySum(await (await fetch(metricsUrl)).text(), 'noise_marker_total')).toBe(1),
      WAIT,
    );
    expect(await shown()).toBe(want);
  },
  60_000,
);

it('a --protocol it does not know: one line naming it, exit 2', () => {
  const r = spawnSync(process.execPath, noiseMakerArgs(['push', '--url', 'http://127.0.0.1:1', '--protocol', 'nope']), {
    encoding: 'utf8',
  });
  expect(r.status).toBe(2);
  expect(r.stderr).toBe(
    "noise-maker: --protocol must be one of json, pushgateway, otlp, remote-write, statsd, not 'nope'\n",
  );
});
