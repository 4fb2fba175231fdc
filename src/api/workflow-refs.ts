// The api starts workflows by their function type without loading any workflow code: each ref
// is a named stand-in typed as the workflow (`import type` only) and named as the worker
// registers it, which is all the client reads of a workflow function (its name).
// test/unit/api/workflow-refs.test.ts holds each name against the real function.
import type { Workflow } from '@temporalio/common';
import type { deployFunction as DeployFunction } from '../workflows/deploy-function.workflow.js';
import type { invokeFunction as InvokeFunction } from '../workflows/invoke-function.workflow.js';
import type { runChain as RunChain } from '../workflows/run-chain.workflow.js';
import type { fireSchedule as FireSchedule } from '../workflows/fire-schedule.workflow.js';

/** A function named `name` with the workflow's type; calling it is a mistake (workflows run on workers). */
function workflowRef<W extends Workflow>(name: string): W {
  const stand = {
    [name]: () => {
      throw new Error(`${name} is a workflow: start it with a Temporal client`);
    },
  }[name]!;
  // The one cast of the seam: the stand-in has the workflow's name, and only its type otherwise.
  return stand as unknown as W;
}

export const invokeFunction = workflowRef<typeof InvokeFunction>('invokeFunction');
export const runChain = workflowRef<typeof RunChain>('runChain');
export const deployFunction = workflowRef<typeof DeployFunction>('deployFunction');
export const fireSchedule = workflowRef<typeof FireSchedule>('fireSchedule');
