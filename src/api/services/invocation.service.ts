// Starting, awaiting, reading and cancelling invocations. The api resolves the function
// version and writes the PENDING record; the workflow does the rest and records the outcome
// before it completes, so once the workflow is closed the database row is final.
//
// A synchronous invoke of a cold version (isolation 'fresh') starts the workflow with the
// `outcome` update (update-with-start) and answers from the outcome the update returns,
// without waiting for the container's removal and the workflow's last task. It writes the
// record of a success itself (the workflow then runs no record activity: one activity task
// and one workflow task less per invocation, which is what bounds warm throughput). Should this process die before writing it, the
// workflow's result carries the record: get() repairs the row from it, and so does the
// sweep at api start (repairUnrecorded).
//
// A version that runs warm (whatever its timeout: warm attempts are local activities, see
// warm-attempt.ts) ends a warm success with no container to remove, usually in the
// workflow's first task; its sync invoke starts the workflow plainly, with callerRecords in
// its input, and awaits its result (eagerly started when a worker of this process shares the
// client's connection).
//
// A sync invoke without an idempotency key writes its PENDING row while the workflow starts,
// not before (its id is new, so the row cannot conflict): ~1 ms less per invoke. Should this
// process die in between, the run has no row; invocation-recovery.ts writes it from the run,
// on read and at api start.
import type { Client, WorkflowStartOptions } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';

