// How a synchronous invoke waits for its outcome: the one place that chooses.
//
// - 'workflow-result': a version that runs warm (whatever its timeout: warm attempts are local
//   activities, see warm-attempt.ts) ends a warm success with no container to remove, usually
//   in the workflow's first task, so its result is its outcome: a plain start (eager when a
//   worker shares this client's connection) with callerRecords in its input, and the result.
//   Cheaper than update-with-start (docs/performance.md). An attempt that falls back to a cold
//   container answers after its removal then.
// - 'outcome-update': a cold version (isolation 'fresh', or workers without warm containers)
//   starts with the `outcome` update (update-with-start), answered as soon as the outcome is
//   known, before the container's removal and the workflow's last task.
import type { Client, WorkflowStartOptions } from '@temporalio/client';
import type { InvocationOutcomeRecord } from '../../shared/invocation.js';
import { outcomeUpdate } from '../../shared/workflow-messages.js';
import type { FunctionVersionSpec } from '../../shared/types.js';
import { runsWarm } from '../../shared/attempt-rules.js';
import { withinMs } from '../../shared/promises.js';
import { startWithUpdate, type UpdateWithStart } from '../../temporal/update-with-start.js';
import { invokeFunction } from '../workflow-refs.js';

export type SyncWaitPolicy = 'workflow-result' | 'outcome-update';

/** The policy for a version, given whether this deployment's workers run warm containers. */
export function syncWaitPolicy(spec: FunctionVersionSpec, warmWorkers: boolean): SyncWaitPolicy {
  return runsWarm(spec) && warmWorkers ? 'workflow-result' : 'outcome-update';
}

export interface SyncStart {
  temporal: Client;
  policy: SyncWaitPolicy;
  options: WorkflowStartOptions<typeof invokeFunction> & { workflowIdConflictPolicy: 'USE_EXISTING' | 'FAIL' };
  /** The client shares its connection with a data-plane worker: ask for an eager start. */
  eagerStart?: boolean;
}

/** Starts the invocation's run and answers its outcome under the policy. */
export async function startAndAwaitOutcome(start: SyncStart): Promise<UpdateWithStart<InvocationOutcomeRecord | undefined>> {
  if (start.policy === 'outcome-update') {
    return startWithUpdate(start.temporal, { workflow: invokeFunction, options: start.options, update: outcomeUpdate });
  }
  const [input] = start.options.args;
  const handle = await start.temporal.workflow.start(invokeFunction, {
    ...start.options, args: [{ ...input, callerRecords: true }],
    ...(start.eagerStart ? { requestEagerStart: true } : {}),
  });
  const outcome = handle.result().then((r) => r.record);
  return { answer: outcome, within: (ms) => withinMs(outcome.catch(() => undefined), ms) };
}
