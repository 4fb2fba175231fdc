// The result limit applies to the function's result, not to an envelope around it: a result of
// exactly the limit is accepted, one byte more is InvalidOutput naming both sizes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.js';
import { deployFixture } from '../support/conventions.js';

const LIMIT = 20_000;
let stack: TestStack;

const functions = [
  { name: 'py-size-warm', dir: 'py-result-size', runtime: 'python', isolation: 'warm' },
  { name: 'py-size-fresh', dir: 'py-result-size', runtime: 'python', isolation: 'fresh' },
  { name: 'node-size-warm', dir: 'node-result-size', runtime: 'node', isolation: 'warm' },
  { name: 'node-size-fresh', dir: 'node-result-size', runtime: 'node', isolation: 'fresh' },
] as const;

beforeAll(async () => {
  stack = await startTestStack({ name: 'conform-result', env: { CAISSON_MAX_RESULT_BYTES: String(LIMIT) } });
  await Promise.all(functions.map((f) => deployFixture(stack.client, {
    dir: f.dir, name: f.name, runtime: f.runtime, convention: 'lambda', warm: { isolation: f.isolation }, root: 'test/fixtures/conformance',
  })));
}, 300_000);

afterAll(async () => {
  await stack?.stop();
});

describe.each(functions)('$name', (f) => {
  it('accepts a result of exactly the limit and refuses one byte more, naming both sizes', async () => {
    const invoke = (bytes: number) => stack.client.invocations.invoke.mutate({ function: f.name, payload: { bytes }, waitMs: 60_000 });
    const [exact, over] = await Promise.all([invoke(LIMIT), invoke(LIMIT + 1)]);
    expect(exact.error).toBeUndefined();
    expect((exact.result as string).length).toBe(LIMIT - 2);
    expect(over).toMatchObject({
      status: 'FAILED',
      error: { kind: 'InvalidOutput', message: `the result is ${LIMIT + 1} bytes, over the limit of ${LIMIT} bytes` },
    });
  });
});
