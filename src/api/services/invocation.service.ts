// Starting, awaiting, reading and cancelling invocations. The api resolves the function
// version and writes the PENDING record before every start; the workflow does the rest and
// records the outcome before it completes, so once the workflow is closed the database row is
// final. One exception, for speed: a synchronous caller writes the record of a success itself
// (invocation-recorder.ts); how it waits for that outcome is chosen in sync-wait.ts.
import type { Client, WorkflowStartOptions } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';

import { ConflictError, LimitExceededError, NotFoundError } from '../../shared/errors.js';
import { invocationIdForKey, newInvocationId } from '../../shared/ids.js';
import type { InvocationOutcomeRecord, InvokeFunctionInput, TaskQueues } from '../../shared/invocation.js';
import { isInline, type PayloadRef } from '../../shared/payload-ref.js';
import { withinMs } from '../../shared/promises.js';
import { countFunctionAttempts, type AttemptRecord, type FunctionVersionSpec, type InvocationStatus } from '../../shared/types.js';
import { invocationRetryPolicy, type InvocationRetry } from '../../shared/retry-rule.js';
import { CaissonFunction, CaissonNamespace, CaissonVersion } from '../../temporal/search-attributes.js';
import type { Repositories, InvocationRow } from '../../db/index.js';
import { rowInputOf } from './invocation-input.js';
import { createInvocationRecorder } from './invocation-recorder.js';
import { TERMINAL_STATUSES, createInvocationRecovery } from './invocation-recovery.js';
import { startAndAwaitOutcome, syncWaitPolicy } from './sync-wait.js';
import { invokeFunction } from '../../temporal/workflow-refs.js';
import type { QuotaService } from './quota.service.js';

export interface InvocationServiceDeps {
  db: Repositories;
  temporal: Client;
  taskQueues: TaskQueues;
  limits: { payloadBytes: number; inlineBytes: number };
  /** Writes an invocation's final record (the control store's, shared with the control activities). */
  recordOutcome(record: InvocationOutcomeRecord): Promise<void>;
  /** Admits each new invocation under its namespace's concurrency and rate quotas. */
  quotas: Pick<QuotaService, 'admit' | 'quotasOf' | 'chargeBlob'>;
  /**
   * The Temporal client shares its (native) connection with a data-plane worker in this
   * process: a start may then ask the server to hand the first workflow task straight to
   * that worker (eager start), skipping the task queue's dispatch.
   */
  eagerStart?: boolean;
  /**
   * Whether workers run warm containers (CAISSON_WARM as this process reads it; default yes).
   * When they do not, every attempt goes cold, and update-with-start answers it before its
   * container's removal.
   */
  warmWorkers?: boolean;
  log?: (message: string) => void;
}

export interface StartRequest {
  namespace: string;
  function: string;
  version: number | 'latest';
  payload: unknown;
  idempotencyKey?: string;
  /** Retries of this invocation; absent: the rule of src/shared/retry-rule.ts. */
  retry?: InvocationRetry;
}

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

