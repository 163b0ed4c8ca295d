// Pure: when most lines of a file fail to parse, which preset would have read them.

import { emptyParsedLine, parseLine } from './line-parser.js';
import { compileFormat, PRESETS, type PresetName } from './log-format.js';

/** The preset that parses the most of these lines (at least 90 % of them), other than the one used; null if none does. */
export function suggestFormat(lines: readonly Uint8Array[], used: string): PresetName | null {
  let best: { name: PresetName; parsed: number } | null = null;
  for (const name of Object.keys(PRESETS) as PresetName[]) {
    const plan = compileFormat(name);
    if (plan.source === compileFormat(used).source) continue;
    const out = emptyParsedLine();
    const parsed = lines.filter((line) => parseLine(line, 0, line.length, plan, out)).length;
    if (parsed >= lines.length * 0.9 && (!best || parsed > best.parsed)) best = { name, parsed };
  }
  return best?.name ?? null;
}
