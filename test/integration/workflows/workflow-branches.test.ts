// Branches of invokeFunction, runChain and fireSchedule that invoke-function.workflow.test.ts
// does not walk: a function that times out, a cancelled invocation, a chain that succeeds and
// one whose step fails, parallel branches and maps, a schedule's fire that succeeds and one
// that fails. Workflow code as
// the worker bundles it, activities replaced by fakes, on a TestWorkflowEnvironment over the
// suite's Temporal dev server (the SDK's time-skipping test server is a download this machine
// cannot make; the dev server is the one the integration project starts anyway).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../../../src/cli/processes/worker.process.js';
import { attemptActivities } from '../../../src/activities/attempt.activities.js';
import { fireSchedule, invokeFunction, runChain } from '../../../src/api/workflow-refs.js';
import type { ChainOutcomeRecord } from '../../../src/control/chain.activities.js';
import type { DeadLetterRecord } from '../../../src/control/invocation.activities.js';
import type { AttemptOutcome, InvocationOutcomeRecord, InvokeFunctionInput } from '../../../src/shared/invocation.js';
import type { PayloadRef } from '../../../src/shared/payload-ref.js';
import { ChainDefinitionSchema, type RunChainInput } from '../../../src/shared/chain.js';
import type { ScheduleFireInput, ScheduledRun } from '../../../src/shared/schedule.js';
import { RetryPolicySchema, type FunctionVersionSpec } from '../../../src/shared/types.js';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await TestWorkflowEnvironment.createFromExistingServer({ address: inject('temporalAddress'), namespace: 'default' });
});
afterAll(async () => {
  await env?.teardown();
});

const empty = { stdout: { inline: '' }, stderr: { inline: '' } };
const newId = () => `inv_${randomUUID().replace(/-/g, '').slice(0, 20)}`;

/**
 * The fake functions, by name: `double` answers {x: 2x}; `boom` fails; `slow` times out;
 * `hang` runs (heartbeating) until cancelled.
 */
function behave(name: string, payload: PayloadRef): AttemptOutcome | 'hang' {
  const x = ((payload as { inline?: { x?: number } }).inline?.x) ?? 0;
  if (name === 'double') return { ok: true, result: { inline: { x: 2 * x } }, logs: empty, durationMs: 1 };
  if (name === 'boom') return { ok: false, failure: { kind: 'FunctionError', message: 'boom' }, logs: empty, durationMs: 1 };
  if (name === 'slow') return { ok: false, failure: { kind: 'FunctionTimeout', message: 'did not finish within its timeout' }, logs: empty, durationMs: 1 };
  return 'hang';
}

function specOf(name: string, maxAttempts = 1): FunctionVersionSpec {
  return {
    functionId: `fn_${name}`, namespace: 'default', name, version: 1, runtime: 'python', convention: 'script', entry: 'main.py',
    artifact: { sha256: 'c'.repeat(64), format: 'file', fileName: 'main.py', sizeBytes: 1 },
    limits: { timeoutMs: 5000, memoryMb: 64, cpus: 1, network: false }, env: {},
    retryPolicy: RetryPolicySchema.parse({ maxAttempts, initialIntervalMs: 10 }),
  };
}

