// An alert's label set and what is derived from it: the labels an alert instance carries (the
// sample's, the rule's expanded templates, alertname), its fingerprint as Alertmanager computes
// one, and the time formats of Prometheus' APIs. Pure.

import type { AlertRule } from './rule-file.js';

export type Labels = Readonly<Record<string, string>>;

/** Sorted by name: label sets compare and print one way. */
export function sortedLabels(labels: Labels): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(labels).sort()) out[name] = labels[name] as string;
  return out;
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;

/**
 * Alertmanager's fingerprint of a label set (model.LabelSet.Fingerprint): FNV-1a 64 over each
 * name and value, sorted by name, each followed by the byte 0xff; 16 hex digits.
 */
export function fingerprint(labels: Labels): string {
  let hash = FNV_OFFSET;
  const add = (bytes: Uint8Array) => {
    for (const b of bytes) hash = ((hash ^ BigInt(b)) * FNV_PRIME) & MASK;
  };
  const sep = new Uint8Array([0xff]);
  const encoder = new TextEncoder();
  for (const name of Object.keys(labels).sort()) {
    add(encoder.encode(name));
    add(sep);
    add(encoder.encode(labels[name] as string));
    add(sep);
  }
  return hash.toString(16).padStart(16, '0');
}

/**
 * An alert instance's labels and annotations from one sample: the sample's labels (without
 * __name__), the rule's labels expanded over them (and the value), then alertname. The templates
 * see the sample's labels, as in Prometheus.
 */
export function alertOf<E>(
  rule: AlertRule<E>,
  sample: { labels: Labels; value: number },
  external: { externalLabels: Labels; externalURL: string },
): { labels: Record<string, string>; annotations: Record<string, string> } {
  const { __name__: _, ...own } = sample.labels;
  const data = { labels: own, value: sample.value, ...external };
  const labels: Record<string, string> = { ...own };
  for (const [name, t] of Object.entries(rule.labels)) {
    const value = t.render(data);
    // An empty value removes the label (as Prometheus does).
    if (value === '') delete labels[name];
    else labels[name] = value;
  }
  labels.alertname = rule.name;
  const annotations: Record<string, string> = {};
  for (const [name, t] of Object.entries(rule.annotations)) annotations[name] = t.render(data);
  return { labels: sortedLabels(labels), annotations };
}

/** RFC 3339 with ms, as Prometheus' and Alertmanager's APIs write times; 0 is Go's zero time. */
export function apiTime(ms: number): string {
  return ms === 0 ? '0001-01-01T00:00:00Z' : new Date(ms).toISOString();
}

/** Go's strconv.FormatFloat(v, 'e', -1, 64): how the alerts API writes a value (`7.34e-02`). */
export function apiValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  const [mantissa, exp] = v.toExponential().split('e') as [string, string];
  const n = Number(exp);
  return `${mantissa}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
}

/** Prometheus' link to an expression, the alerts' generatorURL. */
export function generatorUrl(externalURL: string, expr: string): string {
  return `${externalURL.replace(/\/$/, '')}/graph?g0.expr=${encodeURIComponent(expr)}&g0.tab=1`;
}
