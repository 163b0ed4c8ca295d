// A request's query text, checked before Hono decodes it: Hono keeps a parameter whose
// percent-encoding is not UTF-8 (`%FF`) as its raw text, which would then match nothing in silence.

/** The first query parameter (its name) whose name or value is not percent-encoded UTF-8, or null. Pure. */
export function undecodableParameter(url: string): string | null {
  const at = url.indexOf('?');
  if (at < 0) return null;
  const end = url.indexOf('#', at);
  for (const part of url.slice(at + 1, end < 0 ? undefined : end).split('&')) {
    const eq = part.indexOf('=');
    let name: string;
    try {
      name = decodeURIComponent((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, ' '));
    } catch {
      return 'a parameter name';
    }
    try {
      decodeURIComponent((eq < 0 ? '' : part.slice(eq + 1)).replace(/\+/g, ' '));
    } catch {
      return name;
    }
  }
  return null;
}
