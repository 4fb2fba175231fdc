import { TRPCError } from '@trpc/server';
import { describe, expect, it, vi } from 'vitest';
import { toTRPCError } from '../../../src/api/errors.js';
import {
  ConflictError, ForbiddenError, FunctionExecutionError, LimitExceededError, NotFoundError, RuntimeUnavailableError, UnauthorizedError, ValidationError,
} from '../../../src/shared/errors.js';

describe('toTRPCError', () => {
  it.each([
    [new ValidationError('bad', 'name'), 'BAD_REQUEST'],
    [new NotFoundError('function', 'x'), 'NOT_FOUND'],
    [new ConflictError('taken'), 'CONFLICT'],
    [new LimitExceededError('payload', 10, 5), 'PAYLOAD_TOO_LARGE'],
    [new RuntimeUnavailableError('docker down'), 'SERVICE_UNAVAILABLE'],
    [new FunctionExecutionError('compile error'), 'UNPROCESSABLE_CONTENT'],
    [new UnauthorizedError(), 'UNAUTHORIZED'],
    [new ForbiddenError('not yours'), 'FORBIDDEN'],
  ])('%s → %s', (err, code) => {
    const mapped = toTRPCError(err);
    expect(mapped.code).toBe(code);
    expect(mapped.message).toBe(err.message);
  });

  it('answers unknown errors generically and logs them', () => {
    const log = vi.fn();
    const mapped = toTRPCError(new Error('secret internals'), log);
    expect(mapped.code).toBe('INTERNAL_SERVER_ERROR');
    expect(mapped.message).not.toContain('secret');
    expect(log).toHaveBeenCalledOnce();
  });

  it('passes TRPCErrors through', () => {
    const e = new TRPCError({ code: 'FORBIDDEN' });
    expect(toTRPCError(e)).toBe(e);
  });
});
