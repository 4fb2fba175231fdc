// The metrics token (CAISSON_METRICS_TOKEN): what a Prometheus scrape sends as its Bearer
// credential. Compared in constant time over hashes, so neither its value nor its length leaks.
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function bearerMatches(authorization: string | undefined, token: string | undefined): boolean {
  if (!token || !authorization?.startsWith('Bearer ')) return false;
  return timingSafeEqual(digest(authorization.slice(7).trim()), digest(token));
}
