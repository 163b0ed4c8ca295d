// The /proc parsers against fixture texts (as the kernel writes them), and the collector once
// against this machine's real /proc.
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerHostMetrics } from './host-metrics.js';
import {
  parseCgroupLimits,
  parseDiskstats,
  parseLoadavg,
  parseMeminfo,
  parseMounts,
  parseNetDev,
  parseStat,
} from './proc.js';

describe('/proc parsers', () => {
  it('stat: seconds per cpu and mode (ticks / 100); the all-cpus line is not a cpu', () => {
    const rows = parseStat('cpu  10 0 5 100 0 0 0 0 0 0\ncpu0 250 1 50 1000 3 0 2 7 0 0\nintr 1 2 3\n');
    expect(rows.filter((r) => r.cpu === '0').map((r) => [r.mode, r.seconds])).toEqual([
      ['user', 2.5],
      ['nice', 0.01],
      ['system', 0.5],
      ['idle', 10],
      ['iowait', 0.03],
      ['irq', 0],
      ['softirq', 0.02],
      ['steal', 0.07],
    ]);
    expect(rows.every((r) => r.cpu === '0')).toBe(true);
  });

  it('loadavg', () => {
    expect(parseLoadavg('0.52 0.58 0.59 2/345 12345\n')).toEqual([0.52, 0.58, 0.59]);
    expect(parseLoadavg('garbage')).toBeNull();
  });

  it("meminfo: node_exporter's names, kB fields in bytes, counts as they are", () => {
    const m = parseMeminfo(
      'MemTotal:       16384 kB\nMemAvailable:    8192 kB\nActive(anon):      4 kB\nHugePages_Total:       3\n',
    );
    expect(Object.fromEntries(m)).toEqual({
      node_memory_MemTotal_bytes: 16384 * 1024,
      node_memory_MemAvailable_bytes: 8192 * 1024,
      node_memory_Active_anon_bytes: 4096,
      node_memory_HugePages_Total: 3,
    });
  });

  it('diskstats: bytes from 512-byte sectors; loop, ram and partitions left out', () => {
    const text = [
      '   7       0 loop0 1 0 8 0 0 0 0 0 0 0 0',
      '   8       0 sda 100 0 2048 10 50 0 4096 20 0 30 30',
      '   8       1 sda1 90 0 2000 10 40 0 4000 20 0 30 30',
      ' 259       0 nvme0n1 10 0 16 1 2 0 32 1 0 2 2',
      ' 259       1 nvme0n1p1 10 0 16 1 2 0 32 1 0 2 2',
    ].join('\n');
    expect(parseDiskstats(text)).toEqual([
      { device: 'sda', read: 2048 * 512, written: 4096 * 512 },
      { device: 'nvme0n1', read: 16 * 512, written: 32 * 512 },
    ]);
  });

  it('net/dev', () => {
    const text =
      'Inter-|   Receive                                                |  Transmit\n' +
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n' +
      '    lo:  1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0\n' +
      '  eth0: 123456    100    0    0    0     0          0         0    654321     90    0    0    0     0       0          0\n';
    expect(parseNetDev(text)).toEqual([
      { device: 'lo', received: 1000, transmitted: 1000 },
      { device: 'eth0', received: 123456, transmitted: 654321 },
    ]);
  });

  it('mounts: real file systems once each, pseudo ones left out, octal escapes decoded', () => {
    const text = [
      'proc /proc proc rw 0 0',
      '/dev/sda1 / ext4 rw 0 0',
      'tmpfs /run tmpfs rw 0 0',
      'cgroup2 /sys/fs/cgroup cgroup2 rw 0 0',
      '/dev/sdb1 /mnt/my\\040disk xfs rw 0 0',
      '/dev/sda1 / ext4 rw 0 0',
    ].join('\n');
    expect(parseMounts(text)).toEqual([
      { device: '/dev/sda1', mountpoint: '/', fstype: 'ext4' },
      { device: 'tmpfs', mountpoint: '/run', fstype: 'tmpfs' },
      { device: '/dev/sdb1', mountpoint: '/mnt/my disk', fstype: 'xfs' },
    ]);
  });

  it.each([
    ['max', 'max 100000', { memoryBytes: null, cpuCores: null }],
    ['536870912\n', '150000 100000\n', { memoryBytes: 536870912, cpuCores: 1.5 }],
    [null, null, { memoryBytes: null, cpuCores: null }],
  ])('cgroup limits %j %j', (memory, cpu, want) => {
    expect(parseCgroupLimits(memory, cpu)).toEqual(want);
  });
});

it("this machine's /proc: CPU seconds, load, memory, file systems and network, in node_exporter's names", async () => {
  const registry = new Registry();
  registerHostMetrics(registry, { enabled: true, cpu: true, ram: true, disk: true, network: true });
  const text = await registry.metrics();
  const value = (name: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : Number.NaN;
  };
  expect(value('node_cpu_seconds_total')).toBeGreaterThan(0);
  expect(value('node_load1')).toBeGreaterThanOrEqual(0);
  expect(value('node_memory_MemTotal_bytes')).toBeGreaterThan(100 * 2 ** 20);
  expect(value('node_memory_MemAvailable_bytes')).toBeGreaterThan(0);
  // Every real file system this machine mounts (containers may mount only pseudo ones).
  for (const m of parseMounts(readFileSync('/proc/mounts', 'utf8'))) {
    expect(text).toContain(`node_filesystem_size_bytes{device="${m.device}",mountpoint="${m.mountpoint}"`);
  }
  expect(value('node_network_receive_bytes_total')).toBeGreaterThanOrEqual(0);
});
