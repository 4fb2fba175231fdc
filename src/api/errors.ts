// The one mapper from Caisson's errors to tRPC codes. Unknown errors are logged and
// answered generically, so internals never leak to callers.
import { TRPCError } from '@trpc/server';
import { AppError, assertNever } from '../shared/errors.js';

type TRPCCode = ConstructorParameters<typeof TRPCError>[0]['code'];

function codeFor(err: AppError): TRPCCode {
  switch (err.code) {
    case 'VALIDATION':
      return 'BAD_REQUEST';
    case 'NOT_FOUND':
      return 'NOT_FOUND';
    case 'CONFLICT':
      return 'CONFLICT';
    case 'LIMIT_EXCEEDED':
      return 'PAYLOAD_TOO_LARGE';
    case 'RUNTIME_UNAVAILABLE':
      return 'SERVICE_UNAVAILABLE';
    case 'FUNCTION_EXECUTION':
      return 'UNPROCESSABLE_CONTENT';
    case 'INTERNAL':
      return 'INTERNAL_SERVER_ERROR';
    case 'UNAUTHORIZED':
      return 'UNAUTHORIZED';
    case 'FORBIDDEN':
      return 'FORBIDDEN';
    case 'QUOTA_EXCEEDED':
      return 'TOO_MANY_REQUESTS';
    default:
      return assertNever(err.code);
  }
}

export const INTERNAL_MESSAGE = 'internal error (see the api log)';

export function toTRPCError(err: unknown, log: (msg: string, err: unknown) => void = console.error): TRPCError {
  if (err instanceof TRPCError) return err;
  if (err instanceof AppError) return new TRPCError({ code: codeFor(err), message: err.message, cause: err });
  log('[caisson api] internal error', err);
  return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: INTERNAL_MESSAGE });
}
