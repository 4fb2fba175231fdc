// What the api answers about an invocation: its row as a view, or a finished outcome as one
// before (or without) its record being read back.
import type { InvocationRow, Repositories } from '../../db/index.js';
import type { InvocationOutcomeRecord } from '../../shared/invocation.js';
import { isInline, type PayloadRef } from '../../shared/payload-ref.js';
import { countFunctionAttempts } from '../../shared/attempt-rules.js';
import type { AttemptRecord, InvocationStatus } from '../../shared/types.js';

export interface InvocationView {
  id: string;
  namespace: string;
  function: string;
  version: number;
  status: InvocationStatus;
  result?: unknown;
  error?: {
    kind: string; message: string; attempts: number; stderrTail?: string;
    /** The last attempt's error as the function's own platform reports it (Lambda's error object, OpenWhisk's {error}, …). */
    errorType?: string; platform?: Record<string, unknown>;
  };
  attempts: number;
  attemptLog: unknown[];
  cold: boolean | null;
  replayOf: string | null;
  createdAt: string;
  endedAt: string | null;
  durationMs: number | null;
  logs: { stdout: string; stderr: string };
}

export function createOutcomeViews(db: Pick<Repositories, 'blobs'>) {
  /** The view a finished outcome gives, before (or without) reading its record back. */
  async function viewFromOutcome(row: InvocationRow, o: InvocationOutcomeRecord): Promise<InvocationView> {
    const endedAt = o.endedAt ? new Date(o.endedAt) : new Date();
    const failure = o.failure;
    const view: InvocationView = {
      id: row.id, namespace: row.namespace, function: row.functionName, version: row.version, status: o.status,
      attempts: countFunctionAttempts(o.attempts), attemptLog: o.attempts, cold: o.cold ?? null, replayOf: row.replayOf,
      createdAt: row.createdAt.toISOString(), endedAt: endedAt.toISOString(),
      durationMs: endedAt.getTime() - new Date(o.acceptedAt).getTime(),
      logs: { stdout: await logText(o.logs?.stdout), stderr: await logText(o.logs?.stderr) },
    };
    if (o.status === 'SUCCEEDED' && o.result) view.result = await refValue(o.result);
    if (failure) {
      const last = o.attempts.at(-1);
      view.error = { kind: failure.kind, message: failure.message, attempts: view.attempts, ...lastFailureDetail(last?.failure) };
    }
    return view;
  }

  async function refValue(ref: PayloadRef): Promise<unknown> {
    return isInline(ref) ? ref.inline : db.blobs.getJson(ref.ref);
  }

  async function logText(ref: PayloadRef | undefined): Promise<string> {
    if (!ref) return '';
    const value = await refValue(ref);
    return typeof value === 'string' ? value : JSON.stringify(value);
  }

  return { viewFromOutcome };
}

export function toView(row: InvocationRow, status: InvocationStatus, result: unknown): InvocationView {
  const attemptLog = (row.attemptLog as unknown[] | null) ?? [];
  const view: InvocationView = {
    id: row.id, namespace: row.namespace, function: row.functionName, version: row.version, status,
    attempts: row.attempts, attemptLog, cold: row.cold, replayOf: row.replayOf,
    createdAt: row.createdAt.toISOString(), endedAt: row.endedAt?.toISOString() ?? null, durationMs: row.durationMs,
    logs: { stdout: row.stdout ?? '', stderr: row.stderr ?? '' },
  };
  if (status === 'SUCCEEDED') view.result = result;
  if (row.errorKind) {
    const last = attemptLog.at(-1) as AttemptRecord | undefined;
    view.error = { kind: row.errorKind, message: row.errorMessage ?? '', attempts: row.attempts, ...lastFailureDetail(last?.failure) };
  }
  return view;
}

/** What an invocation's error shows of its last attempt's failure. */
function lastFailureDetail(failure: AttemptRecord['failure'] | undefined): Pick<NonNullable<InvocationView['error']>, 'stderrTail' | 'errorType' | 'platform'> {
  if (!failure) return {};
  return {
    ...(failure.stderrTail ? { stderrTail: failure.stderrTail } : {}),
    ...(failure.errorType ? { errorType: failure.errorType } : {}),
    ...(failure.platform ? { platform: failure.platform } : {}),
  };
}
