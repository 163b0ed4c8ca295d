// Label-matcher regexes: Prometheus compiles `^(?s:RE)$` with Go's RE2. JavaScript's RegExp (in
// Unicode mode, which matches by code point as RE2 does) agrees with RE2 on the common syntax;
// where the two spell a thing differently it is translated here, and where they differ or RE2
// would refuse it the regex is refused, never matched differently. Pure.

/** Characters RE2 lets a backslash make literal but JavaScript's Unicode mode does not: written as \xHH. */
const PUNCTUATION = /[!-/:-@[-`{-~]/;
/** RE2's \s is ASCII only: [\t\n\f\r ]. */
const SPACE = '\\t\\n\\f\\r ';

type Translation = { ok: true; source: string } | { ok: false; at: number; what: string };

/** RE2 syntax → the same regex for JavaScript's Unicode mode, or the offset of what is refused. */
function translate(source: string): Translation {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    const next = source[i + 1] ?? '';
    if (c === '\\') {
      // RE2 escapes JavaScript lacks or reads otherwise: \pN (Unicode classes), \Q…\E, \A \z \C,
      // octal and back-references (RE2 has none; JavaScript reads \1 as one), \k.
      if (/[pPQEAzCk0-9]/.test(next)) return { ok: false, at: i, what: `escape \\${next}` };
      if (next === 'x' && source[i + 2] === '{') {
        const end = source.indexOf('}', i);
        if (end < 0) return { ok: false, at: i, what: 'escape \\x{' };
        out += `\\u{${source.slice(i + 3, end)}}`;
        i = end;
        continue;
      }
      if (next === 's' || next === 'S') {
        if (inClass && next === 'S') return { ok: false, at: i, what: 'escape \\S in a class' };
        out += inClass ? SPACE : next === 's' ? `[${SPACE}]` : `[^${SPACE}]`;
        i++;
        continue;
      }
      if (PUNCTUATION.test(next)) {
        out += `\\x${next.charCodeAt(0).toString(16).padStart(2, '0')}`;
        i++;
        continue;
      }
      out += c + next;
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[' && next === ':') return { ok: false, at: i, what: 'character class [:…:]' };
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      // A `]` first in a class is a literal in RE2 (and an empty class in JavaScript).
      if (next === ']' || (next === '^' && source[i + 2] === ']'))
        return { ok: false, at: i, what: 'class starting with ]' };
      out += c;
      if (next === '^') {
        out += next;
        i++;
      }
      continue;
    }
    if (c === '(' && next === '?') {
      const rest = source.slice(i + 2);
      if (rest.startsWith(':')) {
        out += c;
        continue;
      }
      // A named group: a plain group (JavaScript's names are spelt (?<n>), and nothing reads them).
      const named = /^P?<[A-Za-z_][A-Za-z0-9_]*>/.exec(rest);
      if (named) {
        out += '(';
        i += 1 + named[0].length;
        continue;
      }
      return { ok: false, at: i, what: `group (?${rest.slice(0, 2)}` };
    }
    out += c;
  }
  return { ok: true, source: out };
}

/**
 * The anchored regex of a =~ or !~ matcher, or why not: `at` is the offset inside the regex.
 * Flag `s`: Prometheus matches `.` across newlines (`(?s:…)`); a leading `(?i)` is flag `i`.
 */
export function compileLabelRegex(
  source: string,
): { ok: true; re: RegExp } | { ok: false; at: number; message: string } {
  const insensitive = source.startsWith('(?i)');
  const body = insensitive ? source.slice(4) : source;
  const translated = translate(body);
  if (!translated.ok) {
    const at = translated.at + (insensitive ? 4 : 0);
    return { ok: false, at, message: `regex ${translated.what} is not supported` };
  }
  try {
    return { ok: true, re: new RegExp(`^(?:${translated.source})$`, insensitive ? 'sui' : 'su') };
  } catch (error) {
    return { ok: false, at: 0, message: `regex not supported: ${(error as Error).message}` };
  }
}
