import { describe, expect, it } from 'vitest';
import { CreateFunctionInput, InvocationIdInput, UpdateFunctionInput } from '../../../src/api/schemas.js';
import { MAX_ENV_BYTES, MAX_ENV_VARS } from '../../../src/shared/function-env.js';

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

describe('a version env', () => {
  const issues = (env: Record<string, string>) => {
    const r = CreateFunctionInput.safeParse({ name: 'f', runtime: 'python', code: 'cHJpbnQoMSk=', env });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('takes ordinary names and values', () => {
    expect(issues({ FOO: 'bar', _x1: '', PATH_EXTRA: 'a=b' })).toEqual([]);
  });

  it.each([
    [{ 'A=B': 'x' }, /^env\.A=B: not an environment variable name/],
    [{ '1X': 'x' }, /^env\.1X: not an environment variable name/],
    [{ 'A\u0000': 'x' }, /^env\.A.: not an environment variable name/],
    [{ CAISSON_ENTRY: 'x' }, /^env\.CAISSON_ENTRY: reserved/],
    [{ FUNCTION_PAYLOAD: '{}' }, /^env\.FUNCTION_PAYLOAD: reserved/],
    [{ OK: 'a\u0000b' }, /^env\.OK: the value contains a NUL byte/],
    [{ BIG: 'v'.repeat(MAX_ENV_BYTES) }, /^env: \d+ bytes in all, at most 65536/],
  ])('refuses %#, naming the variable', (env, message) => {
    expect(issues(env)[0]).toMatch(message);
  });

  it('refuses too many variables, listing only the first problems', () => {
    const many = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`K${i}`, '']));
    expect(issues(many)).toEqual([`env: 100000 variables, at most ${MAX_ENV_VARS} are allowed`, expect.stringMatching(/^env: \d+ bytes in all/)]);
    const bad = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`bad-${i}`, '']));
    expect(issues(bad).length).toBeLessThanOrEqual(11);
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
