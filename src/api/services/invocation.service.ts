// Starting, awaiting, reading and cancelling invocations. The api resolves the function
// version and writes the PENDING record before every start; the workflow does the rest and
// records the outcome before it completes, so once the workflow is closed the database row is
// final. One exception, for speed: a synchronous caller writes the record of a success itself
// (invocation-recorder.ts); how it waits for that outcome is chosen in sync-wait.ts.
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';

import { NotFoundError } from '../../shared/errors.js';
import type { InvocationOutcomeRecord, InvokeFunctionInput, TaskQueues } from '../../shared/invocation.js';
import { withinMs } from '../../shared/promises.js';
import type { InvocationStatus } from '../../shared/types.js';
import type { Repositories } from '../../db/index.js';
import { invokeFunction } from '../workflow-refs.js';
import { createInvocationAdmission, type InvocationStartOptions, type StartRequest } from './invocation-admission.js';
import { createInvocationRecorder } from './invocation-recorder.js';
import { TERMINAL_STATUSES, createInvocationRecovery } from './invocation-recovery.js';
import { createOutcomeViews, storedResult, toView, type InvocationView } from './invocation-view.js';
import { startAndAwaitOutcome, syncWaitPolicy } from './sync-wait.js';
import type { QuotaService } from './quota.service.js';

export type { InvocationView, StartRequest };

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

export function createInvocationService(deps: InvocationServiceDeps) {
  const { db, temporal, recordOutcome } = deps;
  const recorder = createInvocationRecorder({ temporal, recordOutcome, log: deps.log });
  const recovery = createInvocationRecovery({ db, temporal, recorder });
  const { prepare } = createInvocationAdmission(deps);
  const { viewFromOutcome } = createOutcomeViews(db);

  /** Starts the run; one already started under this id (a key used again) is the run. */
  async function startOnce(options: InvocationStartOptions): Promise<void> {
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

  /**
   * Admits and records an invocation (PENDING row) without starting its run: the caller starts
   * it, as a schedule's fire does with a child workflow (fire-schedule.workflow.ts).
   */
  async function accept(req: StartRequest): Promise<{ invocationId: string; input: InvokeFunctionInput; created: boolean }> {
    const { invocationId, input, created } = await prepare(req, false);
    return { invocationId, input, created };
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
    return toView(row, status, row.resultRef ? await storedResult(db, row.resultRef) : { value: row.result });
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
    start, invoke, wait, get, cancel, accept,
    /** At api start (invocation-recovery.ts): rows left unwritten or unfinished by a stopped api. */
    repairUnrecorded: recovery.repairUnrecorded,
    /** Rows of a namespace that hold a concurrency slot but whose run never started: recorded FAILED. */
    failNeverStarted: recovery.failNeverStarted,
  };
}

export type InvocationService = ReturnType<typeof createInvocationService>;

