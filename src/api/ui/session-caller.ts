// Who a browser request is, when it carries the session cookie instead of a Bearer key, and
// the CSRF guard: the cookie is SameSite=Strict (no other site's page sends it), and a
// state-changing request made with it must also name, in Origin, the api itself or a page the
// route trusts (the Temporal Web UI for /codec): other origins of the same site (another port
// of localhost) would otherwise be able to make a logged-in browser act.
import type { IncomingMessage } from 'node:http';
import type { KeyPrincipal } from '../auth/authenticator.js';
import { SESSION_COOKIE, readCookie, type SessionCodec } from '../auth/session.js';

export interface SessionAuth {
  sessions: SessionCodec;
  authenticateDigest(digest: string): Promise<KeyPrincipal | null>;
  /** Cookies are Secure: the api speaks TLS, or its public URL is https (TLS in front of it). */
  secure: boolean;
  /** The origin of the api's public URL (CAISSON_API_URL): behind a proxy, pages name it, not the Host the api sees. */
  publicOrigin?: string;
}

export type SessionVerdict = { caller: KeyPrincipal | null } | { refused: string };

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The api's own origin as a browser names it: the scheme and the Host it was asked for (checked by host-check.ts). */
export function ownOrigin(req: IncomingMessage, secure: boolean): string {
  return `${secure ? 'https' : 'http'}://${(req.headers.host ?? '').toLowerCase()}`;
}

/** Whether the request's Origin is the api's own (as asked for, or its public URL's) or one of `trusted`; no Origin is not allowed. */
export function originAllowed(req: IncomingMessage, args: { secure: boolean; publicOrigin?: string; trusted?: readonly string[] }): boolean {
  const origin = req.headers.origin?.toLowerCase();
  if (!origin || origin === 'null') return false;
  const allowed = [ownOrigin(req, args.secure), ...(args.publicOrigin ? [args.publicOrigin] : []), ...(args.trusted ?? [])];
  return allowed.some((o) => o.toLowerCase() === origin);
}

/** The key a session cookie names (null: none, or not valid), or why a state-changing request with it is refused. */
export async function sessionCaller(req: IncomingMessage, auth: SessionAuth, trusted: readonly string[] = []): Promise<SessionVerdict> {
  const digest = auth.sessions.verify(readCookie(req.headers.cookie, SESSION_COOKIE));
  if (!digest) return { caller: null };
  if (!SAFE_METHODS.has(req.method ?? 'GET') && !originAllowed(req, { secure: auth.secure, publicOrigin: auth.publicOrigin, trusted })) {
    return { refused: 'a request made with a browser session must come from a page of this api (Origin)' };
  }
  return { caller: await auth.authenticateDigest(digest) };
}
