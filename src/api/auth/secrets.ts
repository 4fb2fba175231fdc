// Api keys and worker tokens: random, shown once, stored and compared as sha256 digests.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const API_KEY_PREFIX = 'csk_';
export const WORKER_TOKEN_PREFIX = 'cwt_';

/** 32 random bytes, base64url, behind a prefix that tells a key from a worker token at a glance. */
export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/**
 * sha256. Enough for 256-bit random secrets: nothing to brute-force, so a slow password hash
 * would only cost every request time.
 */
export function secretDigest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/** What the database stores of a key: its sha256, hex. */
export function hashSecret(secret: string): string {
  return secretDigest(secret).toString('hex');
}

/** Two digests compared in constant time (digests have equal lengths whatever the secrets). */
export function sameDigest(a: Buffer, b: Buffer): boolean {
  return timingSafeEqual(a, b);
}

/** The token of `Authorization: Bearer <token>`, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header ? /^Bearer[ \t]+([A-Za-z0-9_-]{1,200})[ \t]*$/i.exec(header) : null;
  return match?.[1];
}
