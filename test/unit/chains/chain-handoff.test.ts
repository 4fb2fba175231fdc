// The hand-over between function steps: which steps hand over, what each one is given to build
// the next step's input, and that the input built from it equals the chain's own mapping.
import { describe, expect, it } from 'vitest';
import { ChainDefinitionSchema, type RunChainInput } from '../../../src/shared/chain.js';
import type { PayloadRef } from '../../../src/shared/payload-ref.js';
import { testSpec } from '../activities/fakes.js';
import { handOffFor, handsOver, readsStep } from '../../../src/workflows/chain-handoff.js';
import { mapRefHere } from '../../../src/shared/chain-mapping.js';

const chain = (steps: unknown[], extra: Partial<RunChainInput> = {}): RunChainInput => ({
  chainInvocationId: 'cinv', chain: { id: 'c1', namespace: 'ns', name: 'c', version: 1 },
  definition: ChainDefinitionSchema.parse({ name: 'c', steps }), specs: {}, input: { inline: { name: 'Ada', n: 1 } },
  taskQueues: { control: 'ctl', data: 'data' }, acceptedAt: '2026-12-06T00:00:00.000Z', inlineBytes: 100, run: 1, ...extra,
});

const f = testSpec;
const five = chain([
  { name: 'one', function: 'f' },
  { name: 'two', function: 'f', input: { name: '$.steps.one.output.message' } },
  { name: 'three', function: 'f', input: { name: '$.steps.two.output.message', first: '$.steps.one.output.message', n: '$.input.n' } },
  { name: 'four', parallel: { a: { function: 'f' } } },
  { name: 'five', function: 'f' },
], { specs: { f } });

describe('which steps hand over', () => {
  it.each([
    [0, {}, true],
    [1, {}, true],
    [2, {}, false], // the next step runs branches
    [3, {}, false], // this one does
    [4, {}, false], // the last
    [0, { two: { inline: 1 } }, false], // the next one finished in an earlier run
  ] as Array<[number, Record<string, PayloadRef>, boolean]>)('step %i (outputs %j): %s', (index, outputs, expected) => {
    expect(handsOver(five, index, outputs)).toBe(expected);
  });

  it('not to a unit that finished in an earlier run', () => {
    expect(handsOver(chain(five.definition.steps, { done: { steps: {}, units: { two: { inline: 1 } } } }), 0, {})).toBe(false);
  });
});

describe('what a step is given', () => {
  it("the next step's mapping, the outputs it reads that are known, and whether to forward its own", () => {
    expect(handOffFor(five, 0, {})).toEqual({
      workflowId: 'cinv/two', step: 'one', mapping: { name: '$.steps.one.output.message' },
      context: { input: { inline: null }, steps: {} }, inlineBytes: 100, forward: true, // three reads one
      // three's container is prepared too: it is started early on two's success
      prepareAfter: { containerName: 'caisson-cinv.three-1', invocationId: 'cinv.three', attempt: 1, spec: f },
    });
    const one = { inline: { message: 'Hello, Ada!' } };
    const fromTwo = handOffFor(five, 1, { one });
    expect(fromTwo).toMatchObject({ workflowId: 'cinv/three', step: 'two', context: { input: five.input, steps: { one } }, forward: false });
    expect(fromTwo!.prepareAfter).toBeUndefined(); // four runs branches: nothing is started early for it
    expect(handOffFor(five, 2, {})).toBeUndefined();
  });

  it('readsStep looks at every path of a mapping (and the default input)', () => {
    expect(readsStep(five, 2, 'one')).toBe(true);
    expect(readsStep(five, 2, 'three')).toBe(false);
    expect(readsStep(five, 4, 'four')).toBe(true); // default: the previous step's output
    expect(readsStep(five, 9, 'one')).toBe(false);
  });
});

describe('the input a step builds', () => {
  const h = handOffFor(five, 1, { one: { inline: { message: 'Hi one' } } })!;
  const build = (result: PayloadRef, steps = h.context.steps) =>
    mapRefHere({ mapping: h.mapping, context: { input: h.context.input, steps: { ...steps, [h.step]: result } }, inlineBytes: h.inlineBytes });

  it('inline values are mapped here', () => {
    expect(build({ inline: { message: 'Hi two' } })).toEqual({ inline: { name: 'Hi two', first: 'Hi one', n: 1 } });
  });

  it('a value stored by reference, or a result too big, is left to the chain', () => {
    expect(build({ ref: 'blob1', sizeBytes: 10 })).toBeUndefined();
    expect(build({ inline: { message: 'x'.repeat(200) } })).toBeUndefined();
  });

  it('a whole output passes as is, even by reference', () => {
    const ref = { ref: 'blob1', sizeBytes: 10 };
    expect(mapRefHere({ mapping: '$.steps.one.output', context: { input: { inline: null }, steps: { one: ref } }, inlineBytes: 1 })).toBe(ref);
  });
});
