// The environment of a function's container: what every invocation of a version shares (a
// warm container's), and the per-invocation part (identity and, when small, the payload).
import { SMALL_PAYLOAD_ENV_BYTES } from '../runtime/io/io-dir.js';
import { runtimeFamily } from '../shared/runtimes.js';
import type { FunctionVersionSpec } from '../shared/types.js';

/** The function's environment, the same for every invocation of a version (a warm container's). */
export function functionEnv(spec: FunctionVersionSpec): Record<string, string> {
  return {
    ...spec.env,
    CAISSON_CONVENTION: spec.convention,
    CAISSON_ENTRY: runtimeFamily(spec.runtime) === 'go' ? 'handler' : spec.entry,
    CAISSON_FUNCTION: spec.name,
    CAISSON_VERSION: String(spec.version),
    CAISSON_TIMEOUT_MS: String(spec.limits.timeoutMs),
    CAISSON_MEMORY_MB: String(spec.limits.memoryMb),
  };
}

/** The per-invocation part: identity and, when small, the payload itself. */
export function invocationEnv(input: { invocationId: string; attempt: number }, payload: string): Record<string, string> {
  const env = identityEnv(input);
  if (Buffer.byteLength(payload) <= SMALL_PAYLOAD_ENV_BYTES) env.FUNCTION_PAYLOAD = payload;
  return env;
}

/** Which invocation and attempt: all a prepared container knows before its payload. */
export function identityEnv(input: { invocationId: string; attempt: number }): Record<string, string> {
  return { CAISSON_INVOCATION_ID: input.invocationId, CAISSON_ATTEMPT: String(input.attempt) };
}
