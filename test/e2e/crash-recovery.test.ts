// A worker SIGKILLed while a function runs: the invocation completes on the restarted
// worker, and the dead attempt's container is removed (by the reaper on worker start).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { packCode } from '../../src/cli/code-package.js';
import { spawnWorkerProcess, type WorkerProcess } from '../support/worker-process.js';
import { isRemoved, runningContainerOf, waitFor } from '../support/containers.js';

const docker = createDockerRuntime({});
let stack: TestStack;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  stack = await startTestStack({ name: 'crash', withWorker: false });
});
afterAll(async () => {
  await worker?.kill('SIGTERM');
  await stack?.stop();
  expect(await docker.listManaged({ 'caisson.worker': stack.workerId })).toEqual([]);
});

it('completes invocations whose worker was SIGKILLed mid-execution, cold and warm', async () => {
  worker = await spawnWorkerProcess(stack);
  const code = (await packCode('test/fixtures/functions/py-slow')).code;
  const limits = { timeoutMs: 60_000 };
  await stack.client.functions.create.mutate({ name: 'slow-cold', runtime: 'python', code, limits, retryPolicy: { maxAttempts: 1 }, warm: { isolation: 'fresh' } });
  await stack.client.functions.create.mutate({ name: 'slow-warm', runtime: 'python', code, limits, retryPolicy: { maxAttempts: 1 } });
  const cold = await stack.client.invocations.start.mutate({ function: 'slow-cold', payload: { sleep: 4 } });
  const warm = await stack.client.invocations.start.mutate({ function: 'slow-warm', payload: { sleep: 4 } });

  const coldContainer = await waitFor('the cold container', () => runningContainerOf({ invocationId: cold.id, workerId: stack.workerId, fn: 'slow-cold' }));
  const warmContainer = await waitFor('the warm container', () => runningContainerOf({ invocationId: warm.id, workerId: stack.workerId, fn: 'slow-warm' }));
  await worker.kill('SIGKILL');

  worker = await spawnWorkerProcess(stack);
  for (const [id, orphan] of [[cold.id, coldContainer], [warm.id, warmContainer]] as const) {
    const v = await stack.client.invocations.wait.query({ id, waitMs: 120_000 });
    expect(v.status).toBe('SUCCEEDED');
    expect(v.result).toEqual({ slept: 4, attempt: 1 });
    expect(v.attempts).toBe(1); // the lost run did not use up an attempt
    // The dead attempt's container is removed (the restarted worker reaps what its earlier life left).
    await waitFor('the orphan to be removed', () => isRemoved(orphan.id), 30_000);
  }
  // The lost attempt is logged as an infrastructure failure. (A short warm attempt runs as a
  // local activity: there a crash shows in the Web UI as a workflow task timeout, and the
  // replayed task runs the attempt again.)
  const coldView = await stack.client.invocations.get.query({ id: cold.id });
  const log = coldView.attemptLog as { infrastructure?: boolean; failure?: { kind: string } }[];
  expect(log.at(0)).toMatchObject({ infrastructure: true, failure: { kind: 'InfrastructureError' } });
  expect(await docker.listManaged({ 'caisson.invocation': cold.id })).toEqual([]);
});
