// The log families (what the lines say) in the store, and how one worker's ChunkSummary folds
// into them: one add per label set, never per line. A [[files]] entry's own labels (service="web")
// are extra label names of every log family, after the family's own; files without them hold "".

import { type ErrorReason, type FamilySpec, LOG_FAMILIES } from '../metrics/catalog.js';
import { METHODS } from '../metrics/methods.js';
import type { AppFamilies } from './app-families.js';
import type { ChunkSummary } from './chunk-summary.js';
import type { LabelLimits } from './label-limits.js';
import type { Family, Store } from './store.js';

export interface LogFamilies {
  lines: Family;
  errors: Family;
  requests: Family;
  responseBytes: Family;
  /** Present only when the format logs a duration (%D or %T). */
  duration: Family | null;
  /** Present once a format logs an upstream time (nginx $upstream_response_time). */
  upstream?: Family | null;
  /** Application logs by level and the user rules' families, when either is configured. */
  app?: AppFamilies | null;
  /** The extra label names (sorted; empty: none) and a file's values for them, in that order. */
  extra: FileLabelNames;
  /**
   * --route-label: requests and response bytes carry `route` (after `status`), its values bounded
   * (label-limits.ts: the first N kept, the rest `other`, folds counted). Null: no route label.
   */
  routes?: LabelLimits | null;
}

/** Where `route` sits in the request families' labels when --route-label is on. */
const ROUTE_AT = [3];

/** The request families' specs: `route` after status when --route-label is on. */
export function requestSpec(spec: FamilySpec, routed: boolean): FamilySpec {
  return routed ? { ...spec, labelNames: [...spec.labelNames, 'route'] } : spec;
}

/** The [[files]] entries' label names, and which values a file takes ("" where its entry has none). */
export interface FileLabelNames {
  names: readonly string[];
  valuesOf(file: string): string[];
}

export const NO_FILE_LABELS: FileLabelNames = { names: [], valuesOf: () => [] };

/** A log family's spec with the extra label names after its own. */
export function withFileLabels(spec: FamilySpec, names: readonly string[]): FamilySpec {
  return names.length === 0 ? spec : { ...spec, labelNames: [...spec.labelNames, ...names] };
}

export function logFamilies(
  store: Store,
  withDuration: boolean,
  extra: FileLabelNames = NO_FILE_LABELS,
  routes: LabelLimits | null = null,
): LogFamilies {
  const family = (spec: FamilySpec) => store.family(withFileLabels(spec, extra.names));
  return {
    lines: family(LOG_FAMILIES.lines),
    errors: family(LOG_FAMILIES.errors),
    requests: family(requestSpec(LOG_FAMILIES.requests, routes !== null)),
    responseBytes: family(requestSpec(LOG_FAMILIES.responseBytes, routes !== null)),
    duration: withDuration ? family(LOG_FAMILIES.duration) : null,
    extra,
    routes,
  };
}

/** Label values, then the file's extra values (the same array when there are none: the default path). */
function labelled(values: string[], extra: readonly string[]): string[] {
  return extra.length === 0 ? values : [...values, ...extra];
}

export function mergeSummary(families: LogFamilies, file: string, summary: ChunkSummary): void {
  const extra = families.extra.valuesOf(file);
  if (summary.lines > 0) families.lines.inc(labelled([file], extra), summary.lines);
  const errors: [ErrorReason, number][] = [
    ['parse_failure', summary.parseFailures],
    ['line_too_long', summary.tooLong],
    ['worker_failure', summary.workerFailures ?? 0],
  ];
  for (const [reason, n] of errors) if (n > 0) families.errors.inc(labelled([file, reason], extra), n);
  const { routes } = families;
  for (const r of summary.requests) {
    let values = [file, METHODS[r.method] ?? 'OTHER', String(r.status)];
    if (routes) {
      values.push(r.route ?? '');
      // Bounded once for both families: the bytes follow the requests' verdict (one fold counted).
      values = routes.bound(families.requests, values, ROUTE_AT, r.count);
    }
    const labels = labelled(values, extra);
    families.requests.inc(labels, r.count);
    families.responseBytes.inc(labels, r.bytes);
  }
  if (families.duration) {
    for (const d of summary.durations) {
      families.duration.observe(labelled([file, METHODS[d.method] ?? 'OTHER'], extra), d.buckets, d.sum, d.count);
    }
  }
  if (families.upstream) {
    for (const d of summary.upstream ?? []) {
      families.upstream.observe(labelled([file, METHODS[d.method] ?? 'OTHER'], extra), d.buckets, d.sum, d.count);
    }
  }
  families.app?.merge(file, summary, extra);
}

/** Zero series for a new file, so rate() over a quiet file says 0 instead of nothing. */
export function initFileSeries(families: LogFamilies, file: string): void {
  const extra = families.extra.valuesOf(file);
  families.lines.inc(labelled([file], extra), 0);
  for (const reason of ['parse_failure', 'line_too_long'] as const)
    families.errors.inc(labelled([file, reason], extra), 0);
  families.app?.initFile(file, extra);
}

/** Label names a [[files]] entry may not add: the log families' own, and Prometheus' reserved ones. */
const TAKEN = new Set(['file', 'reason', 'method', 'status', 'le', 'level', 'route', 'quantile', 'job', 'instance']);
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Longest value a [[files]] label takes (bytes of UTF-8): labels are for naming, not for text. */
export const MAX_FILE_LABEL_VALUE = 256;
export const MAX_FILE_LABELS = 16;

/** Why a [[files]] entry's labels are refused (`labels.NAME: why`), or null. Pure. */
export function fileLabelsProblem(labels: Record<string, unknown>): string | null {
  const entries = Object.entries(labels);
  if (entries.length > MAX_FILE_LABELS) return `labels: at most ${MAX_FILE_LABELS} labels`;
  for (const [name, value] of entries) {
    if (!LABEL_NAME.test(name) || name.startsWith('__'))
      return `labels.${name}: not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)`;
    if (TAKEN.has(name)) return `labels.${name}: taken by the log families or Prometheus (${[...TAKEN].join(', ')})`;
    if (typeof value !== 'string') return `labels.${name}: expected a string`;
    if (value === '') return `labels.${name}: expected a value (an empty value is no label)`;
    if (Buffer.byteLength(value) > MAX_FILE_LABEL_VALUE)
      return `labels.${name}: longer than ${MAX_FILE_LABEL_VALUE} bytes`;
    if (value.includes('\u0000')) return `labels.${name}: holds a NUL`;
  }
  return null;
}
