// Classifies dockerode errors: engine unreachable / 5xx → RuntimeUnavailableError (retry),
// status codes the runtime handles itself (404, 409, 304) are read with statusOf().
import { RuntimeUnavailableError, errorMessage } from '../../shared/errors.js';

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'EACCES',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ESOCKETTIMEDOUT',
]);

export function statusOf(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

export function isEngineUnavailable(err: unknown): boolean {
  if (err instanceof RuntimeUnavailableError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
  const status = statusOf(err);
  return status !== undefined && status >= 500;
}

/** Engine trouble becomes RuntimeUnavailableError; anything else is rethrown untouched. */
export function toRuntimeError(err: unknown, doing: string): unknown {
  if (err instanceof RuntimeUnavailableError) return err;
  if (isEngineUnavailable(err)) {
    return new RuntimeUnavailableError(`docker engine unavailable while ${doing}: ${errorMessage(err)}`, err);
  }
  return err;
}

/** Runs an engine call, translating engine-unreachable errors. */
export async function engineCall<T>(doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toRuntimeError(err, doing);
  }
}