import { ConflictError, LimitExceededError, NotFoundError } from '../../shared/errors.js';
import { invocationIdForKey, newInvocationId } from '../../shared/ids.js';
import {
  OUTCOME_UPDATE,
  type InvocationOutcomeRecord,
  type InvokeFunctionInput,
  type InvokeFunctionResult,
  type TaskQueues,
} from '../../shared/invocation.js';
import { isInline, type PayloadRef } from '../../shared/payload-ref.js';
import { withinMs } from '../../shared/promises.js';
import { countFunctionAttempts, type AttemptRecord, type FunctionVersionSpec, type InvocationStatus } from '../../shared/types.js';
import { runsWarm } from '../../shared/workflow-values.js';
import { invocationRetryPolicy, type InvocationRetry } from '../../shared/retry-rule.js';
import { CaissonFunction, CaissonNamespace, CaissonVersion } from '../../temporal/search-attributes.js';
import { startWithUpdate, type UpdateWithStart } from '../../temporal/update-with-start.js';
import { pendingRow, type Repositories, type InvocationRow } from '../../db/index.js';
import { rowInputOf } from './invocation-input.js';
import { TERMINAL_STATUSES, createInvocationRecovery } from './invocation-recovery.js';
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
  /** An /async-function caller's X-Callback-Url (already checked against the allowlist): the outcome is POSTed there. */
  callback?: { url: string };
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
  const log = deps.log ?? (() => {});
  const recovery = createInvocationRecovery({ db, temporal, taskQueue: taskQueues.data, recordOutcome });

  /** Writes a success the workflow left to its synchronous caller; a failure is only logged (repaired later). */
  async function recordForCaller(outcome: InvocationOutcomeRecord): Promise<void> {
    if (outcome.status !== 'SUCCEEDED') return; // the workflow recorded it before answering
    try {
      await recordOutcome(outcome);
    } catch (err) {
      log(`could not record invocation ${outcome.invocationId} (repaired on the next read): ${(err as Error).message}`);
    }
  }

  /**
   * Writes the caller's record whenever the outcome arrives (even after waitMs ran out), once
   * the answer is on its way: PGlite runs a query synchronously on this thread, and writing
   * first delayed every answer by the write (~2 ms, bench/warm.bench.ts). Until it lands,
   * get() answers from the workflow (its outcome query, or its result, which also repairs the row).
   */
  function recordAfterAnswer(outcome: Promise<InvocationOutcomeRecord | undefined>): void {
    outcome.then((o) => o && setImmediate(() => void recordForCaller(o)), () => undefined);
  }

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
    const input: InvokeFunctionInput = {
      invocationId, spec, payload, taskQueues, acceptedAt: new Date().toISOString(), ...(req.callback ? { callback: req.callback } : {}),
    };
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
    } satisfies WorkflowStartOptions;
  }

  /** Starts the run; one already started under this id (a key used again) is the run. */
  async function startOnce(options: ReturnType<typeof workflowOptions>): Promise<void> {
    try {
      await temporal.workflow.start('invokeFunction', options);
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  async function start(req: StartRequest & { replayOf?: string }): Promise<{ invocationId: string; deduplicated: boolean }> {
    const { invocationId, created, options } = await prepare(req, false);
    await startOnce(options);
    return { invocationId, deduplicated: !created };
  }

  /**
   * Admits and records an invocation (PENDING row) without starting its run: the caller starts
   * it, as a schedule's fire does with a child workflow (fire-schedule.workflow.ts).
   */
  async function accept(req: StartRequest): Promise<{ invocationId: string; input: InvokeFunctionInput; created: boolean }> {
    const { invocationId, input, created } = await prepare(req, false);
    return { invocationId, input, created };
  }

  /** Starts the invocation and waits up to waitMs for its outcome. */
  async function invoke(req: StartRequest, waitMs: number): Promise<InvocationView> {
    const deadline = Date.now() + waitMs;
    if (!req.idempotencyKey) return invokeNew(req, waitMs, deadline);
    const { invocationId, row, created, input, options } = await prepare(req, true);
    if (!created) {
      await startOnce(options);
      return wait(invocationId, Math.max(0, deadline - Date.now()));
    }
    return answer({ row, input, options, written: Promise.resolve() }, waitMs, deadline);
  }

  /**
   * A request without a key: its id is new, so its PENDING row is written while the workflow
   * starts. Every write of the outcome waits for that row (never a record under a late PENDING).
   */
  async function invokeNew(req: StartRequest, waitMs: number, deadline: number): Promise<InvocationView> {
    const { rowInput, input, options, admission } = await resolveRequest(req, true);
    const written = db.invocations.create(rowInput).then(
      () => undefined,
      // The outcome's record creates the row when it lands; else recovery does (see top).
      (err: Error) => log(`could not write the PENDING row of ${rowInput.id} (written with its outcome): ${err.message}`),
    ).finally(() => admission.release());
    return answer({ row: pendingRow(rowInput), input, options, written }, waitMs, deadline);
  }

  /** Starts a new invocation's run and answers its outcome, or its record after waitMs. */
  async function answer(
    started: { row: InvocationRow; input: InvokeFunctionInput; options: ReturnType<typeof workflowOptions>; written: Promise<void> },
    waitMs: number, deadline: number,
  ): Promise<InvocationView> {
    const { row, input, options, written } = started;
    const run = runsWarm(input.spec) && deps.warmWorkers !== false
      ? await startForResult(options, input)
      : startWithUpdate<InvocationOutcomeRecord>(temporal, { workflowType: 'invokeFunction', options, update: OUTCOME_UPDATE });
    recordAfterAnswer(written.then(() => run.answer));
    await written;
    // Not answered in time, or not at all (a failure recorded by the workflow, a run ended by
    // cancellation first): read the record.
    const answered = await run.within(waitMs);
    if (answered) return viewFromOutcome(row, answered);
    return wait(input.invocationId, Math.max(0, deadline - Date.now()));
  }

  /**
   * A warm success ends in the workflow's first task (or, for a function outlasting the local
   * bound, at its awaitWarm) with nothing to remove, so its result is its outcome: a plain
   * start (eager when a worker shares the connection) and the result, ~3 ms less than
   * update-with-start on this machine (bench/warm.bench.ts). An attempt that falls back to a
   * cold container answers after its removal then.
   */
  async function startForResult(
    options: ReturnType<typeof workflowOptions>, input: InvokeFunctionInput,
  ): Promise<UpdateWithStart<InvocationOutcomeRecord | undefined>> {
    const handle = await temporal.workflow.start('invokeFunction', {
      ...options, args: [{ ...input, callerRecords: true }],
      ...(deps.eagerStart ? { requestEagerStart: true } : {}),
    });
    const outcome = (handle.result() as Promise<InvokeFunctionResult>).then((r) => r.record);
    return { answer: outcome, within: (ms) => withinMs(outcome.catch(() => undefined), ms) };
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
    if (!(await db.invocations.get(id)) && !(await recovery.rowFromRun(id))) throw new NotFoundError('invocation', id);
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
    // No row: its run may still exist (an api died between the start and the row, see top).
    const row = (await db.invocations.get(id)) ?? (await recovery.rowFromRun(id));
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
    const row = (await db.invocations.get(id)) ?? (await recovery.rowFromRun(id));
    if (!row) throw new NotFoundError('invocation', id);
    if (!TERMINAL_STATUSES.includes(row.status as InvocationStatus)) {
      await temporal.workflow.getHandle(id).cancel();
      return wait(id, 10_000);
    }
    return get(id);
  }

  return {
    start, invoke, wait, get, cancel, accept,
    /** At api start (invocation-recovery.ts): rows left unwritten or unfinished by a stopped api. */
    repairUnrecorded: recovery.repairUnrecorded,
    recoverOrphans: recovery.recoverOrphans,
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
