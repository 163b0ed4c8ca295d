// Which Host headers are answered, against DNS rebinding: a page on a name the attacker controls,
// re-pointed at this address, sends that name as Host. An IP address or localhost cannot be
// re-pointed, so they are always answered; other names are answered when --allowed-hosts lists
// them, or, without that list, unless the server is bound to loopback only. Pure.

/** The host name of a Host header (no port, no brackets, lower case, no final dot). */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  const name = h.startsWith('[') ? h.slice(1, h.indexOf(']') < 0 ? undefined : h.indexOf(']')) : h.replace(/:\d*$/, '');
  return name.replace(/\.$/, '');
}

const IPV4 = /^(\d{1,3})(\.\d{1,3}){3}$/;
const isIp = (name: string) => IPV4.test(name) || name.includes(':');

/** Whether an address to bind is loopback only (127.0.0.0/8, ::1, localhost). */
export function isLoopback(bind: string): boolean {
  const b = hostName(bind);
  return b === 'localhost' || b === '::1' || /^(::ffff:)?127\./.test(b);
}

/**
 * Whether a request with this Host header is answered, when bound to `bind` with these
 * --allowed-hosts (exact names, or `*.example.com` for its subdomains). A request without one
 * (HTTP/1.0, not a browser) is.
 */
export function hostAllowed(header: string | undefined, bind: string, allowed: readonly string[]): boolean {
  if (header === undefined || header.trim() === '') return true;
  const name = hostName(header);
  if (isIp(name) || name === 'localhost') return true;
  if (allowed.length === 0) return !isLoopback(bind);
  return allowed.some((a) => {
    const entry = a.trim().toLowerCase().replace(/\.$/, '');
    return entry.startsWith('*.') ? name.endsWith(entry.slice(1)) : name === entry;
  });
}
