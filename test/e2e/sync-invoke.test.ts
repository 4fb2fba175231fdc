// A synchronous invoke answers from the workflow's `outcome` update (a cold version), or, for
// a version that runs warm, whatever its timeout, from the workflow's result (a plain start,
// eager on the worker sharing the api's connection). Either way the caller writes the record of a success
// itself (the workflow runs no record activity then). These tests show, on both paths, that
// the record is never lost: read right after the answer, and repaired from the workflow's
// result when the caller died between the answer and the write. Real Temporal, Docker and
// database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInvocationService } from '../../src/api/services/invocation.service.js';
import { controlTaskQueue, dataTaskQueue } from '../../src/shared/task-queues.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { deployDir } from '../support/deploy.js';
import { waitFor } from '../support/containers.js';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { packCode } from '../../src/cli/code-package.js';
import type { InvokeFunctionInput } from '../../src/shared/invocation.js';
import { WorkflowNotFoundError } from '@temporalio/client';
import { createControlStore } from '../../src/control/index.js';
import { decodeFetched } from '../../src/temporal/payload-codec.js';

/** A cold version answers through the update; warm ones, with default or short limits, from the result. */
const PATHS = [
  { fn: 'hello-fresh', path: 'the outcome update', callerRecordsAtStart: false, settings: { warm: { isolation: 'fresh' as const } } },
  { fn: 'hello', path: 'the result of an eager start', callerRecordsAtStart: true, settings: {} },
  { fn: 'hello-local', path: 'the result of an eager start (short limits)', callerRecordsAtStart: true,
    settings: { limits: { timeoutMs: 1000 }, warm: { queueTimeoutMs: 1000 } } },
];

/** What the run's history shows: whether the input asked the caller to record, and which activities ran. */
async function runShape(id: string) {
  const history = await stack.api.temporal.workflow.getHandle(id).fetchHistory();
  const events = history.events ?? [];
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  const payload = await decodeFetched(stack.api.temporal.options.loadedDataConverter.payloadCodecs, started!.input!.payloads![0]!);
  const input = JSON.parse(Buffer.from(payload.data ?? []).toString()) as InvokeFunctionInput;
  const activities = events.flatMap((e) => (e.activityTaskScheduledEventAttributes?.activityType?.name ? [e.activityTaskScheduledEventAttributes.activityType.name] : []));
  return { callerRecords: input.callerRecords === true, activities };
}

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ name: 'sync' });
  await deployDir(stack.client, { dir: 'examples/hello-python', name: 'hello', runtime: 'python' });
  await deployDir(stack.client, { dir: 'examples/hello-python', name: 'hello-fresh', runtime: 'python', fresh: true });
  const packed = await packCode(join(process.cwd(), 'examples/hello-python'));
  await stack.client.functions.create.mutate({
    name: 'hello-local', runtime: 'python', code: packed.code, fileName: packed.fileName,
    limits: { timeoutMs: 1000 }, warm: { queueTimeoutMs: 1000 },
  });
});

afterAll(async () => {
  await stack?.stop();
});

/** An invocation service over these invocation repository methods, writing records as the api does. */
function serviceWith(invocations: TestStack['api']['db']['invocations']) {
  const queue = stack.config.temporal.taskQueue;
  return createInvocationService({
    db: { ...stack.api.db, invocations }, temporal: stack.api.temporal, limits: stack.config.limits,
    taskQueues: { control: controlTaskQueue(queue), data: dataTaskQueue(queue) },
    recordOutcome: createControlStore(stack.api.db).recordInvocationOutcome,
    quotas: { admit: async () => ({ release() {} }), quotasOf: stack.api.quotas.quotasOf, chargeBlob: async () => {} },
  });
}

/** An invocation service whose record writes fail, as if its process died right after the answer. */
function callerThatDiesBeforeRecording() {
  const queue = stack.config.temporal.taskQueue;
  return createInvocationService({
    db: stack.api.db, temporal: stack.api.temporal, limits: stack.config.limits,
    taskQueues: { control: controlTaskQueue(queue), data: dataTaskQueue(queue) },
    recordOutcome: async () => { throw new Error('the api died before writing the record'); },
    quotas: { admit: async () => ({ release() {} }), quotasOf: stack.api.quotas.quotasOf, chargeBlob: async () => {} },
  });
}

