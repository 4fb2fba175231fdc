// Chains end to end: deploy, invoke, resume through the real HTTP api, real Temporal (runChain
// with invokeFunction children), real Docker, PGlite. The worker is a separate process so one
// test can SIGKILL it mid-chain.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRPCClientError } from '@trpc/client';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../../src/cli/processes/worker.process.js';
import { dataConverterFor } from '../../src/temporal/payload-codec.js';
import { findTemporalCli } from '../../src/cli/processes/temporal-cli.js';
import { createDockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { deployDir } from '../support/deploy.js';
import { spawnWorkerProcess, type WorkerProcess } from '../support/worker-process.js';

let stack: TestStack;
let worker: WorkerProcess;
const TOOLBOX = 'test/fixtures/functions/py-chain';

beforeAll(async () => {
  stack = await startTestStack({ name: 'chains', withWorker: false });
  worker = await spawnWorkerProcess(stack);
  for (const name of ['ch-a', 'ch-b', 'ch-timed']) {
    await deployDir(stack.client, { dir: TOOLBOX, name, runtime: 'python' });
  }
  // Cold steps (isolation 'fresh'): a step's worker starts the next cold step's container ahead.
  for (const name of ['ch-first', 'ch-last', 'ch-cold']) {
    await deployDir(stack.client, { dir: TOOLBOX, name, runtime: 'python', fresh: true });
  }
  await deployDir(stack.client, { dir: 'test/fixtures/functions/py-fail', name: 'ch-mid', runtime: 'python', fresh: true });
  await deployDir(stack.client, { dir: 'examples/hello-python', name: 'hello', runtime: 'python' });
});

afterAll(async () => {
  await worker?.kill('SIGTERM');
  await stack?.stop();
  const docker = createDockerRuntime({});
  // A SIGKILLed worker may leave a container to its reaper; remove what is left.
  for (const c of await docker.listManaged({ 'caisson.worker': stack.workerId })) await docker.remove(c.name);
});

function badRequest(err: unknown): string {
  expect(err).toBeInstanceOf(TRPCClientError);
  expect((err as { data?: { code?: string } }).data?.code).toBe('BAD_REQUEST');
  return (err as Error).message;
}

describe('chains', () => {
  it('a three-step sequence passes data through; inv get shows per-step status', async () => {
    await stack.client.chains.create.mutate({ definition: {
      name: 'seq',
      steps: [
        { name: 'a', function: 'ch-a', input: { op: 'add', value: '$.input.value', by: 1 } },
        { name: 'b', function: 'ch-b', input: { op: 'add', value: '$.steps.a.output.value', by: 10 } },
        { name: 'c', function: 'ch-a', input: { op: 'double', value: '$.steps.b.output.value' } },
      ],
    } });
    const v = await stack.client.chains.invoke.mutate({ name: 'seq', input: { value: 1 } });
    expect(v.status).toBe('SUCCEEDED');
    expect(v.result).toEqual({ value: 24 });
    // The answer comes from the chainOutcome update, after every step record and the outcome
    // landed: it already shows each step finished, with its output.
    expect(v.chain.steps.map((s) => [s.name, s.status, s.output])).toEqual([
      ['a', 'SUCCEEDED', { value: 2 }], ['b', 'SUCCEEDED', { value: 12 }], ['c', 'SUCCEEDED', { value: 24 }],
    ]);
    const got = await stack.client.invocations.get.query({ id: v.id });
    expect(got.status).toBe('SUCCEEDED');
    const steps = (got as typeof v).chain.steps;
    expect(steps.map((s) => [s.name, s.status, s.output])).toEqual([
      ['a', 'SUCCEEDED', { value: 2 }], ['b', 'SUCCEEDED', { value: 12 }], ['c', 'SUCCEEDED', { value: 24 }],
    ]);
    expect(steps.every((s) => s.durationMs! > 0 && s.functions[0]!.startsWith('ch-'))).toBe(true);
    // Each step is a child invocation with its own record.
    const child = await stack.client.invocations.list.query({ function: 'ch-b' });
    expect(child.items.map((i) => [i.id, i.status])).toContainEqual([`${v.id}.b`, 'SUCCEEDED']);
    // The recorded history replays against today's workflow code (determinism).
    const history = await stack.api.temporal.workflow.getHandle(v.id).fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle(), dataConverter: dataConverterFor(stack.api.payloadCodec) }, history, v.id);
    // One record activity per step (a step's finish rides with the next step's start, the last
    // one with the outcome), and the caller was answered by the update.
    const activities = history.events!.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    expect(activities).toEqual(['chainStepStarted', 'chainStepStarted', 'chainStepStarted', 'recordChainOutcome']);
    expect(history.events!.some((e) => e.workflowExecutionUpdateCompletedEventAttributes)).toBe(true);
    // b and c were started ahead and got their input from the step before them (and the same
    // input from the chain, unless the step had finished by then); every child's history replays.
    const bundle = await workflowBundle();
    for (const [step, before] of [['a', undefined], ['b', 'a'], ['c', 'b']] as const) {
      const child = await stack.api.temporal.workflow.getHandle(`${v.id}/${step}`).fetchHistory();
      await Worker.runReplayHistory({ workflowBundle: bundle, dataConverter: dataConverterFor(stack.api.payloadCodec) }, child, `${v.id}/${step}`);
      const inputs = child.events!.flatMap((e) => (e.workflowExecutionSignaledEventAttributes?.signalName === 'stepInput' ? [e.workflowExecutionSignaledEventAttributes] : []));
      if (!before) {
        expect(inputs).toEqual([]);
        continue;
      }
      const senders = inputs.map((i) => i.externalWorkflowExecution?.workflowId);
      expect(senders).toContain(`${v.id}/${before}`);
      expect(senders.filter((w) => w !== `${v.id}/${before}` && w !== v.id)).toEqual([]);
    }
    // RECORD_HISTORIES=1: keep this chain and its step b, decoded by the api's codec endpoint, for
    // test/integration/workflows/run-chain.replay.test.ts (later code must replay them).
    if (process.env.RECORD_HISTORIES !== '1') return;
    for (const [file, id] of [['run-chain-handoff-sequence', v.id], ['run-chain-handoff-sequence-child', `${v.id}/b`]] as const) {
      const { stdout } = await promisify(execFile)(findTemporalCli(join(process.cwd(), '.caisson')), [
        'workflow', 'show', '--workflow-id', id, '--address', stack.config.temporal.address, '--output', 'json',
        '--codec-endpoint', `${stack.api.url}/codec`, '--codec-auth', `Bearer ${stack.adminKey}`,
      ], { encoding: 'utf8' });
      await writeFile(join(process.cwd(), 'test', 'fixtures', 'histories', `${file}.json`), stdout);
    }
  });

  it("a step's container is started while the step before it runs, and runs as soon as that step succeeds", async () => {
    await stack.client.chains.create.mutate({ definition: {
      name: 'ahead',
      steps: [
        { name: 'a', function: 'ch-cold', input: { op: 'aged', value: '$.input.value', sleep: 1 } },
        { name: 'b', function: 'ch-cold', input: { op: 'aged', value: '$.steps.a.output.value' } },
        { name: 'c', function: 'ch-cold', input: { op: 'aged', value: '$.steps.b.output.value' } },
      ],
      output: { a: '$.steps.a.output', b: '$.steps.b.output', c: '$.steps.c.output' },
    } });
    const v = await stack.client.chains.invoke.mutate({ name: 'ahead', input: { value: 7 } });
    expect(v.status).toBe('SUCCEEDED');
    // The first step's container was created with its payload; the others were already running
    // (waiting) when their payload was written, and still saw FUNCTION_PAYLOAD and stdin.
    expect(v.result).toEqual({
      a: { value: 7, startedBeforePayload: false, envIsPayload: true },
      b: { value: 7, startedBeforePayload: true, envIsPayload: true },
      c: { value: 7, startedBeforePayload: true, envIsPayload: true },
    });
    for (const step of ['b', 'c']) {
      expect(await stack.client.invocations.get.query({ id: `${v.id}.${step}` })).toMatchObject({ status: 'SUCCEEDED', cold: true, attempts: 1 });
    }
    // a created its container in its workflow task (local activities); b and c did not: the
    // step before started theirs with their input, and their one attempt waited for it there.
    const localActivities = async (step: string) => {
      const h = await stack.api.temporal.workflow.getHandle(`${v.id}/${step}`).fetchHistory();
      const executes = h.events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'executeWithTimeout');
      expect(executes).toHaveLength(1);
      return h.events!.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length;
    };
    expect(await localActivities('a')).toBe(2);
    expect(await localActivities('b')).toBe(0);
    expect(await localActivities('c')).toBe(0);
    // Nothing started early is left waiting for an attempt.
    const docker = createDockerRuntime({});
    const left = await docker.listManaged({ 'caisson.worker': stack.workerId });
    expect(left.filter((c) => c.name.includes(v.id.replace(/[^a-zA-Z0-9.-]/g, '-')) && c.state === 'running')).toEqual([]);
  });

  it('parallel branches merge into an object keyed by branch', async () => {
    await stack.client.chains.create.mutate({ definition: {
      name: 'par',
      steps: [
        { name: 'both', parallel: {
          x: { function: 'ch-a', input: { op: 'add', value: '$.input.value', by: 1 } },
          y: { function: 'ch-b', input: { op: 'double', value: '$.input.value' } },
        } },
        { name: 'sum', function: 'ch-a', input: { op: 'add', value: '$.steps.both.output.x.value', by: '$.steps.both.output.y.value' } },
      ],
      output: { both: '$.steps.both.output', sum: '$.steps.sum.output.value' },
    } });
    const v = await stack.client.chains.invoke.mutate({ name: 'par', input: { value: 2 } });
    expect(v.status).toBe('SUCCEEDED');
    expect(v.result).toEqual({ both: { x: { value: 3 }, y: { value: 4 } }, sum: 7 });
  });

  it('map over 20 items with concurrency 5: never more than 5 at once, results in input order', async () => {
    await stack.client.chains.create.mutate({ definition: {
      name: 'fan',
      steps: [{ name: 'each', map: { items: '$.input.items', concurrency: 5, function: 'ch-timed', input: { op: 'timed', item: '$.item', sleep: 1 } } }],
    } });
    const items = Array.from({ length: 20 }, (_, i) => `item-${i}`);
    const v = await stack.client.chains.invoke.mutate({ name: 'fan', input: { items }, waitMs: 300_000 });
    expect(v.status).toBe('SUCCEEDED');
    const out = v.result as Array<{ item: string; start: number; end: number }>;
    expect(out.map((r) => r.item)).toEqual(items);
    const events = out.flatMap((r) => [[r.start, 1], [r.end, -1]] as const).sort((p, q) => p[0] - q[0] || p[1] - q[1]);
    let running = 0;
    let peak = 0;
    for (const [, d] of events) peak = Math.max(peak, (running += d));
    expect(peak).toBeLessThanOrEqual(5);
    expect(peak).toBeGreaterThan(1); // it did run items at once
  });

  it('continueOnError: a failed element becomes an error value and the chain goes on', async () => {
    await stack.client.chains.create.mutate({ definition: {
      name: 'tolerant',
      steps: [{ name: 'each', continueOnError: true, map: { items: '$.input', function: 'ch-a', input: '$.item' } }],
    } });
    const v = await stack.client.chains.invoke.mutate({ name: 'tolerant', input: [{ op: 'double', value: 1 }, { op: 'fail' }, { op: 'double', value: 3 }] });
    expect(v.status).toBe('SUCCEEDED');
    const out = v.result as unknown[];
    expect(out[0]).toEqual({ value: 2 });
    expect(out[1]).toMatchObject({ error: { kind: 'FunctionError' } });
    expect(out[2]).toEqual({ value: 6 });
  });

  it('large intermediate outputs travel by reference', async () => {
    await stack.client.chains.create.mutate({ definition: {
      name: 'big',
      steps: [
        { name: 'make', function: 'ch-a', input: { op: 'big', bytes: '$.input.bytes' } },
        { name: 'measure', function: 'ch-b', input: { op: 'len', s: '$.steps.make.output.blob' } },
      ],
    } });
    const bytes = stack.config.limits.inlineBytes + 50_000;
    const v = await stack.client.chains.invoke.mutate({ name: 'big', input: { bytes } });
    expect(v.status).toBe('SUCCEEDED');
    expect(v.result).toEqual({ len: bytes });
    expect(v.chain.steps[0]!.output).toHaveProperty('ref');
  });

  it('a failing middle step fails the chain; resume with a fixed version does not rerun the first step', async () => {
    await stack.client.chains.create.mutate({ definition: {
      name: 'fragile',
      steps: [
        { name: 'first', function: 'ch-first', input: { op: 'add', value: '$.input.value' } },
        { name: 'mid', function: 'ch-mid', input: { op: 'add', value: '$.steps.first.output.value', by: 100 } },
        { name: 'last', function: 'ch-last', input: { op: 'double', value: '$.steps.mid.output.value' } },
      ],
    } });
    const failed = await stack.client.chains.invoke.mutate({ name: 'fragile', input: { value: 1 } });
    expect(failed.status).toBe('FAILED');
    expect(failed.error?.message).toContain("step 'mid'");
    expect(failed.chain.failedStep).toBe('mid');
    expect(failed.chain.steps.map((s) => s.status)).toEqual(['SUCCEEDED', 'FAILED']);
    expect(failed.chain.steps[0]!.output).toEqual({ value: 2 });
    const dead = await stack.client.deadLetters.list.query({ function: 'fragile' });
    expect(dead.items.map((d) => d.invocationId)).toContain(failed.id);
    // The container started ahead for 'last' while 'mid' ran is removed once 'mid' failed.
    const docker = createDockerRuntime({});
    await expect.poll(async () => (await docker.listManaged({ 'caisson.invocation': `${failed.id}.last` })).length, { timeout: 10_000 }).toBe(0);
    // 'last' was started ahead, waiting for its input: cancelled once 'mid' failed, never recorded.
    expect((await stack.api.temporal.workflow.getHandle(`${failed.id}/last`).describe()).status.name).toBe('CANCELLED');
    await expect(stack.client.invocations.get.query({ id: `${failed.id}.last` })).rejects.toThrow();

    const fixed = Buffer.from((await import('node:fs')).readFileSync(`${TOOLBOX}/main.py`)).toString('base64');
    expect((await stack.client.functions.update.mutate({ name: 'ch-mid', code: fixed, fileName: 'main.py' })).version).toBe(2);
    // A chain version pins v1, so resume names the newer version.
    await stack.client.chains.resume.mutate({ id: failed.id, functions: { 'ch-mid': 'latest' } });
    const v = await stack.client.chains.invocation.query({ id: failed.id, waitMs: 120_000 });
    expect(v.status).toBe('SUCCEEDED');
    expect(v.result).toEqual({ value: 204 });
    expect(v.attempts).toBe(2); // two runs of the chain
    expect(v.chain.steps.find((s) => s.name === 'first')!.run).toBe(1); // not run again
    const firsts = await stack.client.invocations.list.query({ function: 'ch-first', limit: 200 });
    expect(firsts.items.filter((i) => i.id.startsWith(failed.id))).toHaveLength(1);
    const mids = await stack.client.invocations.get.query({ id: failed.id });
    expect(mids.status).toBe('SUCCEEDED');
    // The step's own invocation shows the version its last run used.
    expect(await stack.client.invocations.get.query({ id: `${failed.id}.mid` })).toMatchObject({ status: 'SUCCEEDED', version: 2 });
  });

  it('invalid definitions are rejected naming the step, and nothing is stored', async () => {
    const cases: Array<[unknown[], RegExp]> = [
      [[{ name: 'a', function: 'no-such-fn' }], /step 'a'.*'no-such-fn' does not exist/],
      [[{ name: 'a', function: 'ch-a@9' }], /step 'a'.*no version 9/],
      [[{ name: 'a', function: 'ch-a', input: '$.steps.b.output' }, { name: 'b', function: 'ch-a' }], /step 'a'.*which runs later/],
      [[{ name: 'a', function: 'ch-a' }, { name: 'b', function: 'ch-a', input: '$.steps.zz.output' }], /step 'b'.*which does not exist/],
      [[{ name: 'a', function: 'ch-a' }, { name: 'a', function: 'ch-b' }], /step 'a': duplicate/],
      [[{ name: 'a', map: { items: [], function: 'ch-a' } }], /step 'a': map items is an empty array/],
      [[{ name: 'a', map: { items: '$.input', concurrency: 0, function: 'ch-a' } }], /step 'a'.*concurrency/],
    ];
    for (const [steps, message] of cases) {
      const err = await stack.client.chains.create.mutate({ definition: { name: 'broken', steps } }).catch((e) => e);
      expect(badRequest(err)).toMatch(message);
    }
    const list = await stack.client.chains.list.query({});
    expect(list.items.map((c) => c.name)).not.toContain('broken');
  });

  it("dlq replay of a chain's dead letter resumes it from the failed step, once", async () => {
    await deployDir(stack.client, { dir: 'test/fixtures/functions/py-fail', name: 'ch-flaky', runtime: 'python', fresh: true });
    // A function named like the chain: replay must not invoke it.
    await deployDir(stack.client, { dir: TOOLBOX, name: 'replayable', runtime: 'python' });
    await stack.client.chains.create.mutate({ definition: {
      name: 'replayable',
      steps: [
        { name: 'first', function: 'ch-first', input: { op: 'add', value: '$.input.value' } },
        { name: 'flaky', function: 'ch-flaky', input: { op: 'double', value: '$.steps.first.output.value' } },
      ],
    } });
    const failed = await stack.client.chains.invoke.mutate({ name: 'replayable', input: { value: 4 } });
    expect(failed.status).toBe('FAILED');
    const dead = (await stack.client.deadLetters.list.query({ function: 'replayable' })).items.find((d) => d.invocationId === failed.id)!;
    expect(dead).toBeDefined();
    const fixed = Buffer.from((await import('node:fs')).readFileSync(`${TOOLBOX}/main.py`)).toString('base64');
    await stack.client.functions.update.mutate({ name: 'ch-flaky', code: fixed, fileName: 'main.py' });

    const replayed = await stack.client.deadLetters.replay.mutate({ id: dead.id, latest: true });
    expect(replayed).toEqual({ invocationId: failed.id, deadLetterId: dead.id });
    const v = await stack.client.chains.invocation.query({ id: failed.id, waitMs: 120_000 });
    expect(v.status).toBe('SUCCEEDED');
    expect(v.result).toEqual({ value: 10 });
    expect(v.chain.steps.find((s) => s.name === 'first')!.run).toBe(1); // not run again
    // Replaying again answers the same resumed invocation; nothing else ran.
    expect(await stack.client.deadLetters.replay.mutate({ id: dead.id, latest: true })).toEqual(replayed);
    expect((await stack.client.invocations.list.query({ function: 'replayable' })).items).toHaveLength(0);
  });

  it('the CLI deploys a YAML chain and invokes it', async () => {
    const run = promisify(execFile);
    const cli = (...args: string[]) => run(process.execPath, ['bin/caisson.js', '--api', stack.api.url, '--json', ...args], { cwd: process.cwd(), env: { ...process.env, CAISSON_API_KEY: stack.adminKey } });
    const deployed = JSON.parse((await cli('chain', 'deploy', 'examples/chains/greet-all.yaml')).stdout);
    expect(deployed).toMatchObject({ name: 'greet-all', version: 1, functions: ['hello@1'] });
    const v = JSON.parse((await cli('chain', 'invoke', 'greet-all', '{"names":["Ada","Grace"],"vip":"Barbara"}')).stdout);
    expect(v.status).toBe('SUCCEEDED');
    expect(v.result).toEqual({ everyone: [{ message: 'Hello, Ada!' }, { message: 'Hello, Grace!' }], vip: 'Hello, Barbara!' });
    const shown = JSON.parse((await cli('inv', 'get', v.id)).stdout);
    expect(shown.attemptLog.map((l: { step: string; status: string }) => [l.step, l.status])).toEqual([['greet', 'SUCCEEDED'], ['vip', 'SUCCEEDED']]);
  });

  it('a worker SIGKILLed mid-chain: the chain completes after the worker restarts', async () => {
    await stack.client.chains.create.mutate({ definition: {
      name: 'slow',
      steps: ['s1', 's2', 's3'].map((name) => ({ name, function: 'ch-timed', input: { op: 'timed', item: name, sleep: 2 } })),
    } });
    const { id } = await stack.client.chains.start.mutate({ name: 'slow', input: {} });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const v = await stack.client.chains.invocation.query({ id });
      if (v.chain.steps.some((s) => s.name === 's2' && s.status === 'RUNNING')) break;
      if (Date.now() > deadline) throw new Error(`s2 never started: ${JSON.stringify(v.chain.steps)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 800)); // s2's container is running
    await worker.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 1000));
    worker = await spawnWorkerProcess(stack);
    const v = await stack.client.chains.invocation.query({ id, waitMs: 170_000 });
    expect(v.status).toBe('SUCCEEDED');
    expect((v.result as { item: string }).item).toBe('s3');
    expect(v.chain.steps.map((s) => [s.name, s.status])).toEqual([['s1', 'SUCCEEDED'], ['s2', 'SUCCEEDED'], ['s3', 'SUCCEEDED']]);
  });
});
