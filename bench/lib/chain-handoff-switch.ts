// Turns the chains' step hand-over off and on at run time, so one bench run can time chains
// with and without it, alternated, on the same api, worker and Temporal server: a client
// interceptor of the api that starts runChain with `handOff: false` while `on` is false.
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { RunChainInput } from '../../src/shared/chain.js';

export interface HandOffSwitch {
  on: boolean;
  interceptor: WorkflowClientInterceptor;
}

export function handOffSwitch(): HandOffSwitch {
  const sw: HandOffSwitch = { on: true, interceptor: {} };
  const args = (type: string, a: unknown[]) =>
    (sw.on || type !== 'runChain' ? a : [{ ...(a[0] as RunChainInput), handOff: false }, ...a.slice(1)]);
  sw.interceptor = {
    startWithDetails: (input, next) => next({ ...input, options: { ...input.options, args: args(input.workflowType, input.options.args) } }),
    startUpdateWithStart: (input, next) => next({
      ...input, workflowStartOptions: { ...input.workflowStartOptions, args: args(input.workflowType, input.workflowStartOptions.args) },
    }),
  };
  return sw;
}