describe.each(PATHS)('synchronous invoke of $fn, answered from $path', ({ fn, callerRecordsAtStart, settings }) => {
  it('answers with the outcome, and the record reads the same right away', async () => {
    const v = await stack.client.invocations.invoke.mutate({ function: fn, payload: { name: 'Now' } });
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
    // The caller wrote it: the run scheduled no record activity.
    const shape = await runShape(v.id);
    // With CAISSON_WARM=off every attempt is cold: answered through the update.
    expect(shape.callerRecords).toBe(callerRecordsAtStart && stack.config.worker.warm.enabled);
    expect(shape.activities).not.toContain('recordInvocationOutcome');
  });

  it('a record the caller never wrote is repaired from the workflow on the next read', async () => {
    const v = await callerThatDiesBeforeRecording().invoke({ namespace: 'default', function: fn, version: 'latest', payload: { name: 'Lost' } }, 60_000);
    expect(v.status).toBe('SUCCEEDED');
    // The caller answered but wrote nothing; the workflow closes without writing either.
    await stack.api.temporal.workflow.getHandle(v.id).result();
    expect((await stack.api.db.invocations.get(v.id))?.status).not.toBe('SUCCEEDED');

    const got = await stack.client.invocations.get.query({ id: v.id });
    expect(got).toMatchObject({ status: 'SUCCEEDED', result: { message: 'Hello, Lost!' }, attempts: 1 });
    expect((await stack.api.db.invocations.get(v.id))?.status).toBe('SUCCEEDED');
  });

  it('the sweep at api start repairs records no one read', async () => {
    const v = await callerThatDiesBeforeRecording().invoke({ namespace: 'default', function: fn, version: 'latest', payload: { name: 'Swept' } }, 60_000);
    await stack.api.temporal.workflow.getHandle(v.id).result();
    expect((await stack.api.db.invocations.get(v.id))?.status).not.toBe('SUCCEEDED');

    expect(await stack.api.invocations.repairUnrecorded()).toBeGreaterThanOrEqual(1);
    const row = await stack.api.db.invocations.get(v.id);
    expect(row?.status).toBe('SUCCEEDED');
    expect(row?.result).toEqual({ message: 'Hello, Swept!' });
  });

  it('writes the PENDING row before the run exists, and a row that cannot be written starts no run', async () => {
    const seen: Array<{ id: string; runExisted: boolean }> = [];
    const real = stack.api.db.invocations;
    const runExists = (id: string) => stack.api.temporal.workflow.getHandle(id).describe().then(() => true, (err: unknown) => {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    });
    const writes = serviceWith({ ...real, create: async (input) => {
      const written = await real.create(input);
      seen.push({ id: input.id, runExisted: await runExists(input.id) });
      return written;
    } });
    const v = await writes.invoke({ namespace: 'default', function: fn, version: 'latest', payload: { name: 'First' } }, 60_000);
    expect(v.status).toBe('SUCCEEDED');
    expect(seen).toEqual([{ id: v.id, runExisted: false }]);

    const tried: string[] = [];
    const fails = serviceWith({ ...real, create: async (input) => {
      tried.push(input.id);
      throw new Error('the database is down');
    } });
    await expect(fails.invoke({ namespace: 'default', function: fn, version: 'latest', payload: { name: 'Never' } }, 10_000))
      .rejects.toThrow('the database is down');
    expect(tried).toHaveLength(1);
    expect(await runExists(tried[0]!)).toBe(false);
    expect(await stack.api.db.invocations.get(tried[0]!)).toBeNull();
  });

  it('a failure answers after its dead letter is recorded', async () => {
    const code = Buffer.from('import sys\nsys.exit(3)\n').toString('base64');
    const name = `exits-${fn}`;
    await stack.client.functions.create.mutate({ name, runtime: 'python', code, fileName: 'main.py', retryPolicy: { maxAttempts: 1 }, ...settings });
    const v = await stack.client.invocations.invoke.mutate({ function: name, payload: {} });
    expect(v.status).toBe('FAILED');
    expect(v.error?.kind).toBe('FunctionError');
    const letters = await stack.client.deadLetters.list.query({ function: name });
    expect(letters.items.map((d) => d.invocationId)).toContain(v.id);
    expect((await stack.api.db.invocations.get(v.id))?.status).toBe('FAILED');
  });
});

describe('the CLI', () => {
  const cli = (...args: string[]) =>
    promisify(execFile)(process.execPath, ['bin/caisson.js', '--api', stack.api.url, '--json', ...args], { cwd: process.cwd(), env: { ...process.env, CAISSON_API_KEY: stack.adminKey } });

  it('deploys warm settings, and a short warm version is invoked through its result', async () => {
    await cli('fn', 'deploy', 'examples/hello-python', '--name', 'hello-cli', '--timeout', '1000',
      '--warm-queue-timeout', '500', '--max-warm', '2', '--idle-ttl', '60000');
    const spec = await stack.api.db.functions.getVersionSpec('default', 'hello-cli', 'latest');
    expect(spec.warm).toMatchObject({ isolation: 'warm', queueTimeoutMs: 500, maxWarm: 2, idleTtlMs: 60_000, minWarm: 1 });
    const v = JSON.parse((await cli('invoke', 'hello-cli', '{"name":"Cli"}')).stdout);
    expect(v).toMatchObject({ status: 'SUCCEEDED', result: { message: 'Hello, Cli!' } });
    expect((await runShape(v.id)).callerRecords).toBe(stack.config.worker.warm.enabled);
  });

  it('rejects a bad warm setting naming the flag, and deploys nothing', async () => {
    const failed = await cli('fn', 'deploy', 'examples/hello-python', '--name', 'hello-cli-bad', '--isolation', 'sometimes')
      .then(() => undefined, (err: { stdout: string; stderr: string; code: number }) => err);
    expect(failed?.code).not.toBe(0);
    expect(`${failed?.stdout} ${failed?.stderr}`).toMatch(/--isolation takes warm or fresh, got 'sometimes'/);
    expect(await stack.client.functions.get.query({ name: 'hello-cli-bad' })).toBeNull();
  });
});
