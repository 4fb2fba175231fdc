// invokeFunction: one workflow per invocation. Warm path (python and node, unless the
// version asks for isolation 'fresh'): one executeWarm activity on the data queue runs the
// attempt in a warm container of whichever worker takes it (dispatched eagerly to the worker
// that ran this workflow task, when the server allows it). Cold path, also the fallback when
// no warm container can be had: pullImage (any worker) → createContainer →
// executeWithTimeout → removeContainer, the last three on the host queue of the worker that
// pulled, so they share its Docker engine. Each attempt runs in a clean container (cold) or
// in a warm one that has only ever succeeded for this very version.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  sleep,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { ControlActivities } from '../activities/control.activities.js';
import type { ContainerActivities, PullImageActivities, WarmActivities } from '../activities/container.activities.js';
import {
  INVOCATION_FAILED_TYPE,
  type AttemptFailure,
  type AttemptOutcome,
  type InvocationFailureDetails,
  type InvokeFunctionInput,
  type InvokeFunctionResult,
} from '../shared/invocation.js';
import { WARM_RUNTIMES, WarmSettingsSchema, countFunctionAttempts, type AttemptRecord, type FunctionVersionSpec } from '../shared/types.js';
import { MAX_INFRA_RERUNS, backoffMs, infraBackoffMs, shouldRetry } from './retry.js';

// Activity retries cover short infrastructure hiccups inside one step; the workflow reruns
// the whole attempt when a step still fails (e.g. the worker holding the container died).
const INFRA_RETRY = { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 4 };
/** Histories recorded before the warm path replay without it. */
const WARM_PATH_PATCH = 'caisson-warm-path';
/** ... and those recorded while executeWarm was always an ordinary activity, with one. */
const WARM_LOCAL_PATCH = 'caisson-warm-local-activity';
/**
 * A local activity holds its workflow task open, so a cancel request reaches the workflow
 * only when the activity ends or the task heartbeats (8 s with the default 10 s task
 * timeout). Cancellation must stop a function within 2 s, so only attempts that cannot
 * outlast that (the function's timeout plus the longest queue wait) run as local activities.
 */
const LOCAL_ACTIVITY_MAX_MS = 2000;

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
  const warmPath = patched(WARM_PATH_PATCH);

  try {
    for (let attempt = 1; ; ) {
      const startedAt = new Date(Date.now()).toISOString();
      const outcome = await runAttemptOrInfraFailure(input, attempt, infraReruns, warmPath);
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
      // Shown in the Web UI: whether the attempt ran warm, and in which container.
      if (warmPath) upsertMemo({ cold: outcome.cold ?? true, containerId: outcome.containerId ?? null });
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
      cold: last.cold,
    });
    return { invocationId, result: last.result, attempts: countFunctionAttempts(attempts) };
  }

  const failure: AttemptFailure = last?.ok === false ? last.failure : { kind: 'InfrastructureError', message: 'no attempt ran' };
  await control.recordDeadLetter({ invocationId, spec, payload: input.payload, attempts });
  await control.recordInvocationOutcome({
    invocationId, status: 'FAILED', attempts, acceptedAt: input.acceptedAt, failure, logs: last?.logs,
    cold: last?.cold,
  });
  const details: InvocationFailureDetails = { ...failure, attempts: countFunctionAttempts(attempts) };
  throw ApplicationFailure.create({ type: INVOCATION_FAILED_TYPE, message: `${failure.kind}: ${failure.message}`,
    nonRetryable: true, details: [details] });
}

/** Runs one attempt; an infrastructure failure (after activity retries) asks for a rerun. */
async function runAttemptOrInfraFailure(
  input: InvokeFunctionInput, attempt: number, infraRerun: number, warmPath: boolean,
): Promise<AttemptOutcome | { infra: string }> {
  try {
    // A rerun after an infrastructure failure goes cold: a broken warm path never blocks a function.
    if (warmPath && infraRerun === 0 && runsWarm(input.spec)) {
      const warm = await runWarmAttempt(input, attempt);
      if (warm.ran) return warm.outcome;
    }
    return await runAttempt(input, attempt, infraRerun);
  } catch (err) {
    if (isCancellation(err)) throw err;
    // A local activity's failure (the warm path) may arrive unwrapped.
    if (err instanceof ActivityFailure || err instanceof ApplicationFailure) {
      const cause = err instanceof ActivityFailure ? err.cause : err;
      // The function's own fault found before it ran (e.g. a Go compile error): no rerun.
      if (cause instanceof ApplicationFailure && cause.type === 'FUNCTION_EXECUTION') {
        const empty = { inline: '' };
        return { ok: false, failure: { kind: 'FunctionError', message: cause.message },
          logs: { stdout: empty, stderr: empty }, durationMs: 0 };
      }
      return { infra: cause?.message ?? err.message };
    }
    throw err;
  }
}

function runsWarm(spec: FunctionVersionSpec): boolean {
  return WARM_RUNTIMES.includes(spec.runtime) && (spec.warm?.isolation ?? 'warm') === 'warm';
}

/**
 * One activity for the whole warm attempt: no pullImage (the worker checks its image once),
 * no host-queue hop, no separate create and remove. Short ones are LOCAL activities: run on the
 * worker running this workflow task, inside that task, so the attempt costs no activity
 * scheduling, no activity task, no extra workflow task; its result is recorded as a marker
 * when the task completes, so it stays durable. Measured (bench/warm.bench.ts): as an
 * eagerly dispatched ordinary activity one warm invoke took ~2.8× the Temporal floor; as
 * a local activity ~2.1× (the schedule → start → complete → next workflow task round goes
 * away). If the worker dies mid-attempt the workflow task times out and the attempt reruns
 * on another worker (its warm containers died with it). Longer attempts stay ordinary
 * activities (eagerly dispatched to this worker), so a cancel reaches them at once.
 */
function runWarmAttempt(input: InvokeFunctionInput, attempt: number) {
  const { spec, invocationId, taskQueues } = input;
  const settings = WarmSettingsSchema.parse(spec.warm ?? {});
  const args = { invocationId, attempt, spec, payload: input.payload };
  if (spec.limits.timeoutMs + settings.queueTimeoutMs <= LOCAL_ACTIVITY_MAX_MS && patched(WARM_LOCAL_PATCH)) {
    const local = proxyLocalActivities<WarmActivities>({
      startToCloseTimeout: settings.queueTimeoutMs + spec.limits.timeoutMs + 120_000,
      retry: { maximumAttempts: 1 }, // re-executing a function that may have run is never right
      summary: `warm attempt ${attempt}`,
    });
    return local.executeWarm(args);
  }
  const warm = proxyActivities<WarmActivities>({
    taskQueue: taskQueues.data,
    // Queue wait + a container start + the function's deadline, all enforced by the activity;
    // this only catches a lost worker (the heartbeat much sooner).
    startToCloseTimeout: settings.queueTimeoutMs + spec.limits.timeoutMs + 120_000,
    heartbeatTimeout: '6s',
    retry: { maximumAttempts: 1 }, // re-executing a function that may have run is never right
    summary: `warm attempt ${attempt}`,
  });
  return warm.executeWarm(args);
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
  if (o.cold !== undefined) record.cold = o.cold;
  if (o.containerId !== undefined) record.containerId = o.containerId;
  if (!o.ok) record.failure = { kind: o.failure.kind, message: o.failure.message, stderrTail: o.failure.stderrTail };
  return record;
}
