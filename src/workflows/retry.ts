// Pure retry arithmetic for the attempt loop (deterministic; unit-tested).
import type { FailureKind, RetryPolicy } from '../shared/types.js';

export function shouldRetry(policy: RetryPolicy, kind: FailureKind, attempt: number): boolean {
  if (attempt >= policy.maxAttempts) return false;
  return (policy.retryOn as readonly string[]).includes(kind);
}

/** Delay before attempt `nextAttempt` (2, 3, …): initial × coefficient^(n-2), capped. */
export function backoffMs(policy: RetryPolicy, nextAttempt: number): number {
  const raw = policy.initialIntervalMs * Math.pow(policy.backoffCoefficient, Math.max(0, nextAttempt - 2));
  return Math.min(raw, policy.maximumIntervalMs);
}

/** Infrastructure trouble (Docker down, worker lost) never counts as a function attempt,
 * but it is bounded: after this many consecutive re-runs the invocation fails. */
export const MAX_INFRA_RERUNS = 5;
export const infraBackoffMs = (rerun: number): number => Math.min(500 * 2 ** (rerun - 1), 10_000);
