// Shared by the conventions e2e files: deploy a fixture folder with a convention, and run one
// function through the four outcomes every convention must report the same way.
import { join } from 'node:path';
import { expect } from 'vitest';
import type { CaissonClient } from '../../src/client/index.js';
import { packCode } from '../../src/cli/code-package.js';
import { createDockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import type { Convention, Runtime } from '../../src/shared/types.js';
import type { TestStack } from './stack.js';

export const FIXTURES = 'test/fixtures/conventions';

export async function deployFixture(client: CaissonClient, opts: {
  dir: string; name: string; runtime: Runtime; convention: Convention; entry?: string; timeoutMs?: number;
  env?: Record<string, string>; warm?: { isolation?: 'warm' | 'fresh' };
  /** The folder holding `dir` (default: the conventions fixtures). */
  root?: string;
}) {
  const packed = await packCode(join(process.cwd(), opts.root ?? FIXTURES, opts.dir));
  return client.functions.create.mutate({
    name: opts.name, runtime: opts.runtime, code: packed.code, fileName: packed.fileName,
    convention: opts.convention, entry: opts.entry, env: opts.env, warm: opts.warm,
    limits: { timeoutMs: opts.timeoutMs ?? 3000 },
    retryPolicy: { maxAttempts: 1 },
  });
}

export interface Family {
  name: string;
  runtime: Runtime;
  convention: Convention;
  dir: string;
  entry?: string;
  ok: { payload: unknown; result: unknown; log?: string };
  /** What a thrown error's message starts with (errorType: message). */
  thrown: { payload: unknown; message: RegExp };
}

export type Invoke = CaissonClient['invocations']['invoke']['mutate'];

/** Success, a thrown error, a non-zero exit and a timeout, invoked concurrently. */
export async function checkOutcomes(invoke: Invoke, f: Family): Promise<void> {
  const run = (payload: unknown) => invoke({ function: f.name, payload, waitMs: 60_000 });
  const [ok, thrown, exited, slow] = await Promise.all([
    run(f.ok.payload), run(f.thrown.payload), run({ mode: 'exit' }), run({ mode: 'sleep' }),
  ]);
  expect(ok.error).toBeUndefined();
  expect(ok.status).toBe('SUCCEEDED');
  expect(ok.result).toEqual(f.ok.result);
  if (f.ok.log) {
    // Logs printed by the function are kept apart from its result.
    expect(`${ok.logs.stdout}${ok.logs.stderr}`).toContain(f.ok.log);
    expect(JSON.stringify(ok.result)).not.toContain(f.ok.log);
  }
  expect(thrown).toMatchObject({ status: 'FAILED', error: { kind: 'FunctionError' } });
  expect(thrown.error?.message).toMatch(f.thrown.message);
  expect(exited).toMatchObject({ status: 'FAILED', error: { kind: 'FunctionError' } });
  expect(exited.error?.message).toMatch(/exited with code 3/);
  expect(slow).toMatchObject({ status: 'FAILED', error: { kind: 'FunctionTimeout' } });
}

/** Stops a conventions stack and checks its worker left no container behind. */
export async function stopLeavingNoContainers(stack: TestStack | undefined): Promise<void> {
  if (!stack) return;
  await stack.stop();
  const left = await createDockerRuntime({}).listManaged({ 'caisson.worker': stack.workerId });
  expect(left.map((c) => c.name)).toEqual([]);
}

/** Invokes a function and waits (up to a minute) for its outcome. */
export function invokerOf(stack: () => TestStack) {
  return (fn: string, payload: unknown) => stack().client.invocations.invoke.mutate({ function: fn, payload, waitMs: 60_000 });
}
