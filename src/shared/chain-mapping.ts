// A chain mapping evaluated where the values it reads are inline: in runChain's workflow code,
// in a step's hand-over (workflows/chain-handoff.ts), and in the activity that starts the next
// step's container early (activities/chain-prefetch.ts). Deterministic and free of I/O; a
// mapping that needs stored values is left to the control plane (undefined here).
import { evaluateMapping, isPath, parsePath, pathsIn, type PathContext } from './chain-paths.js';
import type { PayloadRef } from './payload-ref.js';
import type { StepHandOff } from './invocation.js';

/** The values a mapping may read, each inline or by reference. */
export interface MappingContextRefs {
  input: PayloadRef;
  steps: Record<string, PayloadRef>;
  item?: PayloadRef;
  index?: number;
}

const inlineValue = (ref: PayloadRef | undefined): unknown => (ref && 'inline' in ref ? ref.inline : undefined);

/** The refs a mapping reads, or null when one of them is stored by reference. */
export function inlineContext(mapping: unknown, ctx: MappingContextRefs): PathContext | null {
  const out: PathContext = { input: null, steps: {}, index: ctx.index };
  for (const p of pathsIn(mapping)) {
    const ref = p.root === 'input' ? ctx.input : p.root === 'item' ? ctx.item : p.root === 'steps' ? ctx.steps[p.step!] : undefined;
    if (ref && !('inline' in ref)) return null;
    if (p.root === 'input') out.input = inlineValue(ref);
    if (p.root === 'item') out.item = inlineValue(ref);
    if (p.root === 'steps' && ref) out.steps[p.step!] = inlineValue(ref);
  }
  return out;
}

/**
 * A mapping's value as a PayloadRef, when no stored value is needed: a whole value passes as is
 * (even by reference); inline data is mapped here. undefined: the control plane must map it.
 */
export function mapRefHere(a: { mapping: unknown; context: MappingContextRefs; inlineBytes: number }): PayloadRef | undefined {
  if (isPath(a.mapping)) {
    const p = parsePath(a.mapping);
    if (p.rest.length === 0) {
      const whole = p.root === 'input' ? a.context.input : p.root === 'item' ? a.context.item : p.root === 'steps' ? a.context.steps[p.step!] : undefined;
      if (whole) return whole;
    }
  }
  const ctx = inlineContext(a.mapping, a.context);
  if (ctx) {
    const value = evaluateMapping(a.mapping, ctx);
    if (JSON.stringify(value ?? null).length <= a.inlineBytes) return { inline: value ?? null };
  }
  return undefined;
}

/**
 * The next step's input from this step's result, as its hand-off describes it (the workflow's
 * hand-over and the activity that starts the next container build it alike). undefined when it
 * cannot be built here: a value stored by reference, or a mapping error (the chain then maps it,
 * and fails the step with that error).
 */
export function handOffPayload(h: Pick<StepHandOff, 'mapping' | 'context' | 'step' | 'inlineBytes'>, result: PayloadRef): PayloadRef | undefined {
  try {
    return mapRefHere({ mapping: h.mapping, context: { input: h.context.input, steps: { ...h.context.steps, [h.step]: result } }, inlineBytes: h.inlineBytes });
  } catch {
    return undefined;
  }
}
