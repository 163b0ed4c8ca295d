// Host stats in node_exporter's names, read from /proc, /sys and statfs at scrape time (nothing
// runs between scrapes). What is collected is chosen by the [system] settings.

import { readFileSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { Counter, Gauge, type Registry } from 'prom-client';
import {
  parseCgroupLimits,
  parseDiskstats,
  parseLoadavg,
  parseMeminfo,
  parseMounts,
  parseNetDev,
  parseStat,
} from './proc.js';

export interface SystemConfig {
  enabled: boolean;
  cpu: boolean;
  ram: boolean;
  disk: boolean;
  network: boolean;
  /** Where /proc and /sys are (tests point them at fixtures). */
  procRoot?: string;
  sysRoot?: string;
}

export function registerHostMetrics(registry: Registry, config: SystemConfig): void {
  if (!config.enabled) return;
  const registers = [registry];
  const proc = config.procRoot ?? '/proc';
  const sys = config.sysRoot ?? '/sys';
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return null;
    }
  };
  /** A counter set to the kernel's running totals at each scrape. */
  const totals = (name: string, help: string, labelNames: string[], rows: () => [Record<string, string>, number][]) =>
    new Counter({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const [labels, value] of rows()) this.inc(labels, value);
      },
    });
  if (config.cpu) {
    totals('node_cpu_seconds_total', 'Seconds the CPUs spent in each mode.', ['cpu', 'mode'], () =>
      parseStat(read(join(proc, 'stat')) ?? '').map((r) => [{ cpu: r.cpu, mode: r.mode }, r.seconds]),
    );
    for (const [i, minutes] of [1, 5, 15].entries()) {
      new Gauge({
        name: `node_load${minutes}`,
        help: `${minutes}m load average.`,
        registers,
        collect() {
          const load = parseLoadavg(read(join(proc, 'loadavg')) ?? '');
          if (load) this.set(load[i] as number);
        },
      });
    }
    new Gauge({
      name: 'container_spec_cpu_limit_cores',
      help: "This cgroup's CPU limit (cgroup v2 cpu.max), in cores; absent without one.",
      registers,
      collect() {
        this.reset();
        const { cpuCores } = parseCgroupLimits(null, read(join(sys, 'fs/cgroup/cpu.max')));
        if (cpuCores !== null) this.set(cpuCores);
      },
    });
  }
  if (config.ram) {
    // One gauge per meminfo field, as node_exporter has (MemTotal, MemAvailable, Cached, …).
    const fields = parseMeminfo(read(join(proc, 'meminfo')) ?? '');
    for (const name of fields.keys()) {
      new Gauge({
        name,
        help: `Memory information field ${name.slice(12).replace(/_bytes$/, '')}.`,
        registers,
        collect() {
          const now = parseMeminfo(read(join(proc, 'meminfo')) ?? '').get(name);
          if (now !== undefined) this.set(now);
        },
      });
    }
    new Gauge({
      name: 'container_spec_memory_limit_bytes',
      help: "This cgroup's memory limit (cgroup v2 memory.max); absent without one.",
      registers,
      collect() {
        this.reset();
        const { memoryBytes } = parseCgroupLimits(read(join(sys, 'fs/cgroup/memory.max')), null);
        if (memoryBytes !== null) this.set(memoryBytes);
      },
    });
  }
  if (config.disk) {
    const mounts = () => parseMounts(read(join(proc, 'mounts')) ?? '');
    const fs = (field: 'size' | 'avail' | 'free', help: string) =>
      new Gauge({
        name: `node_filesystem_${field}_bytes`,
        help,
        labelNames: ['device', 'mountpoint', 'fstype'],
        registers,
        collect() {
          this.reset();
          for (const m of mounts()) {
            let s: ReturnType<typeof statfsSync>;
            try {
              s = statfsSync(m.mountpoint);
            } catch {
              continue;
            }
            const blocks = field === 'size' ? s.blocks : field === 'avail' ? s.bavail : s.bfree;
            this.set({ device: m.device, mountpoint: m.mountpoint, fstype: m.fstype }, blocks * s.bsize);
          }
        },
      });
    fs('size', 'File system size in bytes.');
    fs('avail', 'File system space available to non-root users in bytes.');
    fs('free', 'File system free space in bytes.');
    const disks = () => parseDiskstats(read(join(proc, 'diskstats')) ?? '');
    totals('node_disk_read_bytes_total', 'Bytes read from the disk.', ['device'], () =>
      disks().map((d) => [{ device: d.device }, d.read]),
    );
    totals('node_disk_written_bytes_total', 'Bytes written to the disk.', ['device'], () =>
      disks().map((d) => [{ device: d.device }, d.written]),
    );
  }
  if (config.network) {
    const devices = () => parseNetDev(read(join(proc, 'net/dev')) ?? '');
    totals('node_network_receive_bytes_total', 'Bytes received by the interface.', ['device'], () =>
      devices().map((d) => [{ device: d.device }, d.received]),
    );
    totals('node_network_transmit_bytes_total', 'Bytes sent by the interface.', ['device'], () =>
      devices().map((d) => [{ device: d.device }, d.transmitted]),
    );
  }
}
