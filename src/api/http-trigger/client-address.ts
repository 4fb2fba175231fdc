// Who is calling, by address: what a public function's rate limit counts and an invocation
// records. The socket's peer by default. X-Forwarded-For is anyone's to write, so it is read only
// when the peer is a proxy the operator trusts (CAISSON_TRUSTED_PROXIES), and then from the right:
// each trusted proxy appends the address it saw, so the rightmost entry that is not a trusted
// proxy is the client; entries to its left are the client's own claims and are ignored.
import { BlockList, isIP } from 'node:net';
import { normaliseAddress, trustedProxyProblem } from '../../shared/addresses.js';

export interface TrustedProxies {
  /** Whether this (normalised) address is a trusted proxy. */
  has(address: string): boolean;
  readonly none: boolean;
}

/** Hops of X-Forwarded-For looked at, at most (a header of thousands costs no more). */
const MAX_HOPS = 32;

/** The trusted proxies of a list of addresses and CIDRs (each already valid: trustedProxyProblem). */
export function trustedProxies(entries: readonly string[]): TrustedProxies {
  const list = new BlockList();
  for (const entry of entries) {
    const problem = trustedProxyProblem(entry);
    if (problem) throw new Error(`CAISSON_TRUSTED_PROXIES: ${problem}`);
    const [given = '', prefix] = entry.split('/');
    // A single IPv4-mapped address is the IPv4 address peers are normalised to.
    const address = prefix === undefined ? normaliseAddress(given) : given;
    const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return {
    none: entries.length === 0,
    has(address) {
      const family = isIP(address);
      return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

/** The caller's address: the socket peer, or, behind trusted proxies, the client they saw. */
export function clientAddress(input: { peer: string | undefined; forwardedFor: string | string[] | undefined }, trusted: TrustedProxies): string {
  let client = normaliseAddress(input.peer ?? '');
  if (trusted.none || !trusted.has(client) || input.forwardedFor === undefined) return client;
  const hops = (Array.isArray(input.forwardedFor) ? input.forwardedFor.join(',') : input.forwardedFor).split(',');
  for (let i = hops.length - 1, seen = 0; i >= 0 && seen < MAX_HOPS; i--, seen++) {
    const hop = normaliseAddress(hops[i] ?? '');
    // A trusted proxy writes addresses: anything else was written by someone untrusted, so the
    // last address a trusted proxy vouched for stands.
    if (isIP(hop) === 0) return client;
    client = hop;
    if (!trusted.has(hop)) return client;
  }
  return client;
}
