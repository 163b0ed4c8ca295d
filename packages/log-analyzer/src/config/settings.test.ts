// The settings table against what is derived from it and what documents it: the README's flag
// list (the usage block under "## log-analyzer") names every flag with its default, and no other.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { longFlag, type Setting, TABLE } from './settings.js';

/** The README's flag list: each flag and the word after it (its default or a placeholder), null for a switch. */
function readmeFlags(): Map<string, string | null> {
  const readme = readFileSync(join(import.meta.dirname, '../../../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## log-analyzer\n'));
  const block = /```\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  const flags = new Map<string, string | null>();
  for (const m of block.matchAll(/(?<=[[\s|])--([a-z][a-z-]*)(?: ([^\s\]]+))?/g)) {
    flags.set(m[1] as string, m[2] ?? null);
  }
  return flags;
}

/**
 * How the README shows a setting after its flag: null for a switch; its default as --help shows it
 * (`1s`, `combined`; a list's first item); or, with no fixed default, an upper-case placeholder.
 */
function readmeValue(setting: Setting): { switch: true } | { default: string } | { placeholder: true } {
  if (!setting.flags.includes('<')) return { switch: true };
  const d = setting.default;
  if (setting.varies || d === undefined || d === '' || (Array.isArray(d) && d.length === 0)) {
    return { placeholder: true };
  }
  return { default: setting.shown ?? (Array.isArray(d) ? String(d[0]) : String(d)) };
}

describe('the README flag list', () => {
  const readme = readmeFlags();
  const flags = TABLE.flatMap((s) => [longFlag(s), ...(s.off ? [longFlag(s.off)] : [])]);

  it('lists every flag of the table', () => {
    expect([]).toEqual(flags.filter((f) => !readme.has(f)));
  });

  it('lists no flag the table lacks', () => {
    expect([]).toEqual([...readme.keys()].filter((f) => !flags.includes(f)));
  });

  it.each(TABLE.map((s) => [longFlag(s), s] as const))('--%s with its default', (flag, setting) => {
    const shown = readme.get(flag);
    const want = readmeValue(setting);
    if ('switch' in want) expect(shown).toBeNull();
    else if ('placeholder' in want) expect(shown).toMatch(/^[A-Z]/);
    // A choice's alternatives follow its default: end|beginning.
    else expect(shown?.split('|')[0]).toBe(want.default);
    if (setting.off) expect(readme.get(longFlag(setting.off))).toBeNull();
  });
});

describe('the table', () => {
  it('has one entry per flag, config key and environment name', () => {
    const distinct = (values: (string | undefined)[]) => {
      const given = values.filter((v) => v !== undefined);
      return given.filter((v, i) => given.indexOf(v) !== i);
    };
    expect([]).toEqual(distinct(TABLE.map(longFlag)));
    expect([]).toEqual(distinct(TABLE.map((s) => s.key)));
    expect([]).toEqual(distinct(TABLE.flatMap((s) => (s.aliases ?? []).map((a) => a.name))));
  });

  it('parses every default it shows as text back to the default', () => {
    for (const setting of TABLE) {
      if (setting.shown === undefined || !setting.parse) continue;
      expect([setting.flags, setting.parse(setting.shown, undefined as never)]).toEqual([
        setting.flags,
        setting.default,
      ]);
    }
  });
});
