#!/usr/bin/env node
// The floor reference: the fastest trivial single-threaded pass we could write that still does
// the job's core — count requests by status code in a combined log. No validation, no pool, no
// metrics: "how close to the hardware" is the analyzer's time against this one, in the same run.
// Usage: node bench/floor.mjs FILE   (prints JSON: lines, statuses)

import { openSync, readSync } from 'node:fs';

const fd = openSync(process.argv[2], 'r');
const buffer = Buffer.allocUnsafe(4 << 20);
const statuses = new Float64Array(600);
let lines = 0;
let carry = 0;
for (;;) {
  const n = readSync(fd, buffer, carry, buffer.length - carry, null);
  const filled = carry + n;
  let start = 0;
  for (;;) {
    const nl = buffer.indexOf(10, start);
    if (nl < 0 || nl >= filled) break;
    // The status follows the request line's closing quote: `..." 200 1234 "...`
    const q = buffer.indexOf(34, buffer.indexOf(34, start) + 1);
    const s = q + 2;
    if (q > 0 && s + 3 <= nl) statuses[(buffer[s] - 48) * 100 + (buffer[s + 1] - 48) * 10 + (buffer[s + 2] - 48)]++;
    lines++;
    start = nl + 1;
  }
  carry = filled - start;
  buffer.copy(buffer, 0, start, filled);
  if (n === 0) break;
}
const counts = {};
statuses.forEach((c, s) => {
  if (c) counts[s] = c;
});
console.log(JSON.stringify({ lines, statuses: counts }));
