// A worker SIGKILLed while a function runs: the invocation completes on the restarted
// worker, and the dead attempt's container is removed (by the reaper on worker start).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDockerRuntime } from '../../src/runtime/docker-runtime.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { deployDir } from '../support/deploy.js';
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

it('completes an invocation whose worker was SIGKILLed mid-execution', async () => {
  worker = await spawnWorkerProcess(stack);
  await deployDir(stack.client, { dir: 'test/fixtures/functions/py-slow', name: 'slow', runtime: 'python', timeoutMs: 60_000 });
  const { id } = await stack.client.invocations.start.mutate({ function: 'slow', payload: { sleep: 4 } });

  const first = await waitFor('the first container', () => runningContainerOf({ invocationId: id, workerId: stack.workerId, fn: 'slow' }));
  await worker.kill('SIGKILL');

  worker = await spawnWorkerProcess(stack);
  const v = await stack.client.invocations.wait.query({ id, waitMs: 120_000 });
  expect(v.status).toBe('SUCCEEDED');
  expect(v.result).toEqual({ slept: 4, attempt: 1 });
  // The lost attempt is visible as an infrastructure failure, and did not use up an attempt.
  const log = v.attemptLog as { infrastructure?: boolean; failure?: { kind: string } }[];
  expect(log.at(0)).toMatchObject({ infrastructure: true, failure: { kind: 'InfrastructureError' } });
  expect(v.attempts).toBe(1);
  // The dead attempt's container is removed (the restarted worker reaps what its earlier life left).
  await waitFor('the orphan to be removed', () => isRemoved(first.id), 30_000);
  expect(await docker.listManaged({ 'caisson.invocation': id })).toEqual([]);
});