export function createInvocationService(deps: InvocationServiceDeps) {
  const { db, temporal, taskQueues, limits, recordOutcome } = deps;
  const recorder = createInvocationRecorder({ temporal, recordOutcome, log: deps.log });
  const recovery = createInvocationRecovery({ db, temporal, recorder });

  /**
   * Resolves the version, checks limits, names the invocation and admits it under the
   * namespace's quotas (the caller releases the admission once the row is written); writes
   * nothing but a large payload's blob, and that only once admitted and charged to the
   * namespace's blobBytes quota (past it: 429, nothing stored).
   */
  async function resolveRequest(req: StartRequest & { replayOf?: string }, sync: boolean) {
    // Workers cap the namespace's warm containers with the quota the invocation carries.
    const [stored, quotas] = await Promise.all([db.functions.getVersionSpec(req.namespace, req.function, req.version), deps.quotas.quotasOf(req.namespace)]);
    // The run carries the policy this invocation retries under (a sync invoke: one attempt
    // unless the version's policy was given or the call asks), so workers need no rule of their own.
    const retryPolicy = invocationRetryPolicy({ spec: stored, sync, retry: req.retry });
    const spec: FunctionVersionSpec = { ...stored, retryPolicy, namespaceWarmContainers: quotas.warmContainers };
    const payloadText = JSON.stringify(req.payload ?? null);
    const payloadBytes = Buffer.byteLength(payloadText);
    if (payloadBytes > limits.payloadBytes) throw new LimitExceededError('payload', payloadBytes, limits.payloadBytes);
    const invocationId = req.idempotencyKey
      ? await invocationIdForKey(req.namespace, req.idempotencyKey)
      : newInvocationId();

    const admission = await deps.quotas.admit(req.namespace);
    const large = payloadBytes > limits.inlineBytes;
    const payload: PayloadRef = large
      ? { ref: await storePayload(req.namespace, payloadText, payloadBytes).catch((err: unknown) => { admission.release(false); throw err; }), sizeBytes: payloadBytes }
      : { inline: req.payload ?? null };
    const input: InvokeFunctionInput = { invocationId, spec, payload, taskQueues, acceptedAt: new Date().toISOString() };
    const rowInput = rowInputOf(input, { payloadText, idempotencyKey: req.idempotencyKey, replayOf: req.replayOf });
    return { invocationId, rowInput, input, options: workflowOptions(spec, input), admission };
  }

  async function storePayload(namespace: string, text: string, bytes: number): Promise<string> {
    await deps.quotas.chargeBlob(namespace, bytes);
    return db.blobs.put(Buffer.from(text), { namespace });
  }

  /** Resolves the request and writes its PENDING row (or finds the key's row: created=false). */
  async function prepare(req: StartRequest & { replayOf?: string }, sync: boolean) {
    const resolved = await resolveRequest(req, sync);
    const { row, created } = await db.invocations.create(resolved.rowInput).then(
      (r) => { resolved.admission.release(r.created); return r; },
      (err: unknown) => { resolved.admission.release(false); throw err; },
    );
    if (created) return { ...resolved, row, created };
    if (row.inputHash !== resolved.rowInput.inputHash) {
      throw new ConflictError(`idempotency key '${req.idempotencyKey}' was used with a different function version or input (invocation ${row.id})`);
    }
    // The key's invocation was accepted when its row was written (a start now, should the
    // first have been lost, carries that time).
    const input: InvokeFunctionInput = { ...resolved.input, acceptedAt: row.createdAt.toISOString() };
    return { ...resolved, input, options: workflowOptions(input.spec, input), row, created };
  }

  function workflowOptions(spec: FunctionVersionSpec, input: InvokeFunctionInput) {
    // Starting again with the same id is harmless: a running workflow is reused and a
    // closed one is never re-run, so one key never runs the function twice.
    return {
      workflowId: input.invocationId,
      taskQueue: taskQueues.data,
      args: [input] as [InvokeFunctionInput],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: CaissonFunction, value: spec.name },
        { key: CaissonVersion, value: spec.version },
        { key: CaissonNamespace, value: spec.namespace },
      ],
      staticSummary: `${spec.namespace}/${spec.name} v${spec.version}`,
    } satisfies WorkflowStartOptions<typeof invokeFunction>;
  }

  /** Starts the run; one already started under this id (a key used again) is the run. */
  async function startOnce(options: ReturnType<typeof workflowOptions>): Promise<void> {
    try {
      await temporal.workflow.start(invokeFunction, options);
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  async function start(req: StartRequest & { replayOf?: string }): Promise<{ invocationId: string; deduplicated: boolean }> {
    const { invocationId, created, options } = await prepare(req, false);
    await startOnce(options);
    return { invocationId, deduplicated: !created };
  }

  /** Starts the invocation and waits up to waitMs for its outcome; the row is written first. */
  async function invoke(req: StartRequest, waitMs: number): Promise<InvocationView> {
    const deadline = Date.now() + waitMs;
    const { invocationId, row, created, input, options } = await prepare(req, true);
    if (!created) {
      await startOnce(options);
      return wait(invocationId, Math.max(0, deadline - Date.now()));
    }
    const policy = syncWaitPolicy(input.spec, deps.warmWorkers !== false);
    const run = await startAndAwaitOutcome({ temporal, policy, options, eagerStart: deps.eagerStart });
    recorder.recordAfterAnswer(run.answer);
    // Not answered in time, or not at all (a failure recorded by the workflow, a run ended by
    // cancellation first): read the record.
    const answered = await run.within(waitMs);
    if (answered) return viewFromOutcome(row, answered);
    return wait(invocationId, Math.max(0, deadline - Date.now()));
  }

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

  /** Waits up to waitMs for the workflow to close; answers the record either way. */
  async function wait(id: string, waitMs: number): Promise<InvocationView> {
    // An id that names nothing is answered at once, not after waitMs of polling for a run.
    if (!(await db.invocations.get(id))) throw new NotFoundError('invocation', id);
    const deadline = Date.now() + waitMs;
    const handle = temporal.workflow.getHandle(id);
    while (Date.now() < deadline) {
      const closed = await withinMs(handle.result().then(
        () => true,
        // A failed, cancelled or terminated run is closed (its details are in the record);
        // anything else (a long poll cut short, a connection hiccup) means wait on.
        (err: unknown) => err instanceof WorkflowFailedError,
      ), deadline - Date.now());
      if (closed) break;
      if (Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    }
    return get(id);
  }

  async function get(id: string): Promise<InvocationView> {
    const row = await db.invocations.get(id);
    if (!row) throw new NotFoundError('invocation', id);
    let status = row.status as InvocationStatus;
    if (!TERMINAL_STATUSES.includes(status)) {
      const live = await recovery.liveState(id, status);
      if (live.outcome) return viewFromOutcome(row, live.outcome);
      status = live.status;
    }
    return toView(row, status, row.resultRef ? await db.blobs.getJson(row.resultRef) : row.result);
  }

  async function cancel(id: string): Promise<InvocationView> {
    const row = await db.invocations.get(id);
    if (!row) throw new NotFoundError('invocation', id);
    if (!TERMINAL_STATUSES.includes(row.status as InvocationStatus)) {
      await temporal.workflow.getHandle(id).cancel();
      return wait(id, 10_000);
    }
    return get(id);
  }

  return {
    start, invoke, wait, get, cancel,
    /** At api start (invocation-recovery.ts): rows left unwritten or unfinished by a stopped api. */
    repairUnrecorded: recovery.repairUnrecorded,
    /** Rows of a namespace that hold a concurrency slot but whose run never started: recorded FAILED. */
    failNeverStarted: recovery.failNeverStarted,
  };
}

function toView(row: InvocationRow, status: InvocationStatus, result: unknown): InvocationView {
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

export type InvocationService = ReturnType<typeof createInvocationService>;

/** What an invocation's error shows of its last attempt's failure. */
function lastFailureDetail(failure: AttemptRecord['failure'] | undefined): Pick<NonNullable<InvocationView['error']>, 'stderrTail' | 'errorType' | 'platform'> {
  if (!failure) return {};
  return {
    ...(failure.stderrTail ? { stderrTail: failure.stderrTail } : {}),
    ...(failure.errorType ? { errorType: failure.errorType } : {}),
    ...(failure.platform ? { platform: failure.platform } : {}),
  };
}
