// fireSchedule: what a Temporal Schedule starts at each fire (and at `caisson schedule trigger`).
//
// Why a workflow of its own, rather than the schedule starting invokeFunction directly: a
// schedule's action is fixed when it is written, but an invocation must be admitted when it
// happens, like any other: the version resolved then ('latest' follows deploys), the
// namespace's concurrency and rate quotas applied, its PENDING row written, its id made. That
// is the api's invocation path (invocation.service.ts / chain.service.ts), which only the api
// process can run (it owns the database). So the fire's first step is one control activity,
// served by the api, that runs exactly that path and answers the run to start; the fire then
// runs it as a child workflow whose id is the invocation id, so it is an ordinary invocation
// (invocations.get, the Web UI, cancellation) that also carries CaissonSchedule.
//
// The fire waits for its invocation to end, so the schedule's overlap policy (skip,
// buffer-one) applies to invocations, not just to starts. The child is abandoned rather than
// terminated should the fire be ended, so an invocation always removes its container.
import {
  ApplicationFailure,
  ChildWorkflowFailure,
  ParentClosePolicy,
  executeChild,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ScheduleActivities } from '../control/schedule.activities.js';
import type { ScheduleFireInput, ScheduleFireResult } from '../shared/schedule.js';
import { CaissonFunction, CaissonNamespace, CaissonSchedule, CaissonVersion } from '../temporal/search-attributes.js';
import { childSucceededSignal } from '../shared/workflow-messages.js';
import { invokeFunction } from './invoke-function.workflow.js';
import { runChain } from './run-chain.workflow.js';

export async function fireSchedule(input: ScheduleFireInput): Promise<ScheduleFireResult> {
  const control = proxyActivities<ScheduleActivities>({
    taskQueue: input.controlTaskQueue,
    startToCloseTimeout: '1m',
    // A refusal (quota, missing function) is not retryable and fails this fire only; an api
    // that is down is waited for a while (the activity reuses the fire's invocation id).
    retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 30 },
  });
  // An invocation tells a parent of its success early (for chains); a fire needs only its end.
  setHandler(childSucceededSignal, () => undefined);
  const run = await control.admitScheduledRun({ fire: input, fireId: workflowInfo().workflowId });
  const { attributes } = run;
  const child = {
    workflowId: run.invocationId,
    taskQueue: run.taskQueue,
    parentClosePolicy: ParentClosePolicy.ABANDON,
    staticSummary: `${run.staticSummary} (schedule ${input.schedule.name})`,
    typedSearchAttributes: [
      { key: CaissonNamespace, value: attributes.namespace },
      { key: CaissonSchedule, value: input.schedule.name },
      ...(attributes.function !== undefined ? [{ key: CaissonFunction, value: attributes.function }] : []),
      ...(attributes.version !== undefined ? [{ key: CaissonVersion, value: attributes.version }] : []),
    ],
  };
  try {
    // Started by the workflow function itself (its name is the workflow type), typed by its input.
    if (run.workflowType === 'runChain') await executeChild(runChain, { ...child, args: run.args });
    else await executeChild(invokeFunction, { ...child, args: run.args });
    return { invocationId: run.invocationId, status: 'SUCCEEDED' };
  } catch (err) {
    if (!(err instanceof ChildWorkflowFailure)) throw err;
    // The invocation's record says why; the fire fails so the Schedules page shows it.
    throw ApplicationFailure.create({
      type: 'ScheduledInvocationFailed', nonRetryable: true,
      message: `scheduled invocation ${run.invocationId} did not succeed`, details: [{ invocationId: run.invocationId, status: 'FAILED' }],
    });
  }
}
