// Numbers and durations as Prometheus (Go) writes and reads them, so a rule file and its
// templates mean here what they mean to Prometheus: `1h30m` durations, `{{ $value }}` printed as
// Go's %v prints a float64, and the humanize functions of Prometheus' template package. Pure.

/** A Prometheus duration: `1y2w3d4h5m6s7ms` (units in that order, each once), or `0`. In ms; null if not one. */
export function parsePromDuration(text: string): number | null {
  if (text === '0') return 0;
  const m = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(text);
  if (!m || text === '') return null;
  const units = [365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1];
  let ms = 0;
  units.forEach((unit, i) => {
    ms += Number(m[i + 1] ?? 0) * unit;
  });
  return Number.isSafeInteger(ms) ? ms : null;
}

/** A duration in ms as Prometheus writes one (`1m30s`, `0s`). */
export function formatPromDuration(ms: number): string {
  if (ms === 0) return '0s';
  const units: [string, number][] = [
    ['y', 365 * 86_400_000],
    ['w', 7 * 86_400_000],
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ];
  let out = '';
  let left = ms;
  for (const [unit, size] of units) {
    const n = Math.floor(left / size);
    if (n > 0) out += `${n}${unit}`;
    left -= n * size;
  }
  return out;
}

/** Go's exponent: `e+06`, `e-07` (at least two digits). */
function goExponent(exp: number): string {
  return `e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

function nonFinite(v: number): string | null {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return null;
}

/** Go's `%.4g`: four significant digits, trailing zeros dropped, %e below 1e-4 or from 1e4. */
export function goG4(v: number): string {
  const special = nonFinite(v);
  if (special) return special;
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [mantissa, expText] = v.toExponential(3).split('e') as [string, string];
  const exp = Number(expText);
  const trim = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (exp < -4 || exp >= 4) return `${trim(mantissa)}${goExponent(exp)}`;
  return trim(v.toFixed(Math.max(0, 3 - exp)));
}

/** Go's `%v` of a float64 (what `{{ $value }}` prints): shortest digits, %e below 1e-4 or from 1e6 (Go's shortest %g). */
export function goFloat(v: number): string {
  const special = nonFinite(v);
  if (special) return special;
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [mantissa, expText] = v.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) return `${mantissa}${goExponent(exp)}`;
  return String(v);
}

const BIG = ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'];
const SMALL = ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y'];

/** Prometheus' `humanize`: 1234 → 1.234k, 0.0012 → 1.2m. */
export function humanize(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return goG4(v);
  let prefix = '';
  let x = v;
  if (Math.abs(x) >= 1) {
    for (const p of BIG) {
      if (Math.abs(x) < 1000) break;
      prefix = p;
      x /= 1000;
    }
    return `${goG4(x)}${prefix}`;
  }
  for (const p of SMALL) {
    if (Math.abs(x) >= 1) break;
    prefix = p;
    x *= 1000;
  }
  return `${goG4(x)}${prefix}`;
}

/** Prometheus' `humanizePercentage`: 0.0523 → 5.23%. */
export function humanizePercentage(v: number): string {
  return `${goG4(v * 100)}%`;
}

/** Prometheus' `humanizeDuration` (seconds): 90 → 1m 30s, 0.25 → 250ms. */
export function humanizeDuration(v: number): string {
  if (!Number.isFinite(v)) return goG4(v);
  if (v === 0) return `${goG4(v)}s`;
  if (Math.abs(v) >= 1) {
    const sign = v < 0 ? '-' : '';
    const whole = Math.trunc(Math.abs(v));
    const seconds = whole % 60;
    const minutes = Math.floor(whole / 60) % 60;
    const hours = Math.floor(whole / 3600) % 24;
    const days = Math.floor(whole / 86_400);
    if (days !== 0) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours !== 0) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes !== 0) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${goG4(Math.abs(v))}s`;
  }
  let prefix = '';
  let x = v;
  for (const p of SMALL) {
    if (Math.abs(x) >= 1) break;
    prefix = p;
    x *= 1000;
  }
  return `${goG4(x)}${prefix}s`;
}
