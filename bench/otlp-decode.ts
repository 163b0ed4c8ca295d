// OTLP decoding throughput: a real SDK body (1,000 counter and 1,000 gauge series, cumulative),
// decoded by the wire reader alone and through translation into the store batch, protobuf and JSON.
// CPU time (process.cpuUsage), median of 5. Run: node --import tsx bench/otlp-decode.ts

import { decodeOtlp } from '../packages/log-analyzer/src/transforms/otlp/decode.js';
import { decodeMetricsProto } from '../packages/log-analyzer/src/transforms/otlp/metrics-proto.js';
import { otlpSdk } from '../packages/log-analyzer/test/otlp-sdk.js';

const sdk = otlpSdk({ 'service.name': 'bench', 'service.instance.id': 'i-1', 'host.name': 'h' }, 'cumulative');
const m = sdk.provider.getMeter('b');
const c = m.createCounter('http.server.requests');
const g = m.createGauge('queue.depth');
for (let i = 0; i < 1000; i++) {
  c.add(i + 1, { route: `/r${i}`, method: 'GET' });
  g.record(i, { queue: `q${i}` });
}
const { protobuf, json } = await sdk.collect();
const context = {
  limits: { maxItems: 100000, maxLabels: 30, maxLabelValueBytes: 1024, maxSeriesBytes: 8192 },
  namespace: '',
  prefix: '',
  tenant: null,
} as never;
function run(label: string, f: () => unknown, samples: number) {
  const rates: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = process.cpuUsage();
    let n = 0;
    const until = Date.now() + 600;
    while (Date.now() < until) {
      f();
      n++;
    }
    const cpu = process.cpuUsage(t0);
    rates.push((n * samples) / ((cpu.user + cpu.system) / 1e6));
  }
  rates.sort((a, b) => a - b);
  console.log(label, Math.round(rates[2] as number), 'samples/s (CPU time, median of 5)');
}
console.log('body bytes', protobuf.length, json.length);
run('proto wire only', () => decodeMetricsProto(protobuf), 2000);
run('proto full (decode+translate+batch)', () => decodeOtlp(protobuf, 'protobuf', context), 2000);
run('json full', () => decodeOtlp(json, 'json', context), 2000);
