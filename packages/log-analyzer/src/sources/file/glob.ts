// Turns a --watch path or glob into the directory to watch and a matcher for file paths.
// Pure. chokidar 5 has no globs and Node 20 has no fs.glob, so we do it ourselves:
// `*` and `?` within one path segment, `**` across segments, `[ab]` / `[!ab]` classes.

import { isAbsolute, join, normalize, sep } from 'node:path';

export interface WatchPattern {
  /** As the user wrote it: also the prefix of the `file` label of what it matches. */
  pattern: string;
  /** The deepest directory without glob characters: what gets watched. */
  base: string;
  /** How many directory levels below base can match; Infinity with `**`. */
  depth: number;
  matches(path: string): boolean;
  /** Whether a directory (a path below base) may hold matches: the walk enters no other. */
  mayContain(dir: string): boolean;
}

const GLOB_CHARS = /[*?[]/;

function segmentToRegex(segment: string): string {
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i] as string;
    if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else if (ch === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close < 0) {
        out += '\\[';
        continue;
      }
      let body = segment.slice(i + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      out += `[${negate ? '^/' : ''}${body.replace(/[\\\]]/g, '\\$&')}]`;
      i = close;
    } else out += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return out;
}

/** `literal`: the pattern names a file that exists, glob characters and all (`x[1].log`). */
export function compileWatchPattern(pattern: string, literal = false): WatchPattern {
  const normalized = normalize(pattern).split(sep).join('/');
  const segments = normalized.split('/');
  const firstGlob = literal ? -1 : segments.findIndex((s) => GLOB_CHARS.test(s));
  if (firstGlob < 0) {
    // A plain path: exactly that file, watched through its directory.
    const base = normalize(join(normalized, '..'));
    return {
      pattern,
      base,
      depth: 0,
      matches: (path) => normalize(path) === normalize(normalized),
      mayContain: () => false,
    };
  }
  const baseSegments = segments.slice(0, firstGlob);
  const base = baseSegments.length === 0 ? '.' : baseSegments.join('/') || '/';
  const rest = segments.slice(firstGlob);
  const regex = rest
    .map((segment, i) => {
      if (segment !== '**') return segmentToRegex(segment) + (i < rest.length - 1 ? '/' : '');
      return i < rest.length - 1 ? '(?:[^/]+/)*' : '.*';
    })
    .join('');
  const matcher = new RegExp(`^${regex}$`);
  const depth = rest.includes('**') ? Number.POSITIVE_INFINITY : rest.length - 1;
  const prefix = normalize(base);
  const segmentMatchers = rest.map((segment) => (segment === '**' ? null : new RegExp(`^${segmentToRegex(segment)}$`)));
  const relativeTo = (path: string): string | null => {
    const p = normalize(path).split(sep).join('/');
    if (prefix === '/' && p.startsWith('/')) return p.slice(1);
    return prefix === '.' && !isAbsolute(p) ? p : p.startsWith(`${prefix}/`) ? p.slice(prefix.length + 1) : null;
  };
  return {
    pattern,
    base: prefix,
    depth,
    matches(path) {
      const relative = relativeTo(path);
      return relative !== null && matcher.test(relative);
    },
    mayContain(dir) {
      const relative = relativeTo(dir);
      if (relative === null) return false;
      const parts = relative.split('/');
      // Each directory level must match its segment, until a `**` (which takes any depth).
      for (let i = 0; i < parts.length; i++) {
        const segment = segmentMatchers[i];
        if (segment === null) return true;
        // The last segment names files: a directory at that level holds no matches.
        if (segment === undefined || i >= segmentMatchers.length - 1 || !segment.test(parts[i] as string)) return false;
      }
      return true;
    },
  };
}
