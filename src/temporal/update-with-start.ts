// A synchronous caller's way in: start a workflow together with an update that answers once
// its outcome is known (update-with-start), then wait a bounded time for that answer. Used by
// invocations (outcomeUpdate) and chains (chainOutcomeUpdate). Typed by the workflow function
// and the update's definition (shared/workflow-messages.ts).
import { WithStartWorkflowOperation, type Client, type WorkflowStartOptions } from '@temporalio/client';
import type { UpdateDefinition, Workflow } from '@temporalio/common';
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

export interface StartWithUpdate<W extends Workflow, Ret> {
  workflow: W;
  options: WorkflowStartOptions<W> & { workflowIdConflictPolicy: 'USE_EXISTING' | 'FAIL' };
  update: UpdateDefinition<Ret, []>;
}

export function startWithUpdate<W extends Workflow, Ret>(client: Client, start: StartWithUpdate<W, Ret>): UpdateWithStart<Ret> {
  const op = new WithStartWorkflowOperation(start.workflow, start.options);
  const answer = client.workflow.executeUpdateWithStart(start.update, { startWorkflowOperation: op });
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
