// Reads the rule files --rules and [alerts] rules name: a path, or a glob (`*`, `?`, `[ab]` within
// a path segment, as Prometheus' rule_files take them), each match sorted. A path that does not
// exist is refused (one line); a glob matching nothing is no file.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_RULE_FILE_BYTES, RuleFileError } from './rule-file.js';

const GLOB = /[*?[]/;

function segmentMatcher(segment: string): RegExp {
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i] as string;
    if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else if (ch === '[' && segment.indexOf(']', i + 2) > 0) {
      const close = segment.indexOf(']', i + 2);
      const body = segment.slice(i + 1, close);
      out += body.startsWith('!') || body.startsWith('^') ? `[^${body.slice(1)}]` : `[${body}]`;
      i = close;
    } else out += ch.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** The paths a pattern names, sorted (a plain path: itself). */
export function expandPattern(pattern: string): string[] {
  if (!GLOB.test(pattern)) return [pattern];
  const segments = pattern.split('/');
  let paths = [pattern.startsWith('/') ? '/' : '.'];
  segments.forEach((segment, i) => {
    if (segment === '' && i === 0) return;
    if (!GLOB.test(segment)) {
      paths = paths.map((p) => (i === 0 && p === '.' ? segment : join(p, segment)));
      return;
    }
    const re = segmentMatcher(segment);
    paths = paths.flatMap((dir) => {
      try {
        return readdirSync(dir)
          .filter((name) => re.test(name) && !name.startsWith('.'))
          .sort()
          .map((name) => join(dir, name));
      } catch {
        return [];
      }
    });
  });
  return paths.filter((p) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  });
}

/** Every rule file's text; throws a RuleFileError of one line for a file that cannot be read or is too large. */
export function readRuleFiles(patterns: readonly string[]): { file: string; text: string }[] {
  const files = [...new Set(patterns.flatMap(expandPattern))];
  return files.map((file) => {
    try {
      const size = statSync(file).size;
      if (size > MAX_RULE_FILE_BYTES) {
        throw new RuleFileError(`${file}: ${size} bytes, more than the ${MAX_RULE_FILE_BYTES} a rule file may hold`);
      }
      return { file, text: readFileSync(file, 'utf8') };
    } catch (error) {
      if (error instanceof RuleFileError) throw error;
      const e = error as NodeJS.ErrnoException;
      throw new RuleFileError(`--rules: cannot read ${file}: ${e.code ?? e.message}`);
    }
  });
}
