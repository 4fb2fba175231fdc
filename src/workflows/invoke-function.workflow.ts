// invokeFunction: one workflow per invocation. Each attempt runs in a clean container:
// pullImage (any worker) → createContainer → executeWithTimeout → removeContainer, the last
// three on the host queue of the worker that pulled, so they share its Docker engine.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  proxyActivities,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { ControlActivities } from '../activities/control.activities.js';
import type { ContainerActivities, PullImageActivities } from '../activities/container.activities.js';
import {
  INVOCATION_FAILED_TYPE,
  type AttemptFailure,
  type AttemptOutcome,
  type InvocationFailureDetails,
  type InvokeFunctionInput,
  type InvokeFunctionResult,
} from '../shared/invocation.js';
import { countFunctionAttempts, type AttemptRecord } from '../shared/types.js';
import { MAX_INFRA_RERUNS, backoffMs, infraBackoffMs, shouldRetry } from './retry.js';

// Activity retries cover short infrastructure hiccups inside one step; the workflow reruns
// the whole attempt when a step still fails (e.g. the worker holding the container died).
const INFRA_RETRY = { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 4 };

export async function invokeFunction(input: InvokeFunctionInput): Promise<InvokeFunctionResult> {
  const { spec, invocationId, taskQueues } = input;
  const control = proxyActivities<ControlActivities>({
    taskQueue: taskQueues.control,
    startToCloseTimeout: '30s',
    retry: { initialInterval: '500ms', maximumInterval: '10s' }, // the record must land: unbounded
  });
  const attempts: AttemptRecord[] = [];
  let last: AttemptOutcome | undefined;
  let infraReruns = 0;

  try {
    for (let attempt = 1; ; ) {
      const startedAt = new Date(Date.now()).toISOString();
      const outcome = await runAttemptOrInfraFailure(input, attempt, infraReruns);
      const endedAt = new Date(Date.now()).toISOString();
      if (typeof outcome === 'object' && 'infra' in outcome) {
        infraReruns++;
        attempts.push({ attempt, infrastructure: true, startedAt, endedAt, durationMs: 0,
          failure: { kind: 'InfrastructureError', message: outcome.infra } });
        if (infraReruns > MAX_INFRA_RERUNS) {
          last = infraFailure(`infrastructure failed ${infraReruns} times in a row; giving up: ${outcome.infra}`);
          break;
        }
        await sleep(infraBackoffMs(infraReruns));
        continue;
      }
      infraReruns = 0;
      last = outcome;
      attempts.push(attemptRecord(attempt, startedAt, endedAt, outcome));
      if (outcome.ok || !shouldRetry(spec.retryPolicy, outcome.failure.kind, attempt)) break;
      attempt++;
      await sleep(backoffMs(spec.retryPolicy, attempt));
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Cancelled: the container was removed in runAttempt's finally; record and end Cancelled.
    await CancellationScope.nonCancellable(() =>
      control.recordInvocationOutcome({ invocationId, status: 'CANCELLED', attempts, acceptedAt: input.acceptedAt,
        failure: { kind: 'Cancelled', message: 'cancelled by request' } }),
    );
    throw err;
  }

  if (last?.ok) {
    await control.recordInvocationOutcome({
      invocationId, status: 'SUCCEEDED', attempts, acceptedAt: input.acceptedAt, result: last.result, logs: last.logs,
    });
    return { invocationId, result: last.result, attempts: countFunctionAttempts(attempts) };
  }

  const failure: AttemptFailure = last?.ok === false ? last.failure : { kind: 'InfrastructureError', message: 'no attempt ran' };
  await control.recordDeadLetter({ invocationId, spec, payload: input.payload, attempts });
  await control.recordInvocationOutcome({
    invocationId, status: 'FAILED', attempts, acceptedAt: input.acceptedAt, failure, logs: last?.logs,
  });
  const details: InvocationFailureDetails = { ...failure, attempts: countFunctionAttempts(attempts) };
  throw ApplicationFailure.create({ type: INVOCATION_FAILED_TYPE, message: `${failure.kind}: ${failure.message}`,
    nonRetryable: true, details: [details] });
}

/** Runs one attempt; an infrastructure failure (after activity retries) asks for a rerun. */
async function runAttemptOrInfraFailure(
  input: InvokeFunctionInput, attempt: number, infraRerun: number,
): Promise<AttemptOutcome | { infra: string }> {
  try {
    return await runAttempt(input, attempt, infraRerun);
  } catch (err) {
    if (isCancellation(err)) throw err;
    if (err instanceof ActivityFailure) {
      // The function's own fault found before it ran (e.g. a Go compile error): no rerun.
      if (err.cause instanceof ApplicationFailure && err.cause.type === 'FUNCTION_EXECUTION') {
        const empty = { inline: '' };
        return { ok: false, failure: { kind: 'FunctionError', message: err.cause.message },
          logs: { stdout: empty, stderr: empty }, durationMs: 0 };
      }
      return { infra: err.cause?.message ?? err.message };
    }
    throw err;
  }
}

async function runAttempt(input: InvokeFunctionInput, attempt: number, infraRerun: number): Promise<AttemptOutcome> {
  const { spec, invocationId, taskQueues } = input;
  const data = proxyActivities<PullImageActivities>({
    taskQueue: taskQueues.data,
    startToCloseTimeout: '10m', // a first pull of a large image is slow
    heartbeatTimeout: '30s',
    retry: INFRA_RETRY,
  });
  const { hostTaskQueue } = await data.pullImage({ runtime: spec.runtime });

  // scheduleToStart bounds how long we wait for that worker: if it died, we rerun elsewhere.
  const host = proxyActivities<ContainerActivities>({
    taskQueue: hostTaskQueue,
    scheduleToStartTimeout: '15s',
    startToCloseTimeout: '5m', // code fetch + a first Go build
    heartbeatTimeout: '30s',
    retry: INFRA_RETRY,
  });
  const execute = proxyActivities<ContainerActivities>({
    taskQueue: hostTaskQueue,
    scheduleToStartTimeout: '15s',
    // The activity enforces the function's own deadline; these only catch a lost worker.
    startToCloseTimeout: spec.limits.timeoutMs + 60_000,
    heartbeatTimeout: '6s',
    retry: { maximumAttempts: 1 }, // re-executing in a used container is never right
    // TRY_CANCEL (default): on cancel the workflow moves on at once and its finally removes
    // the container (force remove kills it), which is what stops the function within 2 s.
  });
  const containerName = `caisson-${invocationId}-${attempt}${infraRerun ? `-r${infraRerun}` : ''}`.replace(/_/g, '-');
  try {
    const { containerId } = await host.createContainer({
      containerName, invocationId, attempt, spec, payload: input.payload,
      workflowId: workflowInfo().workflowId,
    });
    return await execute.executeWithTimeout({ containerId, containerName, invocationId, spec });
  } finally {
    // Always, also after failure or cancellation. A dead worker's container is left to the reaper.
    await CancellationScope.nonCancellable(async () => {
      try {
        await host.removeContainer({ containerName, invocationId });
      } catch {
        /* the reaper removes it: containers carry a deadline label */
      }
    });
  }
}

function infraFailure(message: string): AttemptOutcome {
  const empty = { inline: '' };
  return { ok: false, failure: { kind: 'InfrastructureError', message }, logs: { stdout: empty, stderr: empty }, durationMs: 0 };
}

function attemptRecord(attempt: number, startedAt: string, endedAt: string, o: AttemptOutcome): AttemptRecord {
  const record: AttemptRecord = { attempt, startedAt, endedAt, durationMs: o.durationMs };
  if (!o.ok) record.failure = { kind: o.failure.kind, message: o.failure.message, stderrTail: o.failure.stderrTail };
  return record;
}
