// Who is calling: a Bearer token is the worker token or an api key (looked up by its sha256).
// Lookups are cached for cacheMs so a busy caller costs no database round trip per request;
// revoking a key in this process drops its entry at once, other api processes see it within
// cacheMs. Expiry and revocation are checked at every use, against the cached row.
import type { ApiKeyRow } from '../../db/index.js';
import { ROLES, type Role } from '../../shared/roles.js';
import { bearerToken, sameDigest, secretDigest } from './secrets.js';

export type KeyPrincipal = { kind: 'key'; id: string; name: string; namespace: string; role: Role; expiresAt: Date | null };
export type Principal = KeyPrincipal | { kind: 'worker' };

export interface AuthenticatorDeps {
  findKey(hash: string): Promise<ApiKeyRow | null>;
  workerToken: string;
  cacheMs?: number;
  /** Entries kept at most: random keys sent by a scanner must not grow the cache without bound. */
  maxEntries?: number;
  now?: () => number;
}

export interface Authenticator {
  /** The caller named by an Authorization header; null when the header names no valid key. */
  authenticate(authorization: string | undefined): Promise<Principal | null>;
  /** The key whose sha256 (hex) this is, through the same cache and checks (a browser session names its key so). */
  authenticateDigest(digest: string): Promise<KeyPrincipal | null>;
  /** Forgets a key's cached lookup (on revocation). */
  forget(hash: string): void;
}

export function createAuthenticator(deps: AuthenticatorDeps): Authenticator {
  const cacheMs = deps.cacheMs ?? 1000;
  const maxEntries = deps.maxEntries ?? 10_000;
  const now = deps.now ?? Date.now;
  const cache = new Map<string, { until: number; row: Promise<ApiKeyRow | null> }>();
  const workerDigest = secretDigest(deps.workerToken);

  function lookup(hash: string): Promise<ApiKeyRow | null> {
    const t = now();
    const hit = cache.get(hash);
    if (hit && hit.until > t) return hit.row;
    if (cache.size >= maxEntries) cache.clear();
    const row = deps.findKey(hash);
    cache.set(hash, { until: t + cacheMs, row });
    // A failed lookup (database down) is not remembered.
    row.catch(() => cache.delete(hash));
    return row;
  }

  async function authenticateDigest(hex: string): Promise<KeyPrincipal | null> {
    const row = await lookup(hex);
    if (!row || row.revokedAt || (row.expiresAt && row.expiresAt.getTime() <= now())) return null;
    const role = ROLES.find((r) => r === row.role);
    if (!role) return null; // a role this version does not know grants nothing
    return { kind: 'key', id: row.id, name: row.name, namespace: row.namespace, role, expiresAt: row.expiresAt };
  }

  return {
    async authenticate(authorization) {
      const token = bearerToken(authorization);
      if (!token) return null;
      // One digest per request: compared with the worker token's, and the key's lookup key.
      const digest = secretDigest(token);
      if (sameDigest(digest, workerDigest)) return { kind: 'worker' };
      return authenticateDigest(digest.toString('hex'));
    },
    authenticateDigest,
    forget(hash) {
      cache.delete(hash);
    },
  };
}
