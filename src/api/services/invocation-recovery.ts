// Repairing invocation records from Temporal, which holds every run: a run's input names its
// function version and payload, and a synchronous caller's success is in its result. Two
// gaps are repaired here, on read (get) and by a sweep at api start:
//
// - unrecorded: a row not final whose run completed while no one wrote the record (the
//   synchronous caller died between its answer and the write);
// - orphaned: a run with no row at all. A synchronous invoke without an idempotency key
//   writes its PENDING row in parallel with the workflow's start (invocation.service.ts),
//   so an api that dies in between leaves a run the database has never heard of.
//
// The orphan sweep lists, through Temporal's visibility, this deployment's invokeFunction
// runs (its data task queue) started since ORPHAN_WINDOW_MS before the newest row (an insert
// in flight at the crash belonged to a start no older than that), and writes the row of each
// one without. An empty database has no newest row: nothing is swept then (get still finds
// a run by its id). A chain step's run is recorded by its chain, never here.
//
// - never started: a row PENDING or RUNNING for longer than ORPHAN_WINDOW_MS whose run does
//   not exist (its start failed, or its api died between the row and the start). It would
//   hold one of its namespace's concurrency slots forever; it is recorded FAILED
//   (InfrastructureError) by the sweep at api start, and when a namespace is refused at its
//   concurrency quota (quota.service.ts). A run started later under the same id (an
//   idempotency key used again) records its own outcome over it.
import type { Client } from '@temporalio/client';
import type { InvocationRow, Repositories } from '../../db/index.js';
import {
  OUTCOME_QUERY,
  type InvocationOutcomeRecord,
  type InvokeFunctionInput,
  type InvokeFunctionResult,
} from '../../shared/invocation.js';
import type { InvocationStatus } from '../../shared/types.js';
import { isRunNotFound } from '../../temporal/run-not-found.js';
import { rowInputOf } from './invocation-input.js';

/** How far before the newest row the orphan sweep looks (far longer than any insert takes). */
export const ORPHAN_WINDOW_MS = 10 * 60_000;
const SWEEP_BATCH = 500;

export const TERMINAL_STATUSES: InvocationStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

export interface InvocationRecoveryDeps {
  db: Repositories;
  temporal: Client;
  /** The task queue invocations run on: the sweep looks at this deployment's runs only. */
  taskQueue: string;
  /** Writes an invocation's final record (the control store's). */
  recordOutcome(record: InvocationOutcomeRecord): Promise<void>;
}

export function createInvocationRecovery(deps: InvocationRecoveryDeps) {
  const { db, temporal, recordOutcome } = deps;

  /**
   * A row not yet final: is the run going, and is its outcome already known? A completed run
   * whose caller did not write the record (it died) is repaired here from the run's result.
   */
  async function liveState(id: string, recorded: InvocationStatus): Promise<{ status: InvocationStatus; outcome?: InvocationOutcomeRecord }> {
    try {
      const handle = temporal.workflow.getHandle(id);
      const d = await handle.describe();
      if (d.status.name === 'COMPLETED') {
        const { record } = (await handle.result()) as InvokeFunctionResult;
        if (!record) return { status: recorded };
        await recordOutcome(record);
        return { status: record.status, outcome: record };
      }
      if (d.status.name !== 'RUNNING') return { status: recorded };
      const outcome = await handle.query<InvocationOutcomeRecord | null>(OUTCOME_QUERY).catch(() => null);
      return outcome ? { status: outcome.status, outcome } : { status: 'RUNNING' };
    } catch {
      return { status: recorded };
    }
  }

  /**
   * The row of an invocation whose run exists but whose row was never written, written now
   * from the run's input (PENDING; liveState then brings it up to date). Null when there is
   * no such run, or the id is a chain step's.
   */
  async function rowFromRun(id: string): Promise<InvocationRow | null> {
    if (id.includes('.')) return null; // a chain step: its chain writes its row
    let history;
    try {
      history = await temporal.workflow.getHandle(id).fetchHistory();
    } catch (err) {
      if (isRunNotFound(err)) return null;
      throw err;
    }
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    const payload = started?.input?.payloads?.[0];
    if (started?.workflowType?.name !== 'invokeFunction' || !payload) return null;
    const input = temporal.options.loadedDataConverter.payloadConverter.fromPayload<InvokeFunctionInput>(payload);
    await db.invocations.create(rowInputOf(input));
    return db.invocations.get(id);
  }

  /** Records FAILED a row whose run does not exist (see the top); true when it did. */
  async function failIfNeverStarted(id: string): Promise<boolean> {
    if (id.includes('.')) return false; // a chain step: its run's id is not its row's
    try {
      await temporal.workflow.getHandle(id).describe();
      return false;
    } catch (err) {
      if (!isRunNotFound(err)) return false;
    }
    return db.invocations.complete({
      id, status: 'FAILED', errorKind: 'InfrastructureError', attempts: 0, endedAt: new Date(),
      errorMessage: 'the invocation was accepted but its run never started (the start failed, or the api stopped first)',
    });
  }

  /** A namespace's rows in flight for longer than ORPHAN_WINDOW_MS whose run never started: FAILED. Returns how many. */
  async function failNeverStarted(namespace: string): Promise<number> {
    let failed = 0;
    for (const id of await db.quotas.staleInFlightIds(namespace, new Date(Date.now() - ORPHAN_WINDOW_MS))) {
      if (await failIfNeverStarted(id)) failed++;
    }
    return failed;
  }

  /** At api start: rows whose run completed while no one wrote the record, or never started. Returns how many. */
  async function repairUnrecorded(): Promise<number> {
    let repaired = 0;
    const staleBefore = Date.now() - ORPHAN_WINDOW_MS;
    for (const id of await db.invocations.unfinishedIds()) {
      const row = await db.invocations.get(id);
      if (!row || TERMINAL_STATUSES.includes(row.status)) continue;
      const live = await liveState(id, row.status);
      if (live.outcome && TERMINAL_STATUSES.includes(live.status)) repaired++;
      else if (!live.outcome && row.createdAt.getTime() < staleBefore && (await failIfNeverStarted(id))) repaired++;
    }
    return repaired;
  }

  /** At api start: runs with no row (see the top of this file). Returns how many rows it wrote. */
  async function recoverOrphans(): Promise<number> {
    const newest = await db.invocations.newestCreatedAt();
    if (!newest) return 0;
    const since = new Date(newest.getTime() - ORPHAN_WINDOW_MS).toISOString();
    const query = `WorkflowType = 'invokeFunction' AND TaskQueue = '${deps.taskQueue}' AND StartTime >= '${since}'`;
    let recovered = 0;
    let batch: string[] = [];
    const flush = async () => {
      const known = await db.invocations.existingIds(batch);
      for (const id of batch) {
        if (known.has(id)) continue;
        const row = await rowFromRun(id);
        if (!row) continue;
        recovered++;
        await liveState(id, row.status);
      }
      batch = [];
    };
    for await (const run of temporal.workflow.list({ query })) {
      if (run.workflowId.includes('/')) continue; // a chain step's child
      batch.push(run.workflowId);
      if (batch.length >= SWEEP_BATCH) await flush();
    }
    await flush();
    return recovered;
  }

  return { liveState, rowFromRun, repairUnrecorded, recoverOrphans, failNeverStarted };
}

export type InvocationRecovery = ReturnType<typeof createInvocationRecovery>;

