import { readFileSync } from 'node:fs';
import { AppSummarizer } from './src/transforms/log/app-summarize.js';
const buf = readFileSync('/tmp/app200k.log');
const u8 = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
const s = new AppSummarizer(65536);
for (let r = 0; r < 5; r++) {
  const t = process.cpuUsage();
  const out = s.summarize(u8);
  const us = process.cpuUsage(t);
  console.log(out.lines, Math.round(out.lines / ((us.user + us.system) / 1e6)), 'lines/s', out.levels);
}
