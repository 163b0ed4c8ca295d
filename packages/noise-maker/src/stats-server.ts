// Optional /metrics for noise-maker itself, so a dashboard can set lines written beside lines counted.

import { createServer, type Server } from 'node:http';
import { Counter, Registry } from 'prom-client';
import type { RunStats } from './run.js';

export function startStatsServer(port: number, host: string, stats: RunStats): Promise<Server> {
  const registry = new Registry();
  let reportedLines = 0;
  let reportedMalformed = 0;
  new Counter({
    name: 'noise_maker_lines_written_total',
    help: 'Lines appended to the output files, malformed ones included.',
    registers: [registry],
    collect() {
      this.inc(stats.lines - reportedLines);
      reportedLines = stats.lines;
    },
  });
  new Counter({
    name: 'noise_maker_malformed_lines_total',
    help: 'Malformed lines appended on purpose.',
    registers: [registry],
    collect() {
      this.inc(stats.malformed - reportedMalformed);
      reportedMalformed = stats.malformed;
    },
  });
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
