// Control-plane activities: they write Caisson's own records and run only in the api
// process (the control task queue), which owns the database. Every write is an upsert
// keyed by the invocation id, so a retried activity changes nothing twice.
import type { InvocationOutcomeRecord } from '../shared/invocation.js';
import type { PayloadRef } from '../shared/payload-ref.js';
import type { AttemptRecord, FunctionVersionSpec } from '../shared/types.js';
import { typedActivities } from '../activities/to-failure.js';

export type { InvocationOutcomeRecord };

export interface DeadLetterRecord {
  invocationId: string;
  spec: FunctionVersionSpec;
  payload: PayloadRef;
  attempts: AttemptRecord[];
}

/** What the control activities need from the database (implemented in invocation.store.ts). */
export interface ControlStore {
  recordInvocationOutcome(record: InvocationOutcomeRecord): Promise<void>;
  recordDeadLetter(record: DeadLetterRecord): Promise<void>;
}

export function createControlActivities(store: ControlStore) {
  return typedActivities({
    recordInvocationOutcome: (record: InvocationOutcomeRecord) => store.recordInvocationOutcome(record),
    recordDeadLetter: (record: DeadLetterRecord) => store.recordDeadLetter(record),
  });
}

export type ControlActivities = ReturnType<typeof createControlActivities>;
