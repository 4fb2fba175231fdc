// The hand-over between two function steps of a chain. The chain starts step N+1's workflow
// when it starts step N's; N+1 waits for its input (the stepInput signal). Step N, in the
// workflow task that learns its result, builds N+1's input with N+1's mapping and signals it:
// N+1 starts its attempt without waiting for a workflow task of the chain. The chain sends the
// same input too (its own mapping, after its own task), so a hand-over that could not happen
// here (values stored by reference, a mapping error) only costs that wait.
import { condition, getExternalWorkflowHandle, setHandler } from '@temporalio/workflow';
import type { RunChainInput } from '../shared/chain.js';
import type { InvokeFunctionInput, StartedNext, StepHandOff, StepInput } from '../shared/invocation.js';
import type { PayloadRef } from '../shared/payload-ref.js';
import { inputMappings, pathsIn } from '../shared/chain-paths.js';
import { childWorkflowId } from '../shared/chain-ids.js';
import { stepInputSignal } from '../shared/workflow-messages.js';
import { handOffPayload } from '../shared/chain-mapping.js';
import { nextContainer } from './chain-steps.js';

/** Whether steps index and index+1 are function steps, the second still to run. */
export function handsOver(input: RunChainInput, index: number, outputs: Record<string, PayloadRef>): boolean {
  const step = input.definition.steps[index];
  const next = input.definition.steps[index + 1];
  return step?.type === 'function' && next?.type === 'function' && !outputs[next.name] && !input.done?.units?.[next.name];
}

/**
 * Step index's hand-off to step index+1, from the outputs known now (earlier steps', not step
 * index-1's when step index is itself started ahead: that one arrives with its input).
 */
export function handOffFor(input: RunChainInput, index: number, outputs: Record<string, PayloadRef>): StepHandOff | undefined {
  if (!handsOver(input, index, outputs)) return undefined;
  const step = input.definition.steps[index]!;
  const next = input.definition.steps[index + 1]!;
  const { mapping } = inputMappings(input.definition, index + 1)[0]!;
  const paths = pathsIn(mapping);
  const steps: Record<string, PayloadRef> = {};
  for (const p of paths) if (p.root === 'steps' && outputs[p.step!]) steps[p.step!] = outputs[p.step!]!;
  const after = nextContainer({ input, index: index + 1, outputs });
  return {
    workflowId: childWorkflowId(input.chainInvocationId, next.name), step: step.name, mapping,
    context: { input: paths.some((p) => p.root === 'input') ? input.input : { inline: null }, steps },
    inlineBytes: input.inlineBytes, forward: readsStep(input, index + 2, step.name),
    ...(after ? { prepareAfter: after } : {}),
  };
}

/** Whether step `index`'s input mapping reads step `name`'s output. */
export function readsStep(input: RunChainInput, index: number, name: string): boolean {
  if (!input.definition.steps[index]) return false;
  return inputMappings(input.definition, index).some(({ mapping }) => pathsIn(mapping).some((p) => p.root === 'steps' && p.step === name));
}

/**
 * Sends the next step its input, built from this step's result, when it can be built here.
 * When this step's attempt started the next step's container already (`startedNext`), the input
 * is the one it was given, and the signal says where it runs. Not awaited: the signal leaves
 * with this workflow task's commands.
 */
export function handOver(h: StepHandOff, result: PayloadRef, startedNext?: StartedNext): void {
  const payload = startedNext?.payload ?? handOffPayload(h, result);
  if (!payload) return; // stored by reference, or a mapping error: the chain's own input counts
  const input: StepInput = { payload, steps: h.forward ? { [h.step]: result } : {}, ...(startedNext ? { started: startedNext.started } : {}) };
  void getExternalWorkflowHandle(h.workflowId).signal(stepInputSignal, input).catch(() => undefined);
}

/**
 * A step started ahead: waits for its input (the first stepInput signal). A cancellation while
 * waiting ends the workflow cancelled before anything ran or was recorded.
 */
export async function receiveStepInput(start: InvokeFunctionInput): Promise<InvokeFunctionInput> {
  let received: StepInput | undefined;
  setHandler(stepInputSignal, (s) => void (received ??= s));
  await condition(() => received !== undefined);
  const { awaitsInput: _, handOff, ...rest } = start;
  const { payload, steps, started } = received!;
  return {
    ...rest, payload, acceptedAt: new Date(Date.now()).toISOString(), ...(started ? { started } : {}),
    ...(handOff ? { handOff: { ...handOff, context: { ...handOff.context, steps: { ...handOff.context.steps, ...steps } } } } : {}),
  };
}
