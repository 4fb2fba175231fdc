// A synchronous caller's way in: start a workflow together with an update that answers once
// its outcome is known (update-with-start), then wait a bounded time for that answer. Used by
// invocations (the `outcome` update) and chains (`chainOutcome`).
import { WithStartWorkflowOperation, type Client, type WorkflowStartOptions } from '@temporalio/client';
import { withinMs } from '../shared/promises.js';

export interface UpdateWithStart<T> {
  /** The update's answer, whenever it comes (it may reject: the run ended first, or no handler). */
  answer: Promise<T>;
  /**
   * The answer within ms, else undefined (also when it was not given: read the record then).
   * Throws only when the workflow could not be started at all, saying why.
   */
  within(ms: number): Promise<T | undefined>;
}

export function startWithUpdate<T>(
  client: Client,
  start: { workflowType: string; options: WorkflowStartOptions & { workflowIdConflictPolicy: 'USE_EXISTING' | 'FAIL' }; update: string },
): UpdateWithStart<T> {
  const op = new WithStartWorkflowOperation(start.workflowType, start.options);
  const answer = client.workflow.executeUpdateWithStart(start.update, { startWorkflowOperation: op }) as Promise<T>;
  return {
    answer,
    async within(ms) {
      try {
        return await withinMs(answer, ms);
      } catch (err) {
        if (!(await op.workflowHandle().then(() => true, () => false))) throw err;
        return undefined;
      }
    },
  };
}
