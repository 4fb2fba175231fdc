// deliverCallback: POSTs an /async-function invocation's result to its X-Callback-Url once the
// invocation has ended. Runs on the control task queue (the api, which maps the result to
// HTTP as the synchronous path does); retried by Temporal within a deadline set by the workflow.
import { typedActivities } from './to-failure.js';

export interface CallbackRequest {
  invocationId: string;
  url: string;
}

export interface CallbackDelivery {
  /** The callback target's answer. */
  status: number;
}

export interface CallbackDeliverer {
  /** Throws an AppError: retryable (5xx, network, time-out) or not (a refused URL, a redirect, a 4xx). */
  deliver(request: CallbackRequest): Promise<CallbackDelivery>;
}

export function createCallbackActivities(deliverer: CallbackDeliverer) {
  return typedActivities({
    deliverCallback: (request: CallbackRequest) => deliverer.deliver(request),
  });
}

export type CallbackActivities = ReturnType<typeof createCallbackActivities>;
