// One warm attempt: a single local activity, executeWarm, for the whole attempt. No pullImage
// (the worker checks its image once), no host-queue hop, no separate create and remove.
//
// A local activity runs on the worker running this workflow task, inside that task, with no
// activity task and no extra workflow task; its result is recorded as a marker when the task
// completes, so it stays durable, and costs less than an eagerly dispatched ordinary activity
// (docs/performance.md, "Figures behind the code"). But a local activity holds its workflow task open, so a
// cancel request reaches the workflow only when the activity ends, and a local activity
// longer than the task timeout keeps the task alive by heartbeating it. So the local activity
// answers within WARM_LOCAL_BOUND_MS whatever the version's timeout: a function still running
// then is handed over to awaitWarm, an ordinary activity on that worker's host queue, whose
// loss (a dead worker) reruns the attempt cold; a cancellation stops it with stopWarm on the
// same queue, as the cold path removes its container. Every version takes this one path; only
// functions running longer than the bound pay the ordinary activity's round trip.
import { CancellationScope, isCancellation, patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { WarmActivities } from '../activities/container.activities.js';
import type { InvokeFunctionInput, WarmAttemptResult } from '../shared/invocation.js';
import type { FunctionVersionSpec } from '../shared/types.js';
import { DEFAULT_WARM_QUEUE_TIMEOUT_MS, WARM_LOCAL_BOUND_MS, runsWarm } from '../shared/attempt-rules.js';
import { PATCHES } from './patches.js';

/** Re-executing a function that may have run is never right. */
const NO_RETRY = { maximumAttempts: 1 };

// Not async: the common path hands back a promise chained on the local activity's own (the
// SDK's per-promise stack capture costs time, see invoke-function.workflow.ts).
export function runWarmAttempt(input: InvokeFunctionInput, attempt: number): Promise<WarmAttemptResult> {
  const { spec, invocationId, taskQueues } = input;
  const queueTimeoutMs = spec.warm?.queueTimeoutMs ?? DEFAULT_WARM_QUEUE_TIMEOUT_MS;
  const args = { invocationId, attempt, spec, payload: input.payload };
  // Queue wait + a container start + the function's deadline, all enforced by the activity.
  const startToCloseTimeout = queueTimeoutMs + spec.limits.timeoutMs + 120_000;
  const summary = `warm attempt ${attempt}`;
  // Runs from before this patch ran short attempts locally and longer ones as ordinary activities.
  if (!patched(PATCHES.warmLocalHandover)) {
    if (legacyLocal(spec)) return proxyLocalActivities<WarmActivities>({ startToCloseTimeout, retry: NO_RETRY, summary }).executeWarm(args);
    return runWarmActivity({ args, taskQueue: taskQueues.data, startToCloseTimeout, summary });
  }
  // The local activity answers within the bound; its timeout only catches a stuck worker.
  return proxyLocalActivities<WarmActivities>({ startToCloseTimeout: '1m', retry: NO_RETRY, summary })
    .executeWarm({ ...args, handOverAfterMs: WARM_LOCAL_BOUND_MS })
    .then((started) => (started.ran === 'running'
      ? awaitHandedOver({ taskQueue: started.hostTaskQueue, invocationId, attempt, startToCloseTimeout, summary })
      : started));
}

/** A warm attempt its local activity handed over, awaited on the worker running it. */
async function awaitHandedOver(opts: {
  taskQueue: string; invocationId: string; attempt: number; startToCloseTimeout: number; summary: string;
}): Promise<WarmAttemptResult> {
  const { taskQueue, invocationId, attempt, startToCloseTimeout, summary } = opts;
  try {
    return await proxyActivities<WarmActivities>({
      taskQueue,
      scheduleToStartTimeout: '15s', // that worker died: rerun elsewhere (cold)
      startToCloseTimeout,
      heartbeatTimeout: '6s',
      retry: NO_RETRY,
      summary,
    }).awaitWarm({ invocationId, attempt });
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Stop it now, as the cold path removes its container: the cancellation reaches awaitWarm
    // only with a heartbeat's answer (throttled to seconds), or never if it had not started.
    await CancellationScope.nonCancellable(async () => {
      try {
        await proxyActivities<WarmActivities>({ taskQueue, scheduleToStartTimeout: '10s', startToCloseTimeout: '10s', retry: NO_RETRY })
          .stopWarm({ invocationId, attempt });
      } catch {
        /* a lost worker took the attempt with it; its deadline bounds it either way */
      }
    });
    throw err;
  }
}

/** Before the handover: attempts that could not outlast 2 s (deadline + queue wait) ran locally. */
function legacyLocal(spec: FunctionVersionSpec): boolean {
  return runsWarm(spec) && spec.limits.timeoutMs + (spec.warm?.queueTimeoutMs ?? DEFAULT_WARM_QUEUE_TIMEOUT_MS) <= 2000;
}

/** Before the handover, a longer warm attempt: an ordinary activity on the data queue, if this worker runs warm containers. */
async function runWarmActivity(opts: {
  args: Parameters<WarmActivities['executeWarm']>[0]; taskQueue: string; startToCloseTimeout: number; summary: string;
}): Promise<WarmAttemptResult> {
  const { args, taskQueue, startToCloseTimeout, summary } = opts;
  if (patched(PATCHES.warmEnabledProbe)) {
    const probe = proxyLocalActivities<WarmActivities>({ startToCloseTimeout: '10s', retry: { maximumAttempts: 3 } });
    if (!(await probe.warmEnabled())) return { ran: false, reason: 'warm containers are off on this worker' };
  }
  // The heartbeat timeout catches a lost worker within seconds.
  return proxyActivities<WarmActivities>({ taskQueue, startToCloseTimeout, heartbeatTimeout: '6s', retry: NO_RETRY, summary })
    .executeWarm(args);
}
