// An invocation's outcome as the HTTP answer of its trigger: a success through its convention's
// response mapping; the function's error 502, its timeout 504, a run still going after the wait
// 504, each with a JSON error body; the api's own refusals with their status (400, 404, 413, 429, …).
import { isDeepStrictEqual } from 'node:util';
import { AppError, QuotaExceededError } from '../../shared/errors.js';
import type { Convention } from '../../shared/types.js';
import type { InvocationView } from '../services/invocation.service.js';
import { resultTextOf } from '../services/invocation-view.js';
import { BadFunctionAnswerError, jsonAnswer, type HttpAnswer } from './answer.js';
import { resultToAnswer } from './conventions.js';

export function outcomeAnswer(convention: Convention, view: InvocationView): HttpAnswer {
  const id = view.id;
  if (view.status === 'SUCCEEDED') {
    try {
      return resultToAnswer(convention, view.result, ownText(convention, view));
    } catch (err) {
      if (!(err instanceof BadFunctionAnswerError)) throw err;
      return jsonAnswer(502, { error: { kind: 'InvalidOutput', message: err.message }, invocationId: id });
    }
  }
  if (view.status === 'FAILED' || view.status === 'CANCELLED') {
    const kind = view.error?.kind ?? 'Cancelled';
    const error = { kind, message: view.error?.message ?? 'the invocation was cancelled', ...(view.error?.errorType ? { errorType: view.error.errorType } : {}) };
    return jsonAnswer(kind === 'FunctionTimeout' ? 504 : 502, { error, invocationId: id });
  }
  return jsonAnswer(504, { error: { kind: 'Pending', message: `the invocation is still ${view.status.toLowerCase()}; read it with caisson inv get ${id}` }, invocationId: id });
}

/** The result's JSON text as the function produced it: a script's printed line, else the text stored beside the value (result-protocol.ts). */
function ownText(convention: Convention, view: InvocationView): string | undefined {
  if (convention === 'script') return printedResult(view);
  return convention === 'openfaas' ? undefined : resultTextOf(view);
}

/**
 * A script's result as it printed it (stdout is its result): `4.0` stays `4.0`, which the
 * parsed value would not. Used only when that text parses to the very result recorded.
 */
function printedResult(view: InvocationView): string | undefined {
  const text = view.logs.stdout.trim();
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  for (const candidate of [text, lines.at(-1) ?? '']) {
    try {
      if (candidate && isDeepStrictEqual(JSON.parse(candidate), view.result)) return candidate;
    } catch {
      // not JSON: try the next candidate
    }
  }
  return undefined;
}

const STATUS: Record<string, number> = {
  VALIDATION: 400, NOT_FOUND: 404, CONFLICT: 409, LIMIT_EXCEEDED: 413, UNAUTHORIZED: 401, FORBIDDEN: 403,
  QUOTA_EXCEEDED: 429, RUNTIME_UNAVAILABLE: 503,
};

/** An AppError from the api (refused before anything ran) as its answer; null: not one of ours. */
export function refusalAnswer(err: unknown): HttpAnswer | null {
  if (!(err instanceof AppError)) return null;
  const status = STATUS[err.code] ?? 500;
  const retryAfter = err instanceof QuotaExceededError && typeof err.details?.retryAfterS === 'number' ? err.details.retryAfterS : undefined;
  return jsonAnswer(status, { error: { code: err.code, message: status === 500 ? 'internal error' : err.message } },
    retryAfter === undefined ? [] : [['retry-after', String(retryAfter)]]);
}
