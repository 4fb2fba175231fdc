// What a function's latest version is doing, read off its most recent finished invocations:
// today, whether its code fails while loading (an init failure: the module raised or exited
// before any handler ran). Its warm pools then stop starting containers in the background
// (runtime/warm/pool.ts) and every invocation reports the failure; `fn get` says so here.
import type { AttemptRecord } from '../../shared/types.js';
import type { Repositories } from '../../db/index.js';

/** The error types the runtimes' wrappers give a module that fails or exits while loading. */
export const INIT_FAILURE_TYPES = new Set([
  'Runtime.ExitError', 'Runtime.ImportModuleError', 'Runtime.UserCodeSyntaxError', 'Runtime.HandlerNotFound', 'InitError',
]);

export interface VersionState {
  /** The latest version's most recent finished invocation failed while loading its code. */
  initFailure?: { invocationId: string; errorType: string; message: string; at: string };
}

export async function versionState(db: Pick<Repositories, 'invocations'>, fn: { namespace: string; name: string; version: number }): Promise<VersionState> {
  const page = await db.invocations.list({ namespace: fn.namespace, functionName: fn.name, limit: 10 });
  const last = page.items.find((i) => i.version === fn.version && (i.status === 'SUCCEEDED' || i.status === 'FAILED'));
  if (!last || last.status !== 'FAILED') return {};
  const failure = (last.attemptLog as AttemptRecord[] | null)?.at(-1)?.failure;
  if (!failure?.errorType || !INIT_FAILURE_TYPES.has(failure.errorType)) return {};
  return {
    initFailure: {
      invocationId: last.id, errorType: failure.errorType, message: failure.message,
      at: (last.endedAt ?? last.createdAt).toISOString(),
    },
  };
}
