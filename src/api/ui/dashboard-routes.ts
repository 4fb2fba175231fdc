// The dashboard's HTTP routes: the built pages under /ui (public: the data behind them is not),
// GET /ui/settings.json (what the pages need beyond tRPC: where the Temporal Web UI is), and
// the browser login: POST /auth/session with {key} sets the session cookie, DELETE ends it.
// Pages are served under a strict Content-Security-Policy: scripts and styles of this origin
// only, no inline script, no framing.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../auth/authenticator.js';
import { SESSION_TTL_MS, sessionCookie } from '../auth/session.js';
import { bearerToken, secretDigest } from '../auth/secrets.js';
import { originAllowed, type SessionAuth } from './session-caller.js';
import type { StaticFile } from './static-files.js';

export interface DashboardOptions extends SessionAuth {
  /** The built pages (null: not built; /ui then says how to build them). */
  files: Map<string, StaticFile> | null;
  /** The Temporal Web UI's origin and namespace, for links to an invocation's workflow. */
  temporalUi: { url: string | null; namespace: string };
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
  "connect-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

export function isDashboardPath(path: string): boolean {
  return path === '/ui' || path.startsWith('/ui/') || path === '/auth/session';
}

export interface DashboardRequest {
  path: string;
  options: DashboardOptions;
  /** Checks an api key as a Bearer header would be checked. */
  authenticate(authorization: string): Promise<Principal | null>;
  /** The request's caller (Bearer key or session), for settings.json. */
  caller(): Promise<Principal | null>;
  readBody(max: number): Promise<Buffer | null>;
}

export async function serveDashboard(req: IncomingMessage, res: ServerResponse, args: DashboardRequest): Promise<void> {
  const { path, options } = args;
  const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
    res.end(text);
  };
  if (path === '/auth/session') return session(req, args, send);
  if (req.method !== 'GET' && req.method !== 'HEAD') return drain(req, () => send(405, { error: 'GET only' }));
  if (path === '/ui') {
    res.writeHead(308, { location: '/ui/' });
    return void res.end();
  }
  if (path === '/ui/settings.json') {
    const caller = await args.caller();
    if (!caller || caller.kind !== 'key') return send(401, { error: 'log in first' });
    return send(200, { temporalUiUrl: options.temporalUi.url, temporalNamespace: options.temporalUi.namespace });
  }
  const name = path.slice('/ui/'.length);
  // Hashed asset names never change content: cached for good. Any other path is a page of the app.
  const asset = name.startsWith('assets/') ? options.files?.get(name) : undefined;
  if (name.startsWith('assets/') && !asset) return send(404, { error: 'not found' });
  const file = asset ?? options.files?.get('index.html');
  if (!file) return send(503, { error: 'the dashboard is not built: run `npm run build` (scripts/build.sh)' });
  res.writeHead(200, {
    ...PAGE_HEADERS, 'content-type': file.contentType, 'content-length': file.body.length,
    'cache-control': asset ? 'public, max-age=31536000, immutable' : 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : file.body);
}

/** POST: log in with {key}; DELETE: log out. Both only from the api's own pages (Origin), so no other page logs a browser in or out. */
async function session(req: IncomingMessage, args: DashboardRequest, send: (status: number, body: unknown, headers?: Record<string, string>) => void): Promise<void> {
  const { options } = args;
  if (req.method !== 'POST' && req.method !== 'DELETE') return drain(req, () => send(405, { error: 'POST (log in) or DELETE (log out)' }));
  if (!originAllowed(req, { secure: options.secure, publicOrigin: options.publicOrigin })) return drain(req, () => send(403, { error: 'log in from the dashboard\'s own page (Origin)' }));
  if (req.method === 'DELETE') return drain(req, () => send(200, { ok: true }, { 'set-cookie': sessionCookie({ value: '', maxAgeS: 0, secure: options.secure }) }));
  const body = await args.readBody(4096);
  if (!body) return send(413, { error: 'the body is over 4 KiB' });
  let key: unknown;
  try {
    key = (JSON.parse(body.toString('utf8')) as { key?: unknown } | null)?.key;
  } catch {
    return send(400, { error: 'the body must be JSON: {"key": "csk_…"}' });
  }
  const token = typeof key === 'string' ? bearerToken(`Bearer ${key}`) : undefined;
  if (!token) return send(400, { error: 'key: an api key (csk_…) is required' });
  const caller = await args.authenticate(`Bearer ${token}`);
  // The worker token is no login: it has no user-facing rights.
  if (!caller || caller.kind !== 'key') return send(401, { error: 'that key is not valid (wrong, revoked or expired)' });
  const expiresAt = Math.min(Date.now() + SESSION_TTL_MS, caller.expiresAt?.getTime() ?? Infinity);
  const value = options.sessions.issue({ keyDigest: secretDigest(token).toString('hex'), expiresAt });
  const cookie = sessionCookie({ value, maxAgeS: (expiresAt - Date.now()) / 1000, secure: options.secure });
  send(200, { name: caller.name, namespace: caller.namespace, role: caller.role, sessionExpiresAt: new Date(expiresAt).toISOString() }, { 'set-cookie': cookie });
}

function drain(req: IncomingMessage, answer: () => void): void {
  if (req.complete) return answer();
  req.once('end', answer);
  req.resume();
}
