// Platform logs of a real `caisson worker` process: JSON lines carrying the worker id, and one
// line per attempt naming its invocation, function, version, outcome and start.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.js';
import { deployDir } from '../support/deploy.js';
import { waitFor } from '../support/containers.js';
import { spawnWorkerProcess, type WorkerProcess } from '../support/worker-process.js';

let stack: TestStack;
let worker: WorkerProcess;

beforeAll(async () => {
  stack = await startTestStack({ name: 'platformlog', withWorker: false });
  worker = await spawnWorkerProcess(stack, { CAISSON_LOG_FORMAT: 'json' });
  await deployDir(stack.client, { name: 'hello', runtime: 'python', dir: 'test/fixtures/functions/py-hello-script' });
  await deployDir(stack.client, { name: 'fails', runtime: 'python', dir: 'test/fixtures/functions/py-fail' });
});

afterAll(async () => {
  await worker?.kill('SIGTERM');
  await stack?.stop();
});

const jsonLines = () => worker.output().split('\n').flatMap((l) => {
  try {
    const v: unknown = JSON.parse(l);
    return v && typeof v === 'object' ? [v as Record<string, unknown>] : [];
  } catch {
    return [];
  }
});

it('writes JSON lines with the worker id, and one per attempt with its invocation and function', async () => {
  expect(jsonLines().find((l) => String(l.msg).startsWith('polling'))).toMatchObject({ level: 'info', service: 'worker', workerId: stack.workerId });
  const ok = await stack.client.invocations.invoke.mutate({ function: 'hello', payload: { name: 'Log' } });
  const failed = await stack.client.invocations.invoke.mutate({ function: 'fails', payload: null });
  const lineOf = (id: string) => waitFor(`the attempt line of ${id}`, async () => jsonLines().find((l) => l.invocationId === id), 30_000);
  expect(await lineOf(ok.id)).toMatchObject({
    level: 'info', service: 'worker', workerId: stack.workerId, msg: 'attempt ended',
    namespace: 'default', function: 'hello', version: 1, outcome: 'Succeeded', start: expect.stringMatching(/^(cold|warm)$/),
  });
  expect(await lineOf(failed.id)).toMatchObject({ level: 'warn', function: 'fails', outcome: 'FunctionError', workerId: stack.workerId });
  expect(typeof (await lineOf(ok.id)).time).toBe('string');
});