/** Workers for one test's queues (data, host, control) with fake activities; what they were asked is kept. */
async function fakeWorkers(admit?: (fire: ScheduleFireInput) => ScheduledRun) {
  const q = `branches-${randomUUID()}`;
  const queues = { control: `${q}-control`, data: `${q}-data` };
  const payloads = new Map<string, { name: string; payload: PayloadRef }>();
  const seen = {
    created: 0, removed: 0, executing: 0, outcomes: [] as InvocationOutcomeRecord[], deadLetters: [] as DeadLetterRecord[],
    chainOutcomes: [] as ChainOutcomeRecord[],
  };
  const createContainer = async (c: { containerName: string; spec: FunctionVersionSpec; payload: PayloadRef }) => {
    seen.created++;
    payloads.set(c.containerName, { name: c.spec.name, payload: c.payload });
    return { containerId: c.containerName, hostTaskQueue: `${q}-host` };
  };
  const data = await Worker.create({
    connection: env.nativeConnection, taskQueue: queues.data, workflowBundle: await workflowBundle(),
    activities: {
      ...attemptActivities, createContainer,
      pullImage: async () => ({ hostTaskQueue: `${q}-host` }),
      // As a worker with warm containers off answers: every attempt here runs cold.
      warmEnabled: async () => false,
      executeWarm: async () => ({ ran: false, reason: 'warm containers are off on this worker' }),
    },
  });
  const host = await Worker.create({
    // Heartbeats reach the server at once, and with them the cancellation of a hanging attempt.
    connection: env.nativeConnection, taskQueue: `${q}-host`, maxHeartbeatThrottleInterval: '50ms',
    activities: {
      createContainer,
      executeWithTimeout: async (e: { containerName: string }) => {
        seen.executing++;
        const { name, payload } = payloads.get(e.containerName)!;
        const answer = behave(name, payload);
        if (answer !== 'hang') return answer;
        const ctx = Context.current();
        for (;;) {
          ctx.heartbeat();
          await ctx.sleep(50); // rejects with CancelledFailure once the cancellation arrives
        }
      },
      removeContainer: async () => { seen.removed++; },
    },
  });
  const control = await Worker.create({
    connection: env.nativeConnection, taskQueue: queues.control,
    activities: {
      recordInvocationOutcome: async (r: InvocationOutcomeRecord) => { seen.outcomes.push(r); },
      recordDeadLetter: async (r: DeadLetterRecord) => { seen.deadLetters.push(r); },
      chainStepStarted: async () => {},
      chainStepFinished: async () => {},
      recordChainOutcome: async (r: ChainOutcomeRecord) => { seen.chainOutcomes.push(r); },
      admitScheduledRun: async (r: { fire: ScheduleFireInput }) => {
        if (!admit) throw ApplicationFailure.create({ type: 'NOT_FOUND', message: 'no schedules in this test', nonRetryable: true });
        return admit(r.fire);
      },
    },
  });
  /** Runs `work` while the three workers poll; answers its result or its error. */
  async function during<T>(work: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
    const settled = work().then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));
    const [answer] = await Promise.all([data, host, control].map((w) => w.runUntil(settled)));
    return answer!;
  }
  const invocation = (name: string, maxAttempts = 1): InvokeFunctionInput => ({
    invocationId: newId(), spec: specOf(name, maxAttempts), payload: { inline: { x: 1 } }, taskQueues: queues, acceptedAt: new Date().toISOString(),
  });
  return { queues, seen, during, invocation };
}

describe('invokeFunction: timeout and cancellation', () => {
  it('a function that times out is retried (FunctionTimeout is in the default retryOn), then dead-lettered', async () => {
    const w = await fakeWorkers();
    const input = w.invocation('slow', 2);
    const run = await w.during(() => env.client.workflow.execute(invokeFunction, { taskQueue: w.queues.data, workflowId: input.invocationId, args: [input] }));
    expect(run.ok).toBe(false);
    expect((run as { error: unknown }).error).toBeInstanceOf(WorkflowFailedError);
    expect(w.seen).toMatchObject({ created: 2, executing: 2, removed: 2 });
    expect(w.seen.outcomes).toEqual([expect.objectContaining({ status: 'FAILED', failure: expect.objectContaining({ kind: 'FunctionTimeout' }) })]);
    expect(w.seen.deadLetters.map((d) => d.attempts.length)).toEqual([2]);
  });

  it('a cancelled invocation stops its attempt, removes its container, records CANCELLED and ends cancelled', async () => {
    const w = await fakeWorkers();
    const input = w.invocation('hang', 3);
    const run = await w.during(async () => {
      const handle = await env.client.workflow.start(invokeFunction, { taskQueue: w.queues.data, workflowId: input.invocationId, args: [input] });
      while (w.seen.executing === 0) await new Promise((r) => setTimeout(r, 20));
      await handle.cancel();
      return handle.result();
    });
    expect(run.ok).toBe(false);
    const err = (run as { error: unknown }).error;
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(w.seen).toMatchObject({ created: 1, executing: 1, removed: 1 });
    expect(w.seen.outcomes).toEqual([expect.objectContaining({ status: 'CANCELLED', failure: expect.objectContaining({ kind: 'Cancelled' }) })]);
    expect(w.seen.deadLetters).toEqual([]); // a cancellation is no failure to replay
  });
});

