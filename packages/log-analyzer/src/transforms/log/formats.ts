// Every format a file can be read with, by its text: an Apache LogFormat or an nginx log_format
// (log-format.ts, either syntax, or a preset), or a JSON mapping (json-format.ts). Pure. The text is
// what crosses to the parse threads (a ParseTask's `format`); each thread compiles it once.
// A new kind of format is one more case here and in the worker's summarizerFor.

import { compileJsonFormat, isJsonFormat, JSON_PRESETS, jsonLineParser } from './json-format.js';
import type { LineParser } from './line-parser.js';
import { lineParser } from './line-parser.js';
import { APP_FORMAT, compileFormat, FormatError, PRESETS } from './log-format.js';

export interface CompiledFormat {
  /** `app`: application logs counted by level (app-summarize.ts); `parse` reads no line then. */
  readonly kind: 'line' | 'json' | 'app';
  /** The canonical text: a preset resolved to its format string; the same text compiles the same. */
  readonly source: string;
  readonly parse: LineParser;
  /** Lines carry a request duration (the histogram is served). */
  readonly duration: boolean;
  /** Lines carry an upstream time (nginx $upstream_response_time, a mapped JSON field). */
  readonly upstream: boolean;
}

/** Every preset name a `--format` takes, line formats first. */
export const FORMAT_NAMES: readonly string[] = [...Object.keys(PRESETS), ...Object.keys(JSON_PRESETS), APP_FORMAT];

/**
 * Compiles any format's text; throws FormatError naming what is wrong. `withPath` (--route-label):
 * the parser also finds each line's request path (ParsedLine.pathStart/pathEnd).
 */
export function compileAnyFormat(text: string, withPath = false): CompiledFormat {
  if (text === APP_FORMAT)
    return { kind: 'app', source: APP_FORMAT, parse: () => false, duration: false, upstream: false };
  if (isJsonFormat(text)) {
    let plan: ReturnType<typeof compileJsonFormat>;
    try {
      plan = compileJsonFormat(text);
    } catch (error) {
      throw new FormatError((error as Error).message);
    }
    return {
      kind: 'json',
      source: plan.source,
      parse: jsonLineParser(plan, withPath),
      duration: plan.mapping.duration !== undefined,
      upstream: plan.mapping.upstream !== undefined,
    };
  }
  const plan = compileFormat(text);
  return {
    kind: 'line',
    source: plan.source,
    parse: lineParser(plan, withPath),
    duration: plan.durationField !== null,
    upstream: plan.upstream === true,
  };
}

/** The preset a format's text is (for messages), or the text itself. */
export function formatName(source: string): string {
  return Object.entries(PRESETS).find(([, s]) => s === source)?.[0] ?? source;
}
