// A synchronous invoke answers from the workflow's `outcome` update and writes the record of
// a success itself (the workflow runs no record activity then). These tests show the record
// is never lost: read right after the answer, and repaired from the workflow's result when
// the caller died between the answer and the write. Real Temporal, Docker and database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInvocationService } from '../../src/api/services/invocation.service.js';
import { controlTaskQueue, dataTaskQueue } from '../../src/shared/task-queues.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { deployDir } from '../support/deploy.js';
import { waitFor } from '../support/containers.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ name: 'sync' });
  await deployDir(stack.client, { dir: 'examples/hello-python', name: 'hello', runtime: 'python' });
});

afterAll(async () => {
  await stack?.stop();
});

/** An invocation service whose record writes fail, as if its process died right after the answer. */
function callerThatDiesBeforeRecording() {
  const queue = stack.config.temporal.taskQueue;
  return createInvocationService({
    db: stack.api.db, temporal: stack.api.temporal, limits: stack.config.limits,
    taskQueues: { control: controlTaskQueue(queue), data: dataTaskQueue(queue) },
    recordOutcome: async () => { throw new Error('the api died before writing the record'); },
  });
}

describe('synchronous invoke', () => {
  it('answers with the outcome, and the record reads the same right away', async () => {
    const v = await stack.client.invocations.invoke.mutate({ function: 'hello', payload: { name: 'Now' } });
    expect(v.status).toBe('SUCCEEDED');
    expect(v.result).toEqual({ message: 'Hello, Now!' });
    // Read at once: answered from the workflow until the record lands, then from the record.
    const got = await stack.client.invocations.get.query({ id: v.id });
    expect(got).toMatchObject({ status: 'SUCCEEDED', result: v.result, attempts: 1, cold: v.cold, endedAt: v.endedAt });
    expect(got.logs.stdout).toBe(v.logs.stdout);
    const row = await waitFor('the record', async () => {
      const r = await stack.api.db.invocations.get(v.id);
      return r?.status === 'SUCCEEDED' ? r : undefined;
    }, 10_000, 20);
    expect(row.result).toEqual(v.result);
    expect(row.endedAt?.toISOString()).toBe(v.endedAt);
  });

  it('a record the caller never wrote is repaired from the workflow on the next read', async () => {
    const v = await callerThatDiesBeforeRecording().invoke({ namespace: 'default', function: 'hello', version: 'latest', payload: { name: 'Lost' } }, 60_000);
    expect(v.status).toBe('SUCCEEDED');
    // The caller answered but wrote nothing; the workflow closes without writing either.
    await stack.api.temporal.workflow.getHandle(v.id).result();
    expect((await stack.api.db.invocations.get(v.id))?.status).not.toBe('SUCCEEDED');

    const got = await stack.client.invocations.get.query({ id: v.id });
    expect(got).toMatchObject({ status: 'SUCCEEDED', result: { message: 'Hello, Lost!' }, attempts: 1 });
    expect((await stack.api.db.invocations.get(v.id))?.status).toBe('SUCCEEDED');
  });

  it('the sweep at api start repairs records no one read', async () => {
    const v = await callerThatDiesBeforeRecording().invoke({ namespace: 'default', function: 'hello', version: 'latest', payload: { name: 'Swept' } }, 60_000);
    await stack.api.temporal.workflow.getHandle(v.id).result();
    expect((await stack.api.db.invocations.get(v.id))?.status).not.toBe('SUCCEEDED');

    expect(await stack.api.invocations.repairUnrecorded()).toBeGreaterThanOrEqual(1);
    const row = await stack.api.db.invocations.get(v.id);
    expect(row?.status).toBe('SUCCEEDED');
    expect(row?.result).toEqual({ message: 'Hello, Swept!' });
  });

  it('a failure answers after its dead letter is recorded', async () => {
    const code = Buffer.from('import sys\nsys.exit(3)\n').toString('base64');
    await stack.client.functions.create.mutate({ name: 'exits', runtime: 'python', code, fileName: 'main.py', retryPolicy: { maxAttempts: 1 } });
    const v = await stack.client.invocations.invoke.mutate({ function: 'exits', payload: {} });
    expect(v.status).toBe('FAILED');
    expect(v.error?.kind).toBe('FunctionError');
    const letters = await stack.client.deadLetters.list.query({ function: 'exits' });
    expect(letters.items.map((d) => d.invocationId)).toContain(v.id);
    expect((await stack.api.db.invocations.get(v.id))?.status).toBe('FAILED');
  });
});
