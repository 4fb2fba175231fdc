// Api keys and worker tokens: random, shown once, stored and compared as sha256 digests.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const API_KEY_PREFIX = 'csk_';
export const WORKER_TOKEN_PREFIX = 'cwt_';

/** 32 random bytes, base64url, behind a prefix that tells a key from a worker token at a glance. */
export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/**
 * sha256 hex. Enough for 256-bit random secrets: nothing to brute-force, so a slow password
 * hash would only cost every request time.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Compares two secrets by their digests in constant time (equal lengths whatever the input). */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());
}

/** The token of `Authorization: Bearer <token>`, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header ? /^Bearer[ \t]+([A-Za-z0-9_-]{1,200})[ \t]*$/i.exec(header) : null;
  return match?.[1];
}
