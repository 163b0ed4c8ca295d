import { describe, expect, it } from 'vitest';
import { labelName, labelsOf, metricName, type NameRole, targetOf } from './names.js';

describe('metricName', () => {
  const cases: { name: string; given: [string, string, NameRole]; want: string }[] = [
    { name: 'dots become underscores', given: ['http.server.active', '', 'gauge'], want: 'http_server_active' },
    { name: 'a monotonic sum ends in _total', given: ['http.requests', '', 'counter'], want: 'http_requests_total' },
    { name: '_total is not doubled', given: ['jobs_total', '', 'counter'], want: 'jobs_total' },
    { name: 'total in the middle moves last', given: ['a.total.b', '', 'counter'], want: 'a_b_total' },
    { name: 'seconds', given: ['http.server.duration', 's', 'gauge'], want: 'http_server_duration_seconds' },
    { name: 'bytes before _total', given: ['net.io', 'By', 'counter'], want: 'net_io_bytes_total' },
    { name: 'a unit already in the name', given: ['latency_seconds', 's', 'gauge'], want: 'latency_seconds' },
    { name: 'a rate', given: ['speed', 'm/s', 'gauge'], want: 'speed_meters_per_second' },
    { name: 'annotations dropped', given: ['http.requests', '{request}', 'counter'], want: 'http_requests_total' },
    { name: 'unit 1 on a gauge: ratio', given: ['cpu.utilization', '1', 'gauge'], want: 'cpu_utilization_ratio' },
    { name: 'unit 1 on a counter: nothing', given: ['errors', '1', 'counter'], want: 'errors_total' },
    { name: 'an unknown unit kept as a word', given: ['queue.depth', 'items', 'gauge'], want: 'queue_depth_items' },
    { name: 'other characters split words', given: ['a-b/c  d', '', 'gauge'], want: 'a_b_c_d' },
    { name: 'a leading digit', given: ['2xx.count', '', 'gauge'], want: '_2xx_count' },
    { name: 'colons kept', given: ['job:rate', '', 'gauge'], want: 'job:rate' },
    { name: 'nothing left', given: ['...', '', 'gauge'], want: '' },
    { name: 'non-ASCII letters split', given: ['température', 'Cel', 'gauge'], want: 'temp_rature_celsius' },
  ];
  it.each(cases)('$name', ({ given, want }) => expect(metricName(...given)).toBe(want));
});

describe('labelName', () => {
  const cases: { name: string; given: string; want: string }[] = [
    { name: 'dots', given: 'http.method', want: 'http_method' },
    { name: 'a leading digit', given: '0x', want: 'key_0x' },
    { name: 'reserved __', given: '__name__', want: 'key__name__' },
    { name: 'kept as is', given: 'path', want: 'path' },
  ];
  it.each(cases)('$name', ({ given, want }) => expect(labelName(given)).toBe(want));
});

describe('labelsOf', () => {
  it('keys that become one name keep both values, joined by ; in key order', () => {
    const out = new Map<string, string>();
    labelsOf(['a.b', '2', 'a_b', '1', 'c', '3'], out);
    expect([...out]).toEqual([
      ['a_b', '2;1'],
      ['c', '3'],
    ]);
  });
});

describe('targetOf', () => {
  const cases: { name: string; given: string[]; want: { job: string; instance: string } }[] = [
    { name: 'name only', given: ['service.name', 'api'], want: { job: 'api', instance: '' } },
    {
      name: 'namespace/name and instance',
      given: ['service.namespace', 'shop', 'service.name', 'api', 'service.instance.id', 'i-1'],
      want: { job: 'shop/api', instance: 'i-1' },
    },
    { name: 'none', given: ['host.name', 'h'], want: { job: '', instance: '' } },
  ];
  it.each(cases)('$name', ({ given, want }) => expect(targetOf(given)).toEqual(want));
});
