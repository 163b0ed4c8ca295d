// GET /metrics' query, checked: `format` (prometheus, openmetrics, json), `aggregated=true` with
// `aggregation_types` (avg, sum, min, max, count) over `window_seconds`. Pure: a verdict, or why
// not in a sentence that names the parameter (the answer is a 400).

export const EXPORT_FORMATS = ['prometheus', 'openmetrics', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const AGGREGATION_TYPES = ['avg', 'sum', 'min', 'max', 'count'] as const;
export type AggregationType = (typeof AGGREGATION_TYPES)[number];

export interface AggregationDefaults {
  /** `[aggregation] aggregation_types`. */
  types: readonly AggregationType[];
  /** `[aggregation] window_seconds`. */
  windowSeconds: number;
  /** The history's step (the shortest window that holds a point) and what it keeps (the longest). */
  minWindowSeconds: number;
  maxWindowSeconds: number;
}

export interface ExportQuery {
  /** Undefined: the Accept header decides (Prometheus text unless it asks for OpenMetrics). */
  format: ExportFormat | undefined;
  aggregated: { types: AggregationType[]; windowSeconds: number } | null;
}

export interface ExportParams {
  format?: string | undefined;
  aggregated?: string | undefined;
  aggregation_types?: string | undefined;
  window_seconds?: string | undefined;
}

/** A client's text in a message: short, and quoted. */
const shown = (text: string) => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);

export function exportQuery(params: ExportParams, defaults: AggregationDefaults): ExportQuery | { error: string } {
  const { format, aggregated } = params;
  if (format !== undefined && !(EXPORT_FORMATS as readonly string[]).includes(format)) {
    return { error: `unknown format ${shown(format)} (${EXPORT_FORMATS.join(', ')})` };
  }
  if (aggregated !== undefined && aggregated !== 'true' && aggregated !== 'false') {
    return { error: `aggregated must be true or false, not ${shown(aggregated)}` };
  }
  let types = [...defaults.types];
  const typesText = params.aggregation_types;
  if (typesText !== undefined) {
    const asked = typesText.split(',').map((t) => t.trim());
    // Each type at most once: a longer list is refused before it is looked at.
    if (asked.length > AGGREGATION_TYPES.length) {
      return { error: `aggregation_types has ${asked.length} entries, at most ${AGGREGATION_TYPES.length}` };
    }
    const unknown = asked.find((t) => !(AGGREGATION_TYPES as readonly string[]).includes(t));
    if (unknown !== undefined) {
      return { error: `aggregation_types: unknown ${shown(unknown)} (${AGGREGATION_TYPES.join(', ')})` };
    }
    if (new Set(asked).size !== asked.length) return { error: 'aggregation_types names a type twice' };
    types = asked as AggregationType[];
  }
  let windowSeconds = defaults.windowSeconds;
  const windowText = params.window_seconds;
  if (windowText !== undefined) {
    const { minWindowSeconds: min, maxWindowSeconds: max } = defaults;
    windowSeconds = /^\d+(\.\d+)?$/.test(windowText) ? Number(windowText) : Number.NaN;
    if (!(windowSeconds >= min && windowSeconds <= max)) {
      return { error: `window_seconds must be a number from ${min} to ${max} (the history's step and what it keeps)` };
    }
  }
  return {
    format: format as ExportFormat | undefined,
    aggregated: aggregated === 'true' ? { types, windowSeconds } : null,
  };
}

/**
 * The [aggregation] settings over the history's sizes: a window from one step to what the rollups
 * keep; the default window brought within them (a short --history-rollup-window).
 */
export function aggregationBounds(
  settings: { types: readonly string[]; windowSeconds: number },
  history: { stepMs: number; rollupWindowMs: number },
): AggregationDefaults {
  const minWindowSeconds = history.stepMs / 1000;
  const maxWindowSeconds = history.rollupWindowMs / 1000;
  return {
    types: settings.types.filter((t): t is AggregationType => (AGGREGATION_TYPES as readonly string[]).includes(t)),
    windowSeconds: Math.min(maxWindowSeconds, Math.max(minWindowSeconds, settings.windowSeconds)),
    minWindowSeconds,
    maxWindowSeconds,
  };
}
