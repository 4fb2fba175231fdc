// invokeFunction: one workflow per invocation, id = invocation id. The attempt loop:
// function failures retry per the version's policy, each attempt in a clean container (or
// a warm one that has only ever succeeded for this very version); infrastructure failures
// rerun the attempt without counting it, bounded. The outcome is recorded in Caisson's
// database (control activities) before the workflow completes, so once it is closed the
// record is final.
//
// A synchronous caller does not wait for that record: it starts this workflow with the
// `outcome` update (update-with-start), which completes as soon as the outcome is known. A
// success answers before its record and the container's removal (one activity round trip
// and one workflow task less on the caller's path, measured in bench/invoke.bench.ts); a
// failure answers after its dead letter is recorded, so the caller can act on it at once.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { AttemptActivities } from '../activities/attempt.activities.js';
import type { ControlActivities, InvocationOutcomeRecord } from '../control/invocation.activities.js';
import {
  INVOCATION_FAILED_TYPE,
  type AttemptFailure,
  type AttemptOutcome,
  type InvocationFailureDetails,
  type InvokeFunctionInput,
  type InvokeFunctionResult,
} from '../shared/invocation.js';
import type { AttemptRecord } from '../shared/types.js';
import { countFunctionAttempts, runsWarm } from '../shared/attempt-rules.js';
import { childSucceededSignal, outcomeQuery, outcomeUpdate } from '../shared/workflow-messages.js';
import { CaissonOutcome, CaissonStart } from '../temporal/search-attributes.js';
import { runColdAttempt } from './cold-attempt.js';
import { MAX_INFRA_RERUNS, backoffMs, infraBackoffMs, shouldRetry } from './retry.js';
import { runWarmAttempt } from './warm-attempt.js';
import { PATCHES } from './patches.js';
import { deliverCallback } from './callback.js';
import { handOver, receiveStepInput } from './chain-handoff.js';


