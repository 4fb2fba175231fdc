// The platform end to end: deploy and invoke through the real HTTP api, real Temporal,
// real Docker, real database (PGlite here; postgres.test.ts runs the production path).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRPCClientError } from '@trpc/client';
import { createDockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { deployDir } from '../support/deploy.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ name: 'e2e' });
});

afterAll(async () => {
  await stack?.stop();
  const left = await createDockerRuntime({}).listManaged({ 'caisson.worker': stack.workerId });
  expect(left.map((c) => c.name)).toEqual([]);
});

function trpcCode(err: unknown): string | undefined {
  return err instanceof TRPCClientError ? (err.data as { code?: string })?.code : undefined;
}

describe('deploy and invoke', () => {
  it.each([
    { runtime: 'python' as const, dir: 'examples/hello-python', name: 'hello-py' },
    { runtime: 'node' as const, dir: 'examples/hello-node', name: 'hello-node' },
    { runtime: 'go' as const, dir: 'examples/hello-go', name: 'hello-go' },
  ])('runs the $runtime hello function synchronously', async ({ runtime, dir, name }) => {
    const spec = await deployDir(stack.client, { dir, name, runtime });
    expect(spec.version).toBe(1);
    const v = await stack.client.invocations.invoke.mutate({ function: name, payload: { name: 'Ada' } });
    expect(v.status).toBe('SUCCEEDED');
    expect(v.result).toEqual({ message: 'Hello, Ada!' });
    expect(v.version).toBe(1);
    expect(v.attempts).toBe(1);
  });

  it('runs a handler-convention function with logs apart from the result', async () => {
    await deployDir(stack.client, { dir: 'examples/handler-python', name: 'handler-py', runtime: 'python', convention: 'handler' });
    const v = await stack.client.invocations.invoke.mutate({ function: 'handler-py', payload: { name: 'Grace' } });
    expect(v.status).toBe('SUCCEEDED');
    expect(v.result).toMatchObject({ message: 'Hello, Grace!' });
  });

  it('starts asynchronously, then get reports the result', async () => {
    const { id } = await stack.client.invocations.start.mutate({ function: 'hello-py', payload: { name: 'Async' } });
    expect(id).toMatch(/^inv_/);
    const v = await stack.client.invocations.wait.query({ id, waitMs: 60_000 });
    expect(v.status).toBe('SUCCEEDED');
    const got = await stack.client.invocations.get.query({ id });
    expect(got.result).toEqual({ message: 'Hello, Async!' });
    const list = await stack.client.invocations.list.query({ function: 'hello-py' });
    expect(list.items.map((i) => i.id)).toContain(id);
  });

  it('update makes version 2 while v1 invocations still report v1', async () => {
    const before = await stack.client.invocations.invoke.mutate({ function: 'hello-py', payload: { name: 'v1' } });
    const code = Buffer.from('import json\nprint(json.dumps({"v": 2}))\n').toString('base64');
    const spec = await stack.client.functions.update.mutate({ name: 'hello-py', code, fileName: 'main.py' });
    expect(spec.version).toBe(2);
    // Settings the update does not name are inherited (v1 was deployed with maxAttempts 1).
    expect(spec.retryPolicy.maxAttempts).toBe(1);
    const after = await stack.client.invocations.invoke.mutate({ function: 'hello-py', payload: {} });
    expect(after).toMatchObject({ version: 2, result: { v: 2 } });
    const old = await stack.client.invocations.get.query({ id: before.id });
    expect(old).toMatchObject({ version: 1, result: { message: 'Hello, v1!' } });
    const pinned = await stack.client.invocations.invoke.mutate({ function: 'hello-py', version: 1, payload: { name: 'pin' } });
    expect(pinned).toMatchObject({ version: 1, result: { message: 'Hello, pin!' } });
  });

  it('reports a failing function with its stderr', async () => {
    await deployDir(stack.client, { dir: 'test/fixtures/functions/py-fail', name: 'fails', runtime: 'python' });
    const v = await stack.client.invocations.invoke.mutate({ function: 'fails', payload: {} });
    expect(v.status).toBe('FAILED');
    expect(v.error?.kind).toBe('FunctionError');
    expect(v.error?.stderrTail).toContain('about to fail');
  });

  it('deletes a function; invoking it is then NOT_FOUND', async () => {
    await deployDir(stack.client, { dir: 'examples/hello-python', name: 'doomed', runtime: 'python' });
    await stack.client.functions.delete.mutate({ name: 'doomed' });
    const err = await stack.client.invocations.invoke.mutate({ function: 'doomed', payload: {} }).catch((e) => e);
    expect(trpcCode(err)).toBe('NOT_FOUND');
  });
});

describe('bad input changes nothing', () => {
  it('unknown function → NOT_FOUND', async () => {
    const err = await stack.client.invocations.invoke.mutate({ function: 'no-such-fn', payload: {} }).catch((e) => e);
    expect(trpcCode(err)).toBe('NOT_FOUND');
    expect(String(err.message)).toContain('no-such-fn');
  });

  it('malformed input → BAD_REQUEST naming the field', async () => {
    const err = await stack.client.functions.create
      .mutate({ name: 'Bad Name!', runtime: 'python', code: 'cHJpbnQoMSk=' })
      .catch((e) => e);
    expect(trpcCode(err)).toBe('BAD_REQUEST');
    expect(err.data.zodError.fieldErrors).toHaveProperty('name');
    // Readable: which field and why, not zod's issues as JSON.
    expect(err.message).toMatch(/^name: /);
    expect(err.data.issues).toEqual([expect.objectContaining({ path: 'name' })]);
    const list = await stack.client.functions.list.query({});
    expect(list.items.map((f) => f.name)).not.toContain('Bad Name!');
  });

  it('a payload over the size limit → PAYLOAD_TOO_LARGE and nothing started', async () => {
    const before = await stack.client.invocations.list.query({ function: 'hello-node', limit: 200 });
    const big = 'x'.repeat(stack.config.limits.payloadBytes + 10);
    const err = await stack.client.invocations.start.mutate({ function: 'hello-node', payload: big }).catch((e) => e);
    expect(trpcCode(err)).toBe('PAYLOAD_TOO_LARGE');
    expect(String(err.message)).toMatch(/payload is \d+ bytes, over the limit/);
    const after = await stack.client.invocations.list.query({ function: 'hello-node', limit: 200 });
    expect(after.items.length).toBe(before.items.length);
  });
});
