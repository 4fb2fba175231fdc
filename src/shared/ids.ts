// Business-key ids. Workflow id = invocation id, so Temporal dedupes starts for us.

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

function randomSuffix(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = '';
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
  return out;
}

/** Sortable by creation time: base36 millis + random. */
function newId(prefix: string): string {
  return `${prefix}_${Date.now().toString(36).padStart(9, '0')}${randomSuffix(10)}`;
}

export const newInvocationId = (): string => newId('inv');

/** An idempotency key becomes a deterministic invocation id: same key, same workflow id. */
export async function invocationIdForKey(namespace: string, key: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${namespace}\u0000${key}`));
  const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
  return `inv_k${hex.slice(0, 32)}`;
}

/** An invocation id; a chain step's child adds `.<step>[.<branch or index>]` (childInvocationId). */
export const INVOCATION_ID_PATTERN = /^inv_[0-9a-z]{10,40}(\.[a-z0-9_-]{1,63}){0,2}$/;

/** A dead letter's id: `dlq_` and the invocation id it keeps (dead-letters.repository.ts). */
export const DEAD_LETTER_ID_PATTERN = new RegExp(`^dlq_${INVOCATION_ID_PATTERN.source.slice(1)}`);
