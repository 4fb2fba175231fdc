// One warm attempt: a single activity, executeWarm, for the whole attempt. No pullImage (the
// worker checks its image once), no host-queue hop, no separate create and remove.
//
// Short attempts are LOCAL activities: they run on the worker running this workflow task,
// inside that task, with no activity task and no extra workflow task; the result is recorded
// as a marker when the task completes, so it stays durable. Measured (bench/warm.bench.ts):
// as an eagerly dispatched ordinary activity a warm invoke took ~2.8× the Temporal floor, as
// a local activity ~2.1×. But a local activity holds its workflow task open, so a cancel
// request reaches the workflow only when the activity ends or the task heartbeats (8 s with
// the default 10 s task timeout); cancellation must stop a function within 2 s, so only
// attempts that cannot outlast that (timeout + longest queue wait) run locally. Longer ones
// are ordinary activities on the data queue, dispatched eagerly to this worker; before one is
// scheduled, a local activity asks whether this worker runs warm containers at all, so a
// worker with warm containers off (CAISSON_WARM=off) costs the cold path no workflow task.
import { patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { WarmActivities } from '../activities/container.activities.js';
import type { InvokeFunctionInput, WarmAttemptResult } from '../shared/invocation.js';
import { DEFAULT_WARM_QUEUE_TIMEOUT_MS, warmAttemptIsLocal } from '../shared/workflow-values.js';

/** Re-executing a function that may have run is never right. */
const NO_RETRY = { maximumAttempts: 1 };

// Not async: the local path hands back the activity's own promise (one promise less in the
// SDK's per-promise stack capture, see invoke-function.workflow.ts).
export function runWarmAttempt(input: InvokeFunctionInput, attempt: number): Promise<WarmAttemptResult> {
  const { spec, invocationId, taskQueues } = input;
  const queueTimeoutMs = spec.warm?.queueTimeoutMs ?? DEFAULT_WARM_QUEUE_TIMEOUT_MS;
  const args = { invocationId, attempt, spec, payload: input.payload };
  // Queue wait + a container start + the function's deadline, all enforced by the activity.
  const startToCloseTimeout = queueTimeoutMs + spec.limits.timeoutMs + 120_000;
  const summary = `warm attempt ${attempt}`;
  if (warmAttemptIsLocal(spec)) {
    return proxyLocalActivities<WarmActivities>({ startToCloseTimeout, retry: NO_RETRY, summary }).executeWarm(args);
  }
  return runWarmActivity({ args, taskQueue: taskQueues.data, startToCloseTimeout, summary });
}

/** A longer warm attempt: an ordinary activity on the data queue, if this worker runs warm containers. */
async function runWarmActivity(opts: {
  args: Parameters<WarmActivities['executeWarm']>[0]; taskQueue: string; startToCloseTimeout: number; summary: string;
}): Promise<WarmAttemptResult> {
  const { args, taskQueue, startToCloseTimeout, summary } = opts;
  if (patched('warm-enabled-probe')) {
    const probe = proxyLocalActivities<WarmActivities>({ startToCloseTimeout: '10s', retry: { maximumAttempts: 3 } });
    if (!(await probe.warmEnabled())) return { ran: false, reason: 'warm containers are off on this worker' };
  }
  // The heartbeat timeout catches a lost worker within seconds.
  return proxyActivities<WarmActivities>({ taskQueue, startToCloseTimeout, heartbeatTimeout: '6s', retry: NO_RETRY, summary })
    .executeWarm(args);
}
