import { describe, expect, it } from 'vitest';
import { backoffMs, infraBackoffMs, shouldRetry } from '../../../src/workflows/retry.js';
import { DEFAULT_RETRY_POLICY, RetryPolicySchema } from '../../../src/shared/types.js';

describe('shouldRetry', () => {
  it.each([
    { kind: 'FunctionError', attempt: 1, expected: true },
    { kind: 'FunctionError', attempt: 2, expected: true },
    { kind: 'FunctionError', attempt: 3, expected: false }, // maxAttempts 3 reached
    { kind: 'FunctionTimeout', attempt: 1, expected: true },
    { kind: 'FunctionOOM', attempt: 1, expected: true },
    { kind: 'InvalidOutput', attempt: 1, expected: false }, // not in the default retryOn
    { kind: 'Cancelled', attempt: 1, expected: false },
  ] as const)('$kind on attempt $attempt → $expected', ({ kind, attempt, expected }) => {
    expect(shouldRetry(DEFAULT_RETRY_POLICY, kind, attempt)).toBe(expected);
  });

  it('follows an overridden retryOn', () => {
    const policy = RetryPolicySchema.parse({ maxAttempts: 5, retryOn: ['InvalidOutput'] });
    expect(shouldRetry(policy, 'InvalidOutput', 4)).toBe(true);
    expect(shouldRetry(policy, 'FunctionError', 1)).toBe(false);
  });
});

describe('backoffMs', () => {
  const policy = RetryPolicySchema.parse({ initialIntervalMs: 100, backoffCoefficient: 3, maximumIntervalMs: 1000 });
  it.each([
    [2, 100],
    [3, 300],
    [4, 900],
    [5, 1000],
  ])('before attempt %i waits %i ms', (attempt, ms) => {
    expect(backoffMs(policy, attempt)).toBe(ms);
  });

  it('infrastructure reruns back off and cap at 10 s', () => {
    expect(infraBackoffMs(1)).toBe(500);
    expect(infraBackoffMs(2)).toBe(1000);
    expect(infraBackoffMs(10)).toBe(10_000);
  });
});
