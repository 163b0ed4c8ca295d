// Optional /metrics for noise-maker itself, so a dashboard can set lines written beside lines counted.

import { createServer, type Server } from 'node:http';
import { Counter, Registry } from 'prom-client';
import type { RunStats } from './run.js';

export function startStatsServer(port: number, host: string, stats: RunStats): Promise<Server> {
  const registry = new Registry();
  // Counters that mirror the run's own tallies at scrape time.
  const mirrored: [name: string, help: string, read: () => number][] = [
    [
      'noise_maker_lines_written_total',
      'Lines appended to the output files, malformed ones included.',
      () => stats.lines,
    ],
    ['noise_maker_malformed_lines_total', 'Malformed lines appended on purpose.', () => stats.malformed],
  ];
  for (const [name, help, read] of mirrored) {
    let reported = 0;
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.inc(read() - reported);
        reported = read();
      },
    });
  }
  const server = createServer(async (req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
