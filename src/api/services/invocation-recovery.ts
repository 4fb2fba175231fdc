// Repairing invocation records from Temporal, which holds every run. The api writes an
// invocation's PENDING row before it starts the run, so every run has a row; two gaps remain,
// repaired on read (get) and by a sweep at api start:
//
// - unrecorded: a row not final whose run completed while no one wrote the record (the
//   synchronous caller died between its answer and the write; invocation-recorder.ts);
// - never started: a row PENDING or RUNNING for longer than STALE_AFTER_MS whose run does
//   not exist (its start failed, or its api died between the row and the start). It would
//   hold one of its namespace's concurrency slots forever; it is recorded FAILED
//   (InfrastructureError) by the sweep at api start, and when a namespace is refused at its
//   concurrency quota (quota.service.ts). A run started later under the same id (an
//   idempotency key used again) records its own outcome over it.
import type { Client } from '@temporalio/client';
import type { Repositories } from '../../db/index.js';
import type { InvocationOutcomeRecord } from '../../shared/invocation.js';
import { outcomeQuery } from '../../shared/workflow-messages.js';
import type { InvocationStatus } from '../../shared/types.js';
import { isRunNotFound } from '../../temporal/run-not-found.js';
import type { InvocationRecorder } from './invocation-recorder.js';

/** How long a row may wait for its run before it counts as never started (far longer than any start takes). */
export const STALE_AFTER_MS = 10 * 60_000;

export const TERMINAL_STATUSES: InvocationStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

export interface InvocationRecoveryDeps {
  db: Repositories;
  temporal: Client;
  /** Repairs a record a synchronous caller left unwritten. */
  recorder: Pick<InvocationRecorder, 'repairFromResult'>;
}

export function createInvocationRecovery(deps: InvocationRecoveryDeps) {
  const { db, temporal, recorder } = deps;

  /**
   * A row not yet final: is the run going, and is its outcome already known? A completed run
   * whose caller did not write the record (it died) is repaired here from the run's result.
   */
  async function liveState(id: string, recorded: InvocationStatus): Promise<{ status: InvocationStatus; outcome?: InvocationOutcomeRecord }> {
    try {
      const handle = temporal.workflow.getHandle(id);
      const d = await handle.describe();
      if (d.status.name === 'COMPLETED') {
        const record = await recorder.repairFromResult(id);
        return record ? { status: record.status, outcome: record } : { status: recorded };
      }
      if (d.status.name !== 'RUNNING') return { status: recorded };
      const outcome = await handle.query(outcomeQuery).catch(() => null);
      return outcome ? { status: outcome.status, outcome } : { status: 'RUNNING' };
    } catch {
      return { status: recorded };
    }
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

  /** A namespace's rows in flight for longer than STALE_AFTER_MS whose run never started: FAILED. Returns how many. */
  async function failNeverStarted(namespace: string): Promise<number> {
    let failed = 0;
    for (const id of await db.quotas.staleInFlightIds(namespace, new Date(Date.now() - STALE_AFTER_MS))) {
      if (await failIfNeverStarted(id)) failed++;
    }
    return failed;
  }

  /** At api start: rows whose run completed while no one wrote the record, or never started. Returns how many. */
  async function repairUnrecorded(): Promise<number> {
    let repaired = 0;
    const staleBefore = Date.now() - STALE_AFTER_MS;
    for (const id of await db.invocations.unfinishedIds()) {
      const row = await db.invocations.get(id);
      if (!row || TERMINAL_STATUSES.includes(row.status)) continue;
      const live = await liveState(id, row.status);
      if (live.outcome && TERMINAL_STATUSES.includes(live.status)) repaired++;
      else if (!live.outcome && row.createdAt.getTime() < staleBefore && (await failIfNeverStarted(id))) repaired++;
    }
    return repaired;
  }

  return { liveState, repairUnrecorded, failNeverStarted };
}


