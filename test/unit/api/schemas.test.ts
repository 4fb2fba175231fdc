import { describe, expect, it } from 'vitest';
import { CreateFunctionInput, InvocationIdInput, UpdateFunctionInput } from '../../../src/api/schemas.js';

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

describe('InvocationIdInput', () => {
  it("takes an invocation's id and a chain step child's (inv_….<step>[.<branch or index>])", () => {
    for (const id of ['inv_0mwxp82igqpugdwhe25', 'inv_0mwxp82igqpugdwhe25.resize', 'inv_0mwxp82igqpugdwhe25.each.12', 'inv_0mwxp82igqpugdwhe25.vip.formal']) {
      expect(InvocationIdInput.safeParse({ id }).success, id).toBe(true);
    }
  });

  it('refuses anything else, naming the field', () => {
    for (const id of ['inv_short', 'inv_0mwxp82igqpugdwhe25.', 'inv_0mwxp82igqpugdwhe25..a', 'inv_0mwxp82igqpugdwhe25.a.b.c', 'inv_0mwxp82igqpugdwhe25.A', 'inv_0mwxp82igqpugdwhe25/a']) {
      const r = InvocationIdInput.safeParse({ id });
      expect(r.success, id).toBe(false);
      expect(r.error!.issues[0]!.path).toEqual(['id']);
    }
  });
});
