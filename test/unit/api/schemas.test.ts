import { describe, expect, it } from 'vitest';
import { CreateFunctionInput, UpdateFunctionInput } from '../../../src/api/schemas.js';

describe('function input schemas', () => {
  it('an update that names no limits carries none (so the previous version is inherited)', () => {
    const parsed = UpdateFunctionInput.parse({ name: 'f', code: 'cHJpbnQoMSk=', limits: {}, retryPolicy: { maxAttempts: 5 } });
    expect(parsed.limits).toEqual({});
    expect(parsed.retryPolicy).toEqual({ maxAttempts: 5 });
  });

  it('still validates override values, naming the field', () => {
    const r = CreateFunctionInput.safeParse({ name: 'f', runtime: 'python', code: 'cHJpbnQoMSk=', limits: { memoryMb: 1 } });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['limits', 'memoryMb']);
  });

  it('rejects unknown limit fields instead of ignoring them', () => {
    const r = CreateFunctionInput.safeParse({ name: 'f', runtime: 'python', code: 'cHJpbnQoMSk=', limits: { memory: 64 } });
    expect(r.success).toBe(false);
  });
});
