// Label-matcher regexes: Prometheus compiles `^(?s:RE)$` with Go's RE2. JavaScript's RegExp
// agrees with RE2 on the common syntax but not everywhere, so constructs where the two differ
// (or that RE2 refuses) are refused here rather than matched differently. Pure.

/** Why a construct at an offset of the regex is refused; null when JavaScript matches it as RE2 would. */
function unsupported(source: string): { at: number; what: string } | null {
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    const next = source[i + 1] ?? '';
    if (c === '\\') {
      // RE2 escapes that JavaScript lacks or reads otherwise: \pN \PN (Unicode classes), \Q…\E,
      // \A \z \C, \x{…}, octal and back-references (RE2 has none; JS reads \1 as one).
      if (/[pPQEAzC0-9]/.test(next)) return { at: i, what: `escape \\${next}` };
      if (next === 'x' && source[i + 2] === '{') return { at: i, what: 'escape \\x{…}' };
      if (next === 'k') return { at: i, what: 'escape \\k' };
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[' && next === ':') return { at: i, what: 'character class [:…:]' };
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      // A `]` first in a class is a literal in RE2 (and an empty class in JavaScript).
      if (next === ']' || (next === '^' && source[i + 2] === ']')) return { at: i, what: 'class starting with ]' };
      if (next === '^') i++;
      continue;
    }
    if (c === '(' && next === '?') {
      const rest = source.slice(i + 2);
      if (rest.startsWith(':')) continue;
      if (rest.startsWith('P<')) continue; // named group: rewritten as a plain group by toJs
      return { at: i, what: `group (?${rest.slice(0, 2)}` };
    }
    if (c === '{' && /^\{\s*,/.test(source.slice(i))) return { at: i, what: 'repetition {,n}' };
  }
  return null;
}

/** RE2 syntax JavaScript spells differently: named groups `(?P<name>…)` become plain groups. */
function toJs(source: string): string {
  return source.replace(/\(\?P<[A-Za-z_][A-Za-z0-9_]*>/g, '(');
}

/**
 * The anchored regex of a =~ or !~ matcher, or why not: `at` is the offset inside the regex.
 * Flag `s`: Prometheus matches `.` across newlines (`(?s:…)`).
 */
export function compileLabelRegex(
  source: string,
): { ok: true; re: RegExp } | { ok: false; at: number; message: string } {
  // A leading (?i), the usual way to match without case, is JavaScript's flag `i`.
  const insensitive = source.startsWith('(?i)');
  const body = insensitive ? source.slice(4) : source;
  const refused = unsupported(body);
  if (refused) {
    const at = refused.at + (insensitive ? 4 : 0);
    return { ok: false, at, message: `regex ${refused.what} is not supported` };
  }
  try {
    return { ok: true, re: new RegExp(`^(?:${toJs(body)})$`, insensitive ? 'si' : 's') };
  } catch (error) {
    return { ok: false, at: 0, message: `invalid regex: ${(error as Error).message}` };
  }
}
