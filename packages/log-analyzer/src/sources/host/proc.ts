// Pure parsers of the host's /proc files, in node_exporter's units: seconds, bytes.

/** Clock ticks per second of /proc/stat (USER_HZ: 100 on every Linux that matters). */
const USER_HZ = 100;
const CPU_MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

/** /proc/stat → seconds per cpu and mode (node_cpu_seconds_total). */
export function parseStat(text: string): { cpu: string; mode: string; seconds: number }[] {
  const out: { cpu: string; mode: string; seconds: number }[] = [];
  for (const line of text.split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const ticks = (m[2] as string).trim().split(/\s+/).map(Number);
    CPU_MODES.forEach((mode, i) => {
      const t = ticks[i];
      if (t !== undefined && Number.isFinite(t)) out.push({ cpu: m[1] as string, mode, seconds: t / USER_HZ });
    });
  }
  return out;
}

/** /proc/loadavg → [1, 5, 15] minute load averages. */
export function parseLoadavg(text: string): [number, number, number] | null {
  const [a, b, c] = text.trim().split(/\s+/).map(Number);
  return a !== undefined && b !== undefined && c !== undefined && [a, b, c].every(Number.isFinite) ? [a, b, c] : null;
}

/**
 * /proc/meminfo → node_exporter's names and values: node_memory_<Field>_bytes for the fields in kB
 * (in bytes), node_memory_<Field> for the counts (HugePages_Total, …).
 */
export function parseMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9_()]+):\s+(\d+)(\s+kB)?\s*$/.exec(line);
    if (!m) continue;
    const field = (m[1] as string).replace(/\((.*)\)/, '_$1');
    out.set(m[3] ? `node_memory_${field}_bytes` : `node_memory_${field}`, Number(m[2]) * (m[3] ? 1024 : 1));
  }
  return out;
}

/** Devices node_exporter leaves out of disk stats by default: RAM and loop disks, partitions. */
const IGNORED_DISKS = /^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$/;

/** /proc/diskstats → bytes read and written per device (sectors of 512 bytes). */
export function parseDiskstats(text: string): { device: string; read: number; written: number }[] {
  const out: { device: string; read: number; written: number }[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const device = f[2];
    if (f.length < 10 || device === undefined || IGNORED_DISKS.test(device)) continue;
    out.push({ device, read: Number(f[5]) * 512, written: Number(f[9]) * 512 });
  }
  return out;
}

/** /proc/net/dev → bytes received and sent per interface. */
export function parseNetDev(text: string): { device: string; received: number; transmitted: number }[] {
  const out: { device: string; received: number; transmitted: number }[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const f = (m[2] as string).trim().split(/\s+/).map(Number);
    if (f.length < 9) continue;
    out.push({ device: m[1] as string, received: f[0] as number, transmitted: f[8] as number });
  }
  return out;
}

/** File system types node_exporter leaves out by default (pseudo and read-only image file systems). */
const PSEUDO_FS =
  /^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$/;

/** /proc/mounts → the real file systems: device, mount point, type (octal escapes decoded). */
export function parseMounts(text: string): { device: string; mountpoint: string; fstype: string }[] {
  const decode = (s: string) =>
    s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
  const seen = new Set<string>();
  const out: { device: string; mountpoint: string; fstype: string }[] = [];
  for (const line of text.split('\n')) {
    const [device, mountpoint, fstype] = line.split(' ');
    if (!device || !mountpoint || !fstype || PSEUDO_FS.test(fstype)) continue;
    const point = decode(mountpoint);
    if (seen.has(point)) continue;
    seen.add(point);
    out.push({ device: decode(device), mountpoint: point, fstype });
  }
  return out;
}

/** cgroup v2 memory.max and cpu.max → the limits (null: none). */
export function parseCgroupLimits(
  memoryMax: string | null,
  cpuMax: string | null,
): { memoryBytes: number | null; cpuCores: number | null } {
  const memory = memoryMax?.trim();
  const [quota, period] = (cpuMax?.trim() ?? 'max').split(/\s+/);
  return {
    memoryBytes: memory && memory !== 'max' && /^\d+$/.test(memory) ? Number(memory) : null,
    cpuCores: quota && quota !== 'max' && period ? Number(quota) / Number(period) : null,
  };
}
