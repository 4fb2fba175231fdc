// IP addresses as the api reads them from sockets and from the operator's configuration.
import { isIP } from 'node:net';

/** `::ffff:10.0.0.1` → `10.0.0.1`; anything else as given (trimmed). */
export function normaliseAddress(address: string): string {
  const a = address.trim();
  return a.toLowerCase().startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

/** One address or CIDR (`10.0.0.0/8`, `fd00::/8`, `127.0.0.1`): its problem, or null when valid. */
export function trustedProxyProblem(entry: string): string | null {
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return `'${entry}' is not an IP address or CIDR`;
  if (prefix === undefined) return null;
  const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : -1;
  return bits >= 0 && bits <= (family === 4 ? 32 : 128) ? null : `'${entry}' has no valid prefix length`;
}
