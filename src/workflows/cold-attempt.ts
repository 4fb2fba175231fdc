// One cold attempt: pullImage and createContainer as LOCAL activities on the worker running
// this workflow task, scheduled together (createContainer waits for the image and names that
// worker's host queue), then
// executeWithTimeout → removeContainer on that host queue, so all three container steps
// share one Docker engine.
//
// Round trips, measured with bench/invoke.bench.ts: local activities need no activity task
// and no extra workflow task (their results are markers in the task that scheduled
// executeWithTimeout); both are short, idempotent Docker calls (the container name is
// deterministic, so a rerun finds its own container). Removal is not awaited on success:
// the caller awaits it together with the outcome record, so removing the container and
// recording the result overlap.
import { CancellationScope, patched, proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { ContainerActivities, PullImageActivities } from '../activities/container.activities.js';
import type { AttemptOutcome, InvokeFunctionInput } from '../shared/invocation.js';
import { coldContainerName } from '../shared/attempt-rules.js';
import { PATCHES } from './patches.js';

const INFRA_RETRY = { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 4 };

export interface ColdAttempt {
  outcome: AttemptOutcome;
  /** The container's removal, started but not awaited; it never rejects. */
  removal: Promise<void>;
}

export async function runColdAttempt(input: InvokeFunctionInput, attempt: number, infraRerun: number): Promise<ColdAttempt> {
  const { spec, invocationId } = input;
  const local = proxyLocalActivities<PullImageActivities & Pick<ContainerActivities, 'createContainer'>>({
    startToCloseTimeout: '10m', // a first pull of a large image is slow; so is a first code fetch
    retry: INFRA_RETRY,
  });
  // Runs from before createContainer was local pulled first, then created on the host queue.
  const localCreate = patched(PATCHES.localCreateContainer);
  let hostTaskQueue = '';
  if (!localCreate) ({ hostTaskQueue } = await local.pullImage({ runtime: spec.runtime }));

  // scheduleToStart bounds how long we wait for that worker: if it died, we rerun elsewhere.
  const host = () => proxyActivities<ContainerActivities>({
    taskQueue: hostTaskQueue,
    scheduleToStartTimeout: '15s',
    startToCloseTimeout: '5m', // code fetch
    heartbeatTimeout: '30s',
    retry: INFRA_RETRY,
  });
  const execute = () => proxyActivities<ContainerActivities>({
    taskQueue: hostTaskQueue,
    scheduleToStartTimeout: '15s',
    // The activity enforces the function's own deadline; these only catch a lost worker.
    startToCloseTimeout: spec.limits.timeoutMs + 60_000,
    heartbeatTimeout: '6s',
    retry: { maximumAttempts: 1 }, // re-executing in a used container is never right
    // TRY_CANCEL (default): on cancel the workflow moves on at once and removes the
    // container (force remove kills it), which is what stops the function within 2 s.
  });
  const containerName = coldContainerName(invocationId, attempt, infraRerun);
  const remove = () =>
    // Always, also after failure or cancellation. A dead worker's container is left to the reaper.
    CancellationScope.nonCancellable(async () => {
      if (!hostTaskQueue) return; // the pull failed: nothing was created
      try {
        await host().removeContainer({ containerName, invocationId });
      } catch {
        /* the reaper removes it: containers carry a deadline label */
      }
    });
  // A chain step whose container the step before started with this very input: it runs on that
  // worker already; this attempt waits for it there (no create, no local activity).
  const started = input.started && attempt === 1 && infraRerun === 0 && input.started.containerName === containerName;
  const next = {
    ...(input.prepareNext ? { prepareNext: input.prepareNext } : {}),
    // A step that hands over starts the next step's container on success.
    ...(input.prepareNext && input.handOff ? { handOff: input.handOff } : {}),
  };
  try {
    if (started) {
      hostTaskQueue = input.started!.hostTaskQueue;
      const outcome = await execute().executeWithTimeout({ containerId: '', containerName, invocationId, spec, startedEarly: { attempt }, ...next });
      return { outcome: { ...outcome, cold: true }, removal: remove() };
    }
    // A step that hands over has the next step's workflow waiting already: its container is
    // prepared from this step's creation on, not only once this step executes.
    const early = input.handOff && input.prepareNext ? next : {};
    const createArgs = { containerName, invocationId, attempt, spec, payload: input.payload, workflowId: workflowInfo().workflowId, ...early };
    let containerId: string;
    if (localCreate) {
      // Both scheduled in one go (one workflow activation, not two: each costs
      // milliseconds); createContainer waits for its worker's pull of the image before `docker
      // create`. Both run on this task's worker, whose host queue the pull names, so a
      // failed create is still removed there; execute and remove go to that queue.
      const pulling = local.pullImage({ runtime: spec.runtime });
      const creating = local.createContainer(createArgs);
      creating.catch(() => undefined); // awaited below; not an unhandled rejection if the pull fails first
      ({ hostTaskQueue } = await pulling);
      ({ containerId, hostTaskQueue } = await creating);
    } else {
      ({ containerId } = await host().createContainer(createArgs));
    }
    const outcome = await execute().executeWithTimeout({ containerId, containerName, invocationId, spec, ...next });
    return { outcome: { ...outcome, cold: true }, removal: remove() };
  } catch (err) {
    await remove();
    throw err;
  }
}
