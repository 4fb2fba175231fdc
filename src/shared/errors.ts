// The error vocabulary shared by every layer: one AppError with a closed set of codes
// and a retryable flag. Activities turn these into ApplicationFailure (type = code);
// the api maps them to tRPC codes in one place (api/errors.ts).

export const ERROR_CODES = [
  'VALIDATION',
  'NOT_FOUND',
  'CONFLICT',
  'LIMIT_EXCEEDED',
  'RUNTIME_UNAVAILABLE',
  'FUNCTION_EXECUTION',
  'INTERNAL',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'QUOTA_EXCEEDED',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryable: boolean,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** Bad input: which field, why. Never retried. */
export class ValidationError extends AppError {
  override name = 'ValidationError';
  constructor(message: string, readonly field?: string) {
    super('VALIDATION', message, false, field ? { field } : undefined);
  }
}

/** An uploaded or built code archive the archive policy refuses (shared/archive-policy.ts). */
export class UnsafeArchiveError extends ValidationError {
  override name = 'UnsafeArchiveError';
  constructor(readonly reason: string) {
    super(`code is refused as an archive: ${reason}`, 'code');
  }
}

export class NotFoundError extends AppError {
  override name = 'NotFoundError';
  constructor(what: string, id: string) {
    super('NOT_FOUND', `${what} '${id}' not found`, false, { what, id });
  }
}

export class ConflictError extends AppError {
  override name = 'ConflictError';
  constructor(message: string) {
    super('CONFLICT', message, false);
  }
}

/** A configured size limit was exceeded (payload, result, code, logs). */
export class LimitExceededError extends AppError {
  override name = 'LimitExceededError';
  constructor(limit: string, actual: number, max: number) {
    super('LIMIT_EXCEEDED', `${limit} is ${actual} bytes, over the limit of ${max} bytes`, false, {
      limit,
      actual,
      max,
    });
  }
}

/** No api key, or one that is unknown, revoked or expired. The message never says which. */
export class UnauthorizedError extends AppError {
  override name = 'UnauthorizedError';
  constructor(message = 'a valid api key is required (Authorization: Bearer <key>)') {
    super('UNAUTHORIZED', message, false);
  }
}

/** A valid key whose role or namespace does not allow this. Says nothing of whether the target exists. */
export class ForbiddenError extends AppError {
  override name = 'ForbiddenError';
  constructor(message: string) {
    super('FORBIDDEN', message, false);
  }
}

/**
 * A namespace's quota (shared/quotas.ts) would be exceeded: the message names the quota and its
 * value. Retryable for the invocation quotas (after retryAfterS), not for the stored-object ones.
 */
export class QuotaExceededError extends AppError {
  override name = 'QuotaExceededError';
  constructor(input: { namespace: string; quota: string; limit: number; used: number; retryAfterS?: number; why?: string }) {
    const { namespace, quota, limit, used, retryAfterS, why } = input;
    super('QUOTA_EXCEEDED', `namespace '${namespace}' is at its quota ${quota} = ${limit}${why ? ` (${why})` : ''}`, retryAfterS !== undefined,
      { quota, limit, used, namespace, ...(retryAfterS !== undefined ? { retryAfterS } : {}) });
  }
}

/** Docker, an image or the network is not available right now. Always retryable. */
export class RuntimeUnavailableError extends AppError {
  override name = 'RuntimeUnavailableError';
  constructor(message: string, cause?: unknown) {
    super('RUNTIME_UNAVAILABLE', message, true);
    if (cause !== undefined) this.cause = cause;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}

/** The function itself failed in a way that retrying the step cannot fix (e.g. Go compile error). */
export class FunctionExecutionError extends AppError {
  override name = 'FunctionExecutionError';
  constructor(message: string, details?: { exitCode?: number; oomKilled?: boolean; timedOut?: boolean }) {
    super('FUNCTION_EXECUTION', message, false, details);
  }
}
