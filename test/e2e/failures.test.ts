// Failure semantics end to end: every failure kind, exact attempt counts, retry policy,
// dead letters and replay, idempotency keys under a race, cancellation, and a 5 MiB
// payload and result travelling by reference. Real Temporal, Docker and database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRPCClientError } from '@trpc/client';
import { createDockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { packCode } from '../../src/cli/code-package.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { isGoneOrStopped, isRemoved, runningContainerOf, waitFor } from '../support/containers.js';

const docker = createDockerRuntime({});
let stack: TestStack;
let code: string;

beforeAll(async () => {
  stack = await startTestStack({ name: 'failures' });
  code = (await packCode('test/fixtures/functions/py-failures')).code;
});
afterAll(async () => {
  await stack?.stop();
  expect(await docker.listManaged({ 'caisson.worker': stack.workerId })).toEqual([]);
});

const trpcCode = (err: unknown) => (err instanceof TRPCClientError ? (err.data as { code?: string }).code : undefined);

async function deploy(name: string, opts: { maxAttempts?: number; retryOn?: ('FunctionError' | 'FunctionTimeout' | 'FunctionOOM' | 'InvalidOutput')[]; timeoutMs?: number; memoryMb?: number } = {}) {
  return stack.client.functions.create.mutate({
    name, runtime: 'python', code,
    limits: { timeoutMs: opts.timeoutMs ?? 20_000, memoryMb: opts.memoryMb ?? 128 },
    retryPolicy: { maxAttempts: opts.maxAttempts ?? 1, initialIntervalMs: 50, backoffCoefficient: 1, retryOn: opts.retryOn },
  });
}

describe('failure kinds', () => {
  beforeAll(async () => {
    await deploy('kinds', { timeoutMs: 1500, memoryMb: 64 });
  });

  it.each([
    { mode: 'flaky', extra: { succeedOn: 99 }, kind: 'FunctionError', stderr: 'attempt 1 fails' },
    { mode: 'sleep', extra: { seconds: 30 }, kind: 'FunctionTimeout', stderr: 'sleeping' },
    { mode: 'oom', extra: {}, kind: 'FunctionOOM', stderr: undefined },
    { mode: 'invalid', extra: {}, kind: 'InvalidOutput', stderr: undefined },
  ])('$mode → $kind, with message, attempt count and stderr tail', async ({ mode, extra, kind, stderr }) => {
    const t0 = Date.now();
    const v = await stack.client.invocations.invoke.mutate({ function: 'kinds', payload: { mode, ...extra } });
    expect(v.status).toBe('FAILED');
    expect(v.error).toMatchObject({ kind, attempts: 1 });
    expect(v.error!.message.length).toBeGreaterThan(0);
    if (stderr) expect(v.error!.stderrTail).toContain(stderr);
    if (kind === 'FunctionTimeout') expect(Date.now() - t0).toBeLessThan(1500 + 2000 + 5000); // killed, not waited out
  });
});

describe('retries', () => {
  it('fails on attempts 1 and 2 and succeeds on 3, using its attempt number', async () => {
    await deploy('flaky', { maxAttempts: 3 });
    const v = await stack.client.invocations.invoke.mutate({ function: 'flaky', payload: { mode: 'flaky', succeedOn: 3 } });
    expect(v).toMatchObject({ status: 'SUCCEEDED', result: { succeededOn: 3 }, attempts: 3 });
    expect((v.attemptLog as { failure?: { kind: string } }[]).map((a) => a.failure?.kind ?? 'ok'))
      .toEqual(['FunctionError', 'FunctionError', 'ok']);
  });

  it('honours an overridden retryOn: a kind left out is not retried', async () => {
    await deploy('no-retry-errors', { maxAttempts: 3, retryOn: ['FunctionTimeout'] });
    const v = await stack.client.invocations.invoke.mutate({ function: 'no-retry-errors', payload: { mode: 'flaky', succeedOn: 2 } });
    expect(v).toMatchObject({ status: 'FAILED', attempts: 1, error: { kind: 'FunctionError' } });
  });
});

describe('dead letters', () => {
  it('records exhausted invocations, and a concurrent double replay yields one replay', async () => {
    await deploy('dlq-fn', { maxAttempts: 2 });
    const failed = await stack.client.invocations.invoke.mutate({ function: 'dlq-fn', payload: { mode: 'flaky', succeedOn: 3 } });
    expect(failed).toMatchObject({ status: 'FAILED', attempts: 2 });
    const list = await stack.client.deadLetters.list.query({ function: 'dlq-fn' });
    expect(list.items).toHaveLength(1);
    const dl = await stack.client.deadLetters.get.query({ id: list.items[0]!.id });
    expect(dl).toMatchObject({ invocationId: failed.id, version: 1, input: { mode: 'flaky', succeedOn: 3 } });
    expect(dl.errors.map((e) => e.failure?.kind)).toEqual(['FunctionError', 'FunctionError']);

    // Fix the function (v2 always succeeds), then replay twice at once on the latest version.
    await stack.client.functions.update.mutate({ name: 'dlq-fn', code: Buffer.from('import json\nprint(json.dumps({"fixed": True}))\n').toString('base64'), fileName: 'main.py' });
    const [a, b] = await Promise.all([
      stack.client.deadLetters.replay.mutate({ id: dl.id, latest: true }),
      stack.client.deadLetters.replay.mutate({ id: dl.id, latest: true }),
    ]);
    expect(a.invocationId).toBe(b.invocationId);
    const replayed = await stack.client.invocations.wait.query({ id: a.invocationId, waitMs: 60_000 });
    expect(replayed).toMatchObject({ status: 'SUCCEEDED', version: 2, result: { fixed: true }, replayOf: failed.id });
    expect((await stack.client.deadLetters.get.query({ id: dl.id })).replayedAs).toBe(a.invocationId);
    const all = await stack.client.invocations.list.query({ function: 'dlq-fn', limit: 200 });
    expect(all.items).toHaveLength(2); // the failed one and exactly one replay

    await stack.client.deadLetters.delete.mutate({ id: dl.id });
    expect(trpcCode(await stack.client.deadLetters.get.query({ id: dl.id }).catch((e) => e))).toBe('NOT_FOUND');
  });
});

describe('idempotency keys', () => {
  it('20 concurrent requests with one key run the function once', async () => {
    await deploy('idem');
    const key = `key-${Date.now()}`;
    const results = await Promise.all(Array.from({ length: 20 }, () =>
      stack.client.invocations.start.mutate({ function: 'idem', payload: { mode: 'echo', n: 1 }, idempotencyKey: key })));
    const ids = new Set(results.map((r) => r.id));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    const v = await stack.client.invocations.wait.query({ id: id!, waitMs: 60_000 });
    expect(v).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    const list = await stack.client.invocations.list.query({ function: 'idem', limit: 200 });
    expect(list.items).toHaveLength(1);
    // After completion the key still answers with the same invocation, without running again.
    const again = await stack.client.invocations.invoke.mutate({ function: 'idem', payload: { mode: 'echo', n: 1 }, idempotencyKey: key });
    expect(again).toMatchObject({ id, status: 'SUCCEEDED', attempts: 1 });
  });

  it('the same key with a different input → CONFLICT', async () => {
    const key = `conflict-${Date.now()}`;
    await stack.client.invocations.start.mutate({ function: 'idem', payload: { mode: 'echo', n: 1 }, idempotencyKey: key });
    const err = await stack.client.invocations.start.mutate({ function: 'idem', payload: { mode: 'echo', n: 2 }, idempotencyKey: key }).catch((e) => e);
    expect(trpcCode(err)).toBe('CONFLICT');
  });
});

describe('cancellation', () => {
  it('stops the container within 2 s, removes it, and ends Cancelled', async () => {
    await deploy('cancel-me', { timeoutMs: 60_000 });
    const { id } = await stack.client.invocations.start.mutate({ function: 'cancel-me', payload: { mode: 'sleep', seconds: 60 } });
    const container = await waitFor('the function to run', () =>
      runningContainerOf({ invocationId: id, workerId: stack.workerId, fn: 'cancel-me' }), 30_000);
    await new Promise((r) => setTimeout(r, 300)); // let it really start sleeping
    const t0 = Date.now();
    const cancelled = stack.client.invocations.cancel.mutate({ id });
    await waitFor('the container to stop', () => isGoneOrStopped(container.id), 10_000, 50);
    expect(Date.now() - t0).toBeLessThan(2000);
    const v = await cancelled;
    expect(v.status).toBe('CANCELLED');
    expect(v.error?.kind).toBe('Cancelled');
    await waitFor('the container to be removed', () => isRemoved(container.id), 10_000);
  });
});

describe('large payloads', () => {
  it('a 5 MiB payload and result travel by reference and arrive intact', async () => {
    await deploy('echo-big');
    const blob = 'z'.repeat(5 * 1024 * 1024);
    const v = await stack.client.invocations.invoke.mutate({ function: 'echo-big', payload: { mode: 'echo', blob } });
    expect(v.status).toBe('SUCCEEDED');
    expect((v.result as { blob: string }).blob.length).toBe(blob.length);
    expect((v.result as { blob: string }).blob === blob).toBe(true);
    const got = await stack.client.invocations.get.query({ id: v.id });
    expect((got.result as { blob: string }).blob.length).toBe(blob.length);
  });
});
