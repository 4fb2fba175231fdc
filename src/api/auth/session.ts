// Browser sessions of the dashboard (/ui) and the Temporal Web UI's codec calls: a login with
// an api key answers a cookie holding a short-lived signed session, never the key. The session
// names the key by its sha256 (what the database stores), so every use goes through the same
// lookup as a Bearer key: revoking or expiring the key ends its sessions at once.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'caisson_session';
/** How long a session lasts unless its key expires first. */
export const SESSION_TTL_MS = 8 * 60 * 60 * 1000;

const FORMAT = 'v1';

export interface SessionCodec {
  /** A session for this key digest (hex), ending at `expiresAt` (ms), as the cookie's value. */
  issue(args: { keyDigest: string; expiresAt: number }): string;
  /** The key digest a cookie value names, or null: unsigned, damaged, expired or of another format. */
  verify(value: string | undefined): string | null;
}

/** `secret` is a key derived for this purpose (sealing.ts deriveKey 'ui-sessions'). */
export function createSessionCodec(secret: Buffer, now: () => number = Date.now): SessionCodec {
  const sign = (body: string) => createHmac('sha256', secret).update(body).digest('base64url');
  return {
    issue({ keyDigest, expiresAt }) {
      const body = `${FORMAT}.${keyDigest}.${Math.floor(expiresAt / 1000)}`;
      return `${body}.${sign(body)}`;
    },
    verify(value) {
      const match = value ? /^(v1\.([0-9a-f]{64})\.(\d{1,12}))\.([A-Za-z0-9_-]{43})$/.exec(value) : null;
      if (!match) return null;
      const [, body, digest, exp, mac] = match as unknown as [string, string, string, string, string];
      const expected = Buffer.from(sign(body));
      if (!timingSafeEqual(expected, Buffer.from(mac))) return null;
      return Number(exp) * 1000 > now() ? digest : null;
    },
  };
}

/** The value of one cookie in a Cookie header (the first of that name). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header || header.length > 8192) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The Set-Cookie header of a session: HttpOnly (no script reads it), SameSite=Strict (no
 * other site's page sends it), Secure when the api speaks TLS, Path=/ (the codec endpoint and
 * /trpc use it besides /ui). An empty value with Max-Age=0 ends it.
 */
export function sessionCookie(args: { value: string; maxAgeS: number; secure: boolean }): string {
  const parts = [`${SESSION_COOKIE}=${args.value}`, 'Path=/', `Max-Age=${Math.max(0, Math.floor(args.maxAgeS))}`, 'HttpOnly', 'SameSite=Strict'];
  if (args.secure) parts.push('Secure');
  return parts.join('; ');
}