describe('runChain with fake children', () => {
  function chainInput(w: Awaited<ReturnType<typeof fakeWorkers>>, second: string): RunChainInput {
    return {
      chainInvocationId: newId(), chain: { id: 'ch_1', namespace: 'default', name: 'pair', version: 1 },
      definition: { name: 'pair', steps: [{ type: 'function', name: 'a', function: 'double@1' }, { type: 'function', name: 'b', function: `${second}@1` }] },
      specs: { 'double@1': specOf('double'), [`${second}@1`]: specOf(second) },
      input: { inline: { x: 3 } }, taskQueues: w.queues, acceptedAt: new Date().toISOString(), inlineBytes: 16_384, run: 1,
    };
  }

  it("a sequence passes each step's output to the next; the last one is the chain's result, recorded once", async () => {
    const w = await fakeWorkers();
    const input = chainInput(w, 'double');
    const run = await w.during(() => env.client.workflow.execute(runChain, { taskQueue: w.queues.data, workflowId: input.chainInvocationId, args: [input] }));
    expect(run).toEqual({ ok: true, value: { chainInvocationId: input.chainInvocationId, result: { inline: { x: 12 } } } });
    expect(w.seen).toMatchObject({ created: 2, executing: 2, removed: 2 });
    expect(w.seen.chainOutcomes).toEqual([expect.objectContaining({ status: 'SUCCEEDED', result: { inline: { x: 12 } } })]);
    // Each step is an invocation of its own, with its own record.
    expect(w.seen.outcomes.map((o) => [o.invocationId, o.status]).sort()).toEqual([
      [`${input.chainInvocationId}.a`, 'SUCCEEDED'], [`${input.chainInvocationId}.b`, 'SUCCEEDED'],
    ]);
  });

  it('a failed step fails the chain (ChainFailed naming the step) and records FAILED with what a dead letter keeps', async () => {
    const w = await fakeWorkers();
    const input = chainInput(w, 'boom');
    const run = await w.during(() => env.client.workflow.execute(runChain, { taskQueue: w.queues.data, workflowId: input.chainInvocationId, args: [input] }));
    expect(run.ok).toBe(false);
    const cause = ((run as { error: unknown }).error as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause).toMatchObject({ type: 'ChainFailed', nonRetryable: true });
    expect(cause.details?.[0]).toMatchObject({ step: 'b', error: { kind: 'FunctionError' } });
    expect(w.seen.chainOutcomes).toEqual([expect.objectContaining({
      status: 'FAILED', failedStep: 'b', deadLetter: expect.objectContaining({ input: { inline: { x: 3 } } }),
    })]);
    expect(w.seen.removed).toBe(2);
  });
});

describe('runChain: parallel branches and maps, with fake children', () => {
  function chainOf(w: Awaited<ReturnType<typeof fakeWorkers>>, definition: unknown, input: unknown): RunChainInput {
    return {
      chainInvocationId: newId(), chain: { id: 'ch_2', namespace: 'default', name: 'fan', version: 1 },
      definition: ChainDefinitionSchema.parse(definition), specs: { 'double@1': specOf('double'), 'boom@1': specOf('boom') },
      input: { inline: input }, taskQueues: w.queues, acceptedAt: new Date().toISOString(), inlineBytes: 16_384, run: 1,
    };
  }
  const execute = (w: Awaited<ReturnType<typeof fakeWorkers>>, input: RunChainInput) =>
    w.during(() => env.client.workflow.execute(runChain, { taskQueue: w.queues.data, workflowId: input.chainInvocationId, args: [input] }));

  it('parallel branches each get their mapped input; the output is keyed by branch; one child per branch', async () => {
    const w = await fakeWorkers();
    const input = chainOf(w, { name: 'fan', steps: [
      { name: 'both', parallel: { left: { function: 'double@1', input: { x: '$.input.a' } }, right: { function: 'double@1', input: { x: '$.input.b' } } } },
    ] }, { a: 2, b: 5 });
    const run = await execute(w, input);
    expect(run).toEqual({ ok: true, value: { chainInvocationId: input.chainInvocationId, result: { inline: { left: { x: 4 }, right: { x: 10 } } } } });
    expect(w.seen).toMatchObject({ created: 2, executing: 2, removed: 2 });
    expect(w.seen.outcomes.map((o) => o.invocationId).sort()).toEqual([`${input.chainInvocationId}.both.left`, `${input.chainInvocationId}.both.right`]);
  });

  it('a map runs one child per item and keeps the items\' order; a failed element fails the chain unless continueOnError', async () => {
    const w = await fakeWorkers();
    const mapped = chainOf(w, { name: 'fan', steps: [
      { name: 'each', map: { items: '$.input.xs', function: 'double@1', input: { x: '$.item' }, concurrency: 2 } },
    ] }, { xs: [1, 2, 3, 4] });
    expect(await execute(w, mapped)).toEqual({ ok: true, value: { chainInvocationId: mapped.chainInvocationId, result: { inline: [{ x: 2 }, { x: 4 }, { x: 6 }, { x: 8 }] } } });
    expect(w.seen.created).toBe(4);

    // Workers run once each: a fresh set per chain.
    const w2 = await fakeWorkers();
    const failing = chainOf(w2, { name: 'fan', steps: [{ name: 'each', map: { items: '$.input.xs', function: 'boom@1' } }] }, { xs: [1, 2] });
    const failed = await execute(w2, failing);
    expect(failed.ok).toBe(false);
    expect((((failed as { error: unknown }).error as WorkflowFailedError).cause as ApplicationFailure).type).toBe('ChainFailed');
    const w3 = await fakeWorkers();
    const tolerant = chainOf(w3, { name: 'fan', steps: [{ name: 'each', continueOnError: true, map: { items: '$.input.xs', function: 'boom@1' } }] }, { xs: [1] });
    const kept = await execute(w3, tolerant);
    expect(kept).toMatchObject({ ok: true, value: { result: { inline: [{ error: expect.objectContaining({ kind: 'FunctionError' }) }] } } });
  });
});

