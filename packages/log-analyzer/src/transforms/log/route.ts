// The `route` label: a request path made bounded. A configured template (`/users/{id}`) names
// the paths it matches; other paths keep their literal segments with ids replaced by `{id}`
// (numbers, UUIDs, long hex). The query string is dropped. Pure.

/** A template's segments: a literal, or null for a `{placeholder}` (one segment, anything). */
export type RouteTemplate = { text: string; segments: (string | null)[] };

export function compileTemplates(templates: readonly string[]): RouteTemplate[] {
  return templates.map((text) => ({
    text,
    segments: split(text).map((s) => (/^\{[^/{}]*\}$/.test(s) ? null : s)),
  }));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX = /^(?=[0-9a-f]*[0-9])[0-9a-f]{8,}$/i;
const NUMBER = /^\d+$/;

/** Whether one path segment is an id: digits, a UUID, or hex of 8 or more with a digit. */
export function isId(segment: string): boolean {
  return NUMBER.test(segment) || UUID.test(segment) || HEX.test(segment);
}

export function routeOf(path: string, templates: readonly RouteTemplate[]): string {
  let end = path.length;
  const query = path.search(/[?#]/);
  if (query >= 0) end = query;
  const segments = split(path.slice(0, end));
  for (const t of templates) {
    if (t.segments.length !== segments.length) continue;
    if (t.segments.every((s, i) => s === null || s === segments[i])) return t.text;
  }
  const normalised = segments.map((s) => (isId(s) ? '{id}' : s));
  return `/${normalised.join('/')}`;
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}
