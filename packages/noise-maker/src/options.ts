// Parsing of the command line's values: durations, sizes, rates. Pure; errors are one-line messages.

export class UsageError extends Error {
  override name = 'UsageError';
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** `30s`, `5m`, `1h`, `250ms`, or bare seconds. */
export function parseDuration(value: string): number {
  const m = DURATION.exec(value.trim());
  if (!m) throw new UsageError(`not a duration: "${value}" (use e.g. 30s, 5m, 1h, 250ms)`);
  const seconds = Number(m[1]) * (UNIT_SECONDS[m[2] ?? 's'] as number);
  if (seconds <= 0) throw new UsageError(`a duration must be above zero: "${value}"`);
  return seconds;
}

/** A positive number of lines per second, or `max`. */
export function parseRate(value: string): number | 'max' {
  if (value === 'max') return 'max';
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || value.trim() === '') {
    throw new UsageError(`--rate must be a number of lines per second above zero, or "max": "${value}"`);
  }
  return n;
}

const SIZE = /^(\d+)\s*(B|KB|KiB|MB|MiB|GB|GiB|K|M|G)$/i;
const SIZE_UNITS: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/** `100000` (lines) or `10MB` (bytes, powers of 1024 as logrotate counts them). */
export function parseRotateEvery(value: string): { lines: number | null; bytes: number | null } {
  if (/^\d+$/.test(value) && Number(value) > 0) return { lines: Number(value), bytes: null };
  const m = SIZE.exec(value.trim());
  if (m && Number(m[1]) > 0) {
    return { lines: null, bytes: Number(m[1]) * (SIZE_UNITS[(m[2] as string).toLowerCase()] as number) };
  }
  throw new UsageError(`--rotate-every takes a line count (100000) or a size (10MB): "${value}"`);
}

export function parseFraction(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
      throw new UsageError(`${flag} must be between 0 and 1: "${value}"`);
    }
    return n;
  };
}

export function parseWhole(flag: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min)
      throw new UsageError(`${flag} must be a whole number ≥ ${min}: "${value}"`);
    return n;
  };
}

export function parsePort(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < 1 || n > 65535)
      throw new UsageError(`${flag} must be a port from 1 to 65535: "${value}"`);
    return n;
  };
}

export function parsePositive(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
      throw new UsageError(`${flag} must be above zero: "${value}"`);
    return n;
  };
}

export function parseStartTime(value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new UsageError(`--start-time must be an ISO date and time, e.g. 2026-01-01T00:00:00Z: "${value}"`);
  return ms;
}