describe('fireSchedule with a fake admission', () => {
  function admitting(queues: { data: string }, name: string, seen: ScheduleFireInput[]) {
    return (fire: ScheduleFireInput): ScheduledRun => {
      seen.push(fire);
      const invocationId = newId();
      const args: [InvokeFunctionInput] = [{
        invocationId, spec: specOf(name), payload: { inline: fire.payload as never }, taskQueues: { control: fire.controlTaskQueue, data: queues.data },
        acceptedAt: new Date().toISOString(),
      }];
      return { invocationId, workflowType: 'invokeFunction', taskQueue: queues.data, args, attributes: { namespace: 'default', function: name, version: 1 }, staticSummary: `${name}@1` };
    };
  }

  async function fire(name: string) {
    const fires: ScheduleFireInput[] = [];
    const queues: { data: string } = { data: '' };
    const w = await fakeWorkers((f) => admitting(queues, name, fires)(f));
    queues.data = w.queues.data;
    const fireInput = {
      schedule: { namespace: 'default', name: `nightly-${randomUUID().slice(0, 8)}` }, target: { kind: 'function', name, version: 'latest' },
      payload: { x: 5 }, timing: { every: '1h', overlap: 'skip' }, by: { keyId: 'key_1', keyName: 'test' }, controlTaskQueue: w.queues.control,
    } satisfies ScheduleFireInput;
    const fireId = `fire-${randomUUID()}`;
    const run = await w.during(() => env.client.workflow.execute(fireSchedule, { taskQueue: w.queues.data, workflowId: fireId, args: [fireInput] }));
    return { run, w, fires, fireInput };
  }

  it('admits the run through the control plane and runs it as a child invocation carrying the schedule', async () => {
    const { run, w, fires, fireInput } = await fire('double');
    expect(fires).toEqual([fireInput]);
    expect(run.ok).toBe(true);
    const { invocationId, status } = (run as { value: { invocationId: string; status: string } }).value;
    expect(status).toBe('SUCCEEDED');
    expect(w.seen.outcomes).toEqual([expect.objectContaining({ invocationId, status: 'SUCCEEDED', result: { inline: { x: 10 } } })]);
    const child = await env.client.workflow.getHandle(invocationId).describe();
    expect(child.searchAttributes).toMatchObject({ CaissonSchedule: [fireInput.schedule.name], CaissonFunction: ['double'] });
  });

  it('a failed invocation fails the fire, non-retryable, naming the invocation', async () => {
    const { run, w } = await fire('boom');
    expect(run.ok).toBe(false);
    const cause = ((run as { error: unknown }).error as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause).toMatchObject({ type: 'ScheduledInvocationFailed', nonRetryable: true });
    expect(cause.details?.[0]).toMatchObject({ invocationId: w.seen.outcomes[0]!.invocationId, status: 'FAILED' });
  });
});
