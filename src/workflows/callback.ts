// An /async-function invocation's callback: once its outcome is recorded, the control queue's
// deliverCallback activity POSTs it to the caller's X-Callback-Url, retried with backoff within
// a deadline. A callback that cannot be delivered is visible as a failed activity and changes
// nothing of the invocation's outcome.
import { patched, proxyActivities } from '@temporalio/workflow';
import type { CallbackActivities } from '../activities/callback.activities.js';
import type { InvokeFunctionInput } from '../shared/invocation.js';
import { PATCHES } from './patches.js';

export async function deliverCallback(input: InvokeFunctionInput): Promise<void> {
  if (!input.callback || !patched(PATCHES.httpCallback)) return;
  const { deliverCallback: deliver } = proxyActivities<CallbackActivities>({
    taskQueue: input.taskQueues.control,
    startToCloseTimeout: '15s',
    scheduleToCloseTimeout: '2m',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '20s', maximumAttempts: 6 },
    summary: 'POST the outcome to X-Callback-Url',
  });
  await deliver({ invocationId: input.invocationId, url: input.callback.url }).catch(() => undefined);
}
