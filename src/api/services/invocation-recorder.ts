// The caller-writes-success optimisation, in one place. A synchronous caller asks the workflow
// for its outcome (the `outcome` update, or callerRecords at start); the workflow then runs no
// record activity for a success (one activity task and one workflow task less per invocation,
// which is what bounds warm throughput) and returns the record in its result. This recorder
// writes it once the answer is on its way; should that write fail or the process die first,
// the row stays PENDING (written before the start) and is repaired from the run's result, on
// the next read or by the sweep at api start (invocation-recovery.ts). Failures and
// cancellations are always recorded by the workflow itself, dead letter included.
import type { Client } from '@temporalio/client';
import type { InvocationOutcomeRecord } from '../../shared/invocation.js';
import type { invokeFunction } from '../../workflows/invoke-function.workflow.js';

export interface InvocationRecorderDeps {
  temporal: Client;
  /** Writes an invocation's final record (the control store's, shared with the control activities). */
  recordOutcome(record: InvocationOutcomeRecord): Promise<void>;
  log?: (message: string) => void;
}

export function createInvocationRecorder(deps: InvocationRecorderDeps) {
  const log = deps.log ?? (() => {});

  /** Writes a success the workflow left to its synchronous caller; a failure is only logged (repaired later). */
  async function recordForCaller(outcome: InvocationOutcomeRecord): Promise<void> {
    if (outcome.status !== 'SUCCEEDED') return; // the workflow recorded it before answering
    try {
      await deps.recordOutcome(outcome);
    } catch (err) {
      log(`could not record invocation ${outcome.invocationId} (repaired on the next read): ${(err as Error).message}`);
    }
  }

  return {
    /**
     * Writes the caller's record whenever the outcome arrives (even after the caller stopped
     * waiting), once the answer is on its way: PGlite runs a query synchronously on this
     * thread, and writing first delayed every answer by the write. Until it lands,
     * reads answer from the workflow (its outcome query, or its result, which repairs the row).
     */
    recordAfterAnswer(outcome: Promise<InvocationOutcomeRecord | undefined>): void {
      outcome.then((o) => o && setImmediate(() => void recordForCaller(o)), () => undefined);
    },

    /** A completed run's record its caller left unwritten, written now from the run's result (undefined: none to write). */
    async repairFromResult(id: string): Promise<InvocationOutcomeRecord | undefined> {
      const { record } = await deps.temporal.workflow.getHandle<typeof invokeFunction>(id).result();
      if (record) await deps.recordOutcome(record);
      return record;
    },
  };
}

export type InvocationRecorder = ReturnType<typeof createInvocationRecorder>;
