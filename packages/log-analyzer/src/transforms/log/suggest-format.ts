// Pure: when most lines of a file fail to parse, which preset would have read them (any kind:
// Apache, nginx, JSON).

import { compileAnyFormat, FORMAT_NAMES } from './formats.js';
import { emptyParsedLine } from './line-parser.js';

/** The preset that parses the most of these lines (at least 90 % of them), other than the one used; null if none does. */
export function suggestFormat(lines: readonly Uint8Array[], used: string): string | null {
  if (lines.length === 0) return null;
  let usedSource: string | null = null;
  try {
    usedSource = compileAnyFormat(used).source;
  } catch {
    // An unreadable format text: every preset is a candidate.
  }
  let best: { name: string; parsed: number } | null = null;
  for (const name of FORMAT_NAMES) {
    const format = compileAnyFormat(name);
    if (format.source === usedSource) continue;
    const out = emptyParsedLine();
    const parsed = lines.filter((line) => format.parse(line, 0, line.length, out)).length;
    if (parsed >= lines.length * 0.9 && (!best || parsed > best.parsed)) best = { name, parsed };
  }
  return best?.name ?? null;
}
