// CAISSON_CALLBACK_ALLOW: the hosts an /async-function request may name in X-Callback-Url.
// Comma-separated patterns `host[:port]`: a host name or address, or `*.` and a domain (any
// name under it); `:port` or `:*` (any); without a port only the scheme's default port. Empty
// (the default): no callback is allowed. Checked when the request arrives and again before
// each delivery. Pure.

export interface CallbackAllowList {
  patterns: readonly string[];
}

export type CallbackVerdict = { ok: true; url: URL } | { ok: false; status: 400 | 403; message: string };

const MAX_URL = 2048;

export function parseCallbackAllow(text: string | undefined): CallbackAllowList {
  return { patterns: (text ?? '').split(',').map((p) => p.trim().toLowerCase()).filter(Boolean) };
}

export function checkCallbackUrl(raw: string, allow: CallbackAllowList): CallbackVerdict {
  if (raw.length > MAX_URL) return { ok: false, status: 400, message: `X-Callback-Url is over ${MAX_URL} characters` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, status: 400, message: 'X-Callback-Url is not an absolute URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, status: 400, message: 'X-Callback-Url must be http or https' };
  if (url.username || url.password) return { ok: false, status: 400, message: 'X-Callback-Url may not carry credentials' };
  if (allow.patterns.length === 0) {
    return { ok: false, status: 403, message: 'callbacks are not enabled on this api (CAISSON_CALLBACK_ALLOW is empty)' };
  }
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  if (!allow.patterns.some((p) => matches(p, url.hostname.toLowerCase(), port, url.port === ''))) {
    return { ok: false, status: 403, message: `X-Callback-Url host ${url.host} is not in CAISSON_CALLBACK_ALLOW` };
  }
  return { ok: true, url };
}

function matches(pattern: string, host: string, port: string, defaultPort: boolean): boolean {
  // [::1]:8080 and host:port: the port is what follows the last ':' outside brackets.
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}|\*))?$/.exec(pattern);
  if (!m) return false;
  const [, hostPattern, portPattern] = m;
  const portOk = portPattern === undefined ? defaultPort : portPattern === '*' || portPattern === port;
  if (!portOk) return false;
  if (hostPattern!.startsWith('*.')) return host.endsWith(hostPattern!.slice(1)) && host.length > hostPattern!.length - 1;
  return host === hostPattern;
}
