// What the api answers about an invocation: its row as a view, or a finished outcome as one
// before (or without) its record being read back.
import type { InvocationRow, Repositories } from '../../db/index.js';
import type { InvocationOutcomeRecord } from '../../shared/invocation.js';
import { callerOf, type InvocationCaller } from '../../shared/caller.js';
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
  /** Who called: an api key, or anonymous with the client address (HTTP triggers); null: not recorded. */
  caller: InvocationCaller | null;
  createdAt: string;
  endedAt: string | null;
  durationMs: number | null;
  logs: { stdout: string; stderr: string };
}

/**
 * A result's JSON text as stored (its blob), kept beside its view rather than in it: api answers
 * carry the value; the HTTP trigger answers a handler's own text, so 4.0 stays 4.0.
 */
const resultTexts = new WeakMap<InvocationView, string>();

export function resultTextOf(view: InvocationView): string | undefined {
  return resultTexts.get(view);
}

/** A result stored by reference: its value, and the JSON text it was stored as. */
export async function storedResult(db: Pick<Repositories, 'blobs'>, ref: string): Promise<StoredResult> {
  const bytes = await db.blobs.get(ref);
  if (!bytes) return { value: null };
  const text = bytes.toString('utf8');
  return { value: JSON.parse(text) as unknown, text };
}

export interface StoredResult {
  value: unknown;
  text?: string;
}

function setResult(view: InvocationView, stored: StoredResult): void {
  view.result = stored.value;
  if (stored.text !== undefined) resultTexts.set(view, stored.text);
}

export function createOutcomeViews(db: Pick<Repositories, 'blobs'>) {
  /** The view a finished outcome gives, before (or without) reading its record back. */
  async function viewFromOutcome(row: InvocationRow, o: InvocationOutcomeRecord): Promise<InvocationView> {
    const endedAt = o.endedAt ? new Date(o.endedAt) : new Date();
    const failure = o.failure;
    const view: InvocationView = {
      id: row.id, namespace: row.namespace, function: row.functionName, version: row.version, status: o.status,
      attempts: countFunctionAttempts(o.attempts), attemptLog: o.attempts, cold: o.cold ?? null, replayOf: row.replayOf, caller: callerOf(row),
      createdAt: row.createdAt.toISOString(), endedAt: endedAt.toISOString(),
      durationMs: endedAt.getTime() - new Date(o.acceptedAt).getTime(),
      logs: { stdout: await logText(o.logs?.stdout), stderr: await logText(o.logs?.stderr) },
    };
    if (o.status === 'SUCCEEDED' && o.result) setResult(view, isInline(o.result) ? { value: o.result.inline } : await storedResult(db, o.result.ref));
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

export function toView(row: InvocationRow, status: InvocationStatus, result: StoredResult): InvocationView {
  const attemptLog = (row.attemptLog as unknown[] | null) ?? [];
  const view: InvocationView = {
    id: row.id, namespace: row.namespace, function: row.functionName, version: row.version, status,
    attempts: row.attempts, attemptLog, cold: row.cold, replayOf: row.replayOf, caller: callerOf(row),
    createdAt: row.createdAt.toISOString(), endedAt: row.endedAt?.toISOString() ?? null, durationMs: row.durationMs,
    logs: { stdout: row.stdout ?? '', stderr: row.stderr ?? '' },
  };
  if (status === 'SUCCEEDED') setResult(view, result);
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
