// recordFailedAttempt: shows a function's failed attempt as a failed activity in the workflow's
// history. A function failure is a value of the attempt's activity (the retry loop is the
// workflow's own), so that activity completes and the Web UI drew every attempt green; an
// ActivityTaskFailed event is what every view of the UI (timeline, compact, event list) and
// `temporal workflow show` mark red. A failed local activity would cost less, but it is a
// marker event, which most views of the UI draw as completed. Only failed attempts run it.
import { ApplicationFailure } from '@temporalio/common';
import type { FailureKind } from '../shared/types.js';

export interface FailedAttempt {
  attempt: number;
  kind: FailureKind;
  message: string;
}

export const attemptActivities = {
  /** Always fails, non-retryable, with the failure's kind as its type and its message. */
  async recordFailedAttempt(failed: FailedAttempt): Promise<void> {
    throw ApplicationFailure.create({
      type: failed.kind, message: `attempt ${failed.attempt}: ${failed.message}`, nonRetryable: true,
    });
  },
};
export type AttemptActivities = typeof attemptActivities;
