import { describe, expect, it } from 'vitest';
import { InvocationRetrySchema, invocationRetryPolicy, type InvocationRetry } from '../../../src/shared/retry-rule.js';
import { DEFAULT_RETRY_POLICY, RetryPolicySchema } from '../../../src/shared/types.js';

const defaults = { retryPolicy: DEFAULT_RETRY_POLICY };
const given = { retryPolicy: RetryPolicySchema.parse({ maxAttempts: 5 }), retryPolicySet: true };

describe('invocationRetryPolicy', () => {
  it.each([
    { name: 'sync, defaults only', spec: defaults, sync: true, retry: undefined, attempts: 1 },
    { name: 'async, defaults only', spec: defaults, sync: false, retry: undefined, attempts: 3 },
    { name: 'sync, policy given', spec: given, sync: true, retry: undefined, attempts: 5 },
    { name: 'async, policy given', spec: given, sync: false, retry: undefined, attempts: 5 },
    { name: 'sync, retry: true', spec: defaults, sync: true, retry: true, attempts: 3 },
    { name: 'sync, retry: false, policy given', spec: given, sync: true, retry: false, attempts: 1 },
    { name: 'async, retry: false', spec: defaults, sync: false, retry: false, attempts: 1 },
    { name: 'sync, retry: { maxAttempts: 4 }', spec: defaults, sync: true, retry: { maxAttempts: 4 }, attempts: 4 },
    { name: 'sync, an older version without the flag', spec: { retryPolicy: RetryPolicySchema.parse({ maxAttempts: 3 }) }, sync: true, retry: undefined, attempts: 1 },
  ] as { name: string; spec: typeof given; sync: boolean; retry?: InvocationRetry; attempts: number }[])('$name → $attempts attempt(s)', ({ spec, sync, retry, attempts }) => {
    expect(invocationRetryPolicy({ spec, sync, retry }).maxAttempts).toBe(attempts);
  });

  it('an object keeps the fields it does not name from the version', () => {
    const policy = invocationRetryPolicy({ spec: given, sync: true, retry: { initialIntervalMs: 10 } });
    expect(policy).toEqual({ ...given.retryPolicy, initialIntervalMs: 10 });
  });

  it('the schema takes a boolean or the fields of a policy, and nothing else', () => {
    expect(InvocationRetrySchema.parse({ maxAttempts: 2 })).toEqual({ maxAttempts: 2 });
    expect(InvocationRetrySchema.safeParse({ maxAttempts: 0 }).success).toBe(false);
    expect(InvocationRetrySchema.safeParse({ attempts: 2 }).success).toBe(false);
  });
});
