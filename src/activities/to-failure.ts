// Turns thrown errors into ApplicationFailure, per STYLE.md: type = code, nonRetryable = !retryable.
import { ApplicationFailure } from '@temporalio/activity';
import { AppError } from '../shared/errors.js';

export function toApplicationFailure(err: unknown): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof AppError) {
    return ApplicationFailure.create({ type: err.code, message: err.message, nonRetryable: !err.retryable, cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  // Unknown errors are infrastructure until proven otherwise: retry them.
  return ApplicationFailure.create({ type: 'RUNTIME_UNAVAILABLE', message, nonRetryable: false });
}

/** Wraps every activity so its errors cross into Temporal typed. */
export function typedActivities<T extends Record<string, (...args: never[]) => Promise<unknown>>>(acts: T): T {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(acts)) {
    out[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        throw toApplicationFailure(err);
      }
    };
  }
  return out as T;
}
