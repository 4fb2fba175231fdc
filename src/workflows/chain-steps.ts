// Deterministic helpers of runChain: the calls a step makes (with their inputs and versions),
// the next step's container, mappings over values that may be stored by reference, and a
// concurrency-limited runner.
import type { ChainActivities } from '../control/chain.activities.js';
import type { Call, RunChainInput, Step } from '../shared/chain.js';
import type { PrepareContainerRequest } from '../shared/invocation.js';
import type { FunctionVersionSpec } from '../shared/types.js';
import { coldContainerName } from '../shared/attempt-rules.js';
import { childInvocationId, childWorkflowId } from '../shared/chain-ids.js';
import { evaluateMapping, inputMappings } from '../shared/chain-paths.js';
import { inlineContext, mapRefHere, type MappingContextRefs } from '../shared/chain-mapping.js';
import type { PayloadRef } from '../shared/payload-ref.js';

/** One child invocation of a step. key: `step` or `step/<branch|index>` (what resume matches). */
export interface UnitCall {
  key: string;
  unit?: string;
  workflowId: string;
  call: Call;
  payload: PayloadRef;
}

interface MapRefArgs {
  control: ChainActivities;
  mapping: unknown;
  context: MappingContextRefs;
  inlineBytes: number;
  blobId: string;
}

/** Evaluates a mapping to a PayloadRef: a whole value passes as is (even by reference); inline
 * data is mapped here; anything that needs stored values is mapped by the control plane. */
export async function mapRef(a: MapRefArgs): Promise<PayloadRef> {
  return mapRefHere(a) ?? ((await a.control.evaluateChainMapping({ mapping: a.mapping, context: a.context, blobId: a.blobId })) as PayloadRef);
}

async function mapItems(a: MapRefArgs): Promise<PayloadRef[]> {
  const ctx = inlineContext(a.mapping, a.context);
  if (ctx) {
    const value = evaluateMapping(a.mapping, ctx);
    if (!Array.isArray(value)) throw new Error(`map items ${JSON.stringify(a.mapping)} is not an array`);
    if (JSON.stringify(value).length <= a.inlineBytes) return value.map((v: unknown) => ({ inline: v ?? null }));
  }
  return (await a.control.evaluateChainMapping({ mapping: a.mapping, context: a.context, blobId: a.blobId, asArray: true })) as PayloadRef[];
}

/** The calls of step `index` with their inputs built from the chain input and earlier outputs. */
export async function stepCalls(a: {
  input: RunChainInput; control: ChainActivities; outputs: Record<string, PayloadRef>; index: number; step: Step; inlineBytes: number;
}): Promise<UnitCall[]> {
  const { input, control, step, inlineBytes } = a;
  const id = input.chainInvocationId;
  const context: MappingContextRefs = { input: input.input, steps: a.outputs };
  const blob = (unit?: string | number) => `${id}/${step.name}${unit === undefined ? '' : `/${unit}`}/in/${input.run}`;
  const mappings = inputMappings(input.definition, a.index);
  switch (step.type) {
    case 'function': {
      const payload = await mapRef({ control, mapping: mappings[0]!.mapping, context, inlineBytes, blobId: blob() });
      return [{ key: step.name, workflowId: childWorkflowId(id, step.name), call: step, payload }];
    }
    case 'parallel':
      return Promise.all(mappings.map(async ({ unit, mapping }) => ({
        key: `${step.name}/${unit}`, unit, workflowId: childWorkflowId(id, step.name, unit), call: step.parallel[unit!]!,
        payload: await mapRef({ control, mapping, context, inlineBytes, blobId: blob(unit) }),
      })));
    case 'map': {
      const items = await mapItems({ control, mapping: step.map.items, context, inlineBytes, blobId: blob('items') });
      if (items.length === 0) return [];
      return Promise.all(items.map(async (item, index) => ({
        key: `${step.name}/${index}`, unit: String(index), workflowId: childWorkflowId(id, step.name, index), call: step.map,
        payload: await mapRef({ control, mapping: mappings[0]!.mapping, context: { ...context, item, index }, inlineBytes, blobId: blob(index) }),
      })));
    }
  }
}

/**
 * Runs fn(0..n-1) with at most `limit` at once, in index order; stops starting new ones once
 * `stop()` says so (the ones running finish). Deterministic: plain promises, no timers.
 */
export async function runLimited<T>(n: number, limit: number, stop: () => boolean, fn: (i: number) => Promise<T>): Promise<Array<T | undefined>> {
  const results: Array<T | undefined> = new Array<T | undefined>(n).fill(undefined);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < n && !stop()) {
      const i = next++;
      results[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(0, Math.min(limit, n)) }, lane));
  return results;
}

/**
 * When this is a function step followed by another one still to run: the container that
 * step's first cold attempt will ask for, so this step's worker can create it while this step
 * runs (src/runtime/lifecycle/prepared-containers.ts). Its payload is this step's output: not known yet.
 */
export function nextContainer(run: { input: RunChainInput; index: number; outputs: Record<string, PayloadRef> }): PrepareContainerRequest | undefined {
  const { input, index } = run;
  const step = input.definition.steps[index]!;
  const next = input.definition.steps[index + 1];
  if (step.type !== 'function' || next?.type !== 'function' || run.outputs[next.name] || input.done?.units?.[next.name]) return undefined;
  const invocationId = childInvocationId(childWorkflowId(input.chainInvocationId, next.name));
  return { containerName: coldContainerName(invocationId, 1), invocationId, attempt: 1, spec: effectiveSpec(input.specs[next.function]!, next) };
}

/** The pinned version with this step's retry and timeout overrides. */
export function effectiveSpec(spec: FunctionVersionSpec, call: Call): FunctionVersionSpec {
  return {
    ...spec,
    retryPolicy: { ...spec.retryPolicy, ...call.retry },
    limits: call.timeoutMs ? { ...spec.limits, timeoutMs: call.timeoutMs } : spec.limits,
  };
}

/** The functions a step calls, by the names its definition uses. */
export function stepFunctions(step: Step): string[] {
  return step.type === 'function' ? [step.function] : step.type === 'map' ? [step.map.function] : Object.values(step.parallel).map((c) => c.function);
}
