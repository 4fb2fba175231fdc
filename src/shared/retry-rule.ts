// Which retry policy one invocation runs under: the rule of docs/failures-and-retries.md (Retries), in one place.
// A synchronous invoke runs one attempt, as Lambda, OpenWhisk and OpenFaaS run a synchronous
// call once, unless the version's policy was given at deploy or the call asks (`retry`).
// Asynchronous invocations (start, replays), chain steps and anything else that starts an
// invocation without waiting for it keep the version's policy, defaults included (3 attempts).
// Infrastructure reruns (a lost worker, Docker trouble) are not attempts: they happen either way.
import { z } from 'zod';
import { RetryOverrideSchema } from './chain.js';
import type { FunctionVersionSpec, RetryPolicy } from './types.js';

/**
 * `retry` on invocations.invoke / start: true, the version's policy (3 attempts by default);
 * false, one attempt whatever the policy; an object, the version's policy with these fields.
 */
export const InvocationRetrySchema = z.union([z.boolean(), RetryOverrideSchema]);
export type InvocationRetry = z.infer<typeof InvocationRetrySchema>;

export function invocationRetryPolicy(opts: {
  spec: Pick<FunctionVersionSpec, 'retryPolicy' | 'retryPolicySet'>;
  /** The caller waits for the outcome (invocations.invoke). */
  sync: boolean;
  retry?: InvocationRetry;
}): RetryPolicy {
  const { spec, sync, retry } = opts;
  if (retry === false) return { ...spec.retryPolicy, maxAttempts: 1 };
  if (retry === true) return spec.retryPolicy;
  if (retry !== undefined) return { ...spec.retryPolicy, ...retry };
  if (sync && spec.retryPolicySet !== true) return { ...spec.retryPolicy, maxAttempts: 1 };
  return spec.retryPolicy;
}
