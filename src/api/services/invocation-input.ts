// What identifies an invocation's input for idempotency keys: the same key may only be used
// again with the same function version and payload.
import { createHash } from 'node:crypto';
import type { FunctionVersionSpec } from '../../shared/types.js';

/** sha256 of `<name>@<version>`, a NUL and the payload's JSON text. */
export function inputHashOf(spec: Pick<FunctionVersionSpec, 'name' | 'version'>, payloadText: string): string {
  return createHash('sha256').update(`${spec.name}@${spec.version}\u0000${payloadText}`).digest('hex');
}