export async function invokeFunction(start: InvokeFunctionInput): Promise<InvokeFunctionResult> {
  // A chain step started ahead waits for its input first (no promise otherwise: see below).
  const input = start.awaitsInput ? await receiveStepInput(start) : start;
  const { spec, invocationId, taskQueues } = input;
  const identity = { namespace: spec.namespace, functionName: spec.name, functionId: spec.functionId, version: spec.version };
  let final: InvocationOutcomeRecord | undefined;
  /** A synchronous caller asked for the outcome (update, or at start): it writes the record of a success itself. */
  let callerRecords = input.callerRecords === true;
  setHandler(outcomeUpdate, async () => {
    callerRecords = true;
    await condition(() => final !== undefined);
    return final!;
  });
  setHandler(outcomeQuery, () => final ?? null);
  /** The outcome is known: answers the update; the workflow then ends once no handler is left. */
  const settle = (record: InvocationOutcomeRecord) => {
    final = record;
    showOutcome(record);
    return record;
  };
  const control = proxyActivities<ControlActivities>({
    taskQueue: taskQueues.control,
    startToCloseTimeout: '30s',
    retry: { initialInterval: '500ms', maximumInterval: '10s' }, // the record must land: unbounded
  });
  const attempts: AttemptRecord[] = [];
  /** Container removals (and failed attempts' history entries) still under way; awaited together with the final record. */
  const removals: Promise<void>[] = [];
  let last: AttemptOutcome | undefined;
  let infraReruns = 0;

  try {
    for (let attempt = 1; ; ) {
      const startedAt = new Date(Date.now()).toISOString();
      const outcome = await runAttemptOrInfraFailure(input, attempt, infraReruns, removals);
      const endedAt = new Date(Date.now()).toISOString();
      if ('infra' in outcome) {
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
      upsertMemo({ cold: outcome.cold ?? true, containerId: outcome.containerId ?? null });
      if (!outcome.ok) removals.push(showFailedAttempt(input, attempt, outcome.failure));
      if (outcome.ok || !shouldRetry(spec.retryPolicy, outcome.failure.kind, attempt)) break;
      attempt++;
      await sleep(backoffMs(spec.retryPolicy, attempt));
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Cancelled: the attempt's container was removed before the cancellation got here.
    await CancellationScope.nonCancellable(async () => {
      const record: InvocationOutcomeRecord = { invocationId, status: 'CANCELLED', attempts, acceptedAt: input.acceptedAt,
        failure: { kind: 'Cancelled', message: 'cancelled by request' }, endedAt: nowIso(), identity };
      await Promise.all([control.recordInvocationOutcome(record), ...removals]);
      settle(record);
      await condition(allHandlersFinished);
    });
    throw err;
  }

  if (last?.ok) {
    const record = settle({
      invocationId, status: 'SUCCEEDED', attempts, acceptedAt: input.acceptedAt, result: last.result, logs: last.logs,
      cold: last.cold, endedAt: nowIso(), identity,
    });
    const parent = workflowInfo().parent;
    // The next step first: its signal then leaves ahead of the chain's.
    const { startedNext } = last;
    if (input.handOff) handOver(input.handOff, last.result, startedNext);
    if (parent && patched(PATCHES.childSucceededSignal)) {
      // A chain step: the chain goes on now; removal and record follow here. Not awaited: the
      // command leaves with this task, whatever the chain does with it.
      void getExternalWorkflowHandle(parent.workflowId, parent.runId)
        .signal(childSucceededSignal, { workflowId: workflowInfo().workflowId, result: last.result, ...(startedNext ? { startedNext } : {}) })
        .catch(() => undefined);
    }
    // With a synchronous caller this is one activity (and one workflow task) less per
    // invocation: the caller writes the record; the result carries it for any repair.
    if (callerRecords) {
      // A warm success usually has neither removals nor handlers left: no await then. Each
      // promise a workflow makes costs time: the SDK's promise hook captures and source-maps
      // a stack trace for each (for the Web UI's stack trace query).
      if (removals.length > 0) await Promise.all(removals);
      if (!allHandlersFinished()) await condition(allHandlersFinished);
      if (input.callback) await deliverCallback(input); // no promise at all on the warm path without one
      return { invocationId, result: last.result, attempts: countFunctionAttempts(attempts), record };
    }
    await Promise.all([control.recordInvocationOutcome(record), ...removals]);
    if (input.callback) await deliverCallback(input);
    await condition(allHandlersFinished);
    return { invocationId, result: last.result, attempts: countFunctionAttempts(attempts), ...(startedNext ? { startedNext } : {}) };
  }

  const failure: AttemptFailure = last?.ok === false ? last.failure : { kind: 'InfrastructureError', message: 'no attempt ran' };
  const record: InvocationOutcomeRecord = {
    invocationId, status: 'FAILED', attempts, acceptedAt: input.acceptedAt, failure, logs: last?.logs, cold: last?.cold,
    endedAt: nowIso(), identity,
  };
  await Promise.all([
    control.recordDeadLetter({ invocationId, spec, payload: input.payload, attempts }),
    control.recordInvocationOutcome(record),
    ...removals,
  ]);
  settle(record);
  if (input.callback) await deliverCallback(input);
  await condition(allHandlersFinished);
  const details: InvocationFailureDetails = { ...failure, attempts: countFunctionAttempts(attempts) };
  throw ApplicationFailure.create({ type: INVOCATION_FAILED_TYPE, message: `${failure.kind}: ${failure.message}`,
    nonRetryable: true, details: [details] });
}

/** Runs one attempt (warm when it can, else cold); an infrastructure failure asks for a rerun. */
async function runAttemptOrInfraFailure(
  input: InvokeFunctionInput, attempt: number, infraRerun: number, removals: Promise<void>[],
): Promise<AttemptOutcome | { infra: string }> {
  try {
    // A rerun after an infrastructure failure goes cold: a broken warm path never blocks a function.
    // So does a chain step whose container the step before started: it runs there already.
    if (infraRerun === 0 && runsWarm(input.spec) && !(input.started && attempt === 1)) {
      const warm = await runWarmAttempt(input, attempt);
      if (warm.ran === true) return warm.outcome;
    }
    const cold = await runColdAttempt(input, attempt, infraRerun);
    removals.push(cold.removal);
    return cold.outcome;
  } catch (err) {
    if (isCancellation(err)) throw err;
    // A local activity's failure may arrive unwrapped.
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

const nowIso = () => new Date(Date.now()).toISOString();

/**
 * A function's failed attempt, as a failed activity in the history, so the Web UI draws it
 * red (src/activities/attempt.activities.ts). Not awaited here: it overlaps the backoff, or
 * the dead letter and record; it never rejects. Only failed attempts pay for it.
 */
function showFailedAttempt(input: InvokeFunctionInput, attempt: number, failure: AttemptFailure): Promise<void> {
  if (!patched(PATCHES.outcomeVisibility)) return Promise.resolve();
  return proxyActivities<AttemptActivities>({
    taskQueue: input.taskQueues.data, // this workflow's own queue: dispatched eagerly to this worker
    scheduleToCloseTimeout: '30s', retry: { maximumAttempts: 1 }, summary: `attempt ${attempt}: ${failure.kind}`,
  }).recordFailedAttempt({ attempt, kind: failure.kind, message: failure.message }).catch(() => undefined);
}

/** CaissonOutcome and CaissonStart, so the Web UI (and the list api) can filter on them. */
function showOutcome(record: InvocationOutcomeRecord): void {
  if (!patched(PATCHES.outcomeVisibility)) return;
  const outcome = record.status === 'SUCCEEDED' ? 'Succeeded' : (record.failure?.kind ?? 'Cancelled');
  upsertSearchAttributes([
    { key: CaissonOutcome, value: outcome },
    ...(record.cold === undefined ? [] : [{ key: CaissonStart, value: record.cold ? 'cold' : 'warm' }]),
  ]);
}

function infraFailure(message: string): AttemptOutcome {
  const empty = { inline: '' };
  return { ok: false, failure: { kind: 'InfrastructureError', message }, logs: { stdout: empty, stderr: empty }, durationMs: 0 };
}

function attemptRecord(attempt: number, startedAt: string, endedAt: string, o: AttemptOutcome): AttemptRecord {
  const record: AttemptRecord = { attempt, startedAt, endedAt, durationMs: o.durationMs };
  if (o.cold !== undefined) record.cold = o.cold;
  if (o.containerId !== undefined) record.containerId = o.containerId;
  if (!o.ok) {
    const { kind, message, stderrTail, errorType, platform } = o.failure;
    record.failure = { kind, message, stderrTail, ...(errorType ? { errorType } : {}), ...(platform ? { platform } : {}) };
  }
  return record;
}
