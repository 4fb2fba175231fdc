// DNS rebinding defence: a browser tricked into sending requests to 127.0.0.1 under an
// attacker's name still sends that name in Host, so only the api's own names are answered.
import { ALL_NAMESPACES } from '../shared/roles.js';

export type HostVerdict = 'ok' | 'missing' | 'misdirected';

/** 127.0.0.1, localhost and [::1] with the api's port, plus the host of the api's public URL. */
export function defaultAllowedHosts(port: number, apiUrl: string): string[] {
  const local = ['127.0.0.1', 'localhost', '[::1]'];
  const hosts = local.map((h) => `${h}:${port}`);
  // A client omits the default port from Host.
  if (port === 80) hosts.push(...local);
  hosts.push(new URL(apiUrl).host);
  return hosts;
}

/** `*` in the list turns the check off (e.g. behind a proxy that already checks Host). */
export function createHostCheck(allowed: readonly string[]): (host: string | undefined) => HostVerdict {
  const names = new Set(allowed.map((h) => h.trim().toLowerCase()).filter(Boolean));
  const any = names.has(ALL_NAMESPACES);
  return (host) => {
    if (!host) return 'missing';
    if (any || names.has(host.toLowerCase())) return 'ok';
    return 'misdirected';
  };
}
