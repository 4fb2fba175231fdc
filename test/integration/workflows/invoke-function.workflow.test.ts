// invokeFunction's semantics on the real Temporal server, with the container activities
// replaced by scripted fakes: attempt counting, retry policy, infrastructure reruns,
// dead letters, and the container always removed.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { Client, Connection, WithStartWorkflowOperation, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { findTemporalCli } from '../../../src/cli/processes/temporal-cli.js';
import { connectWorker } from '../../../src/temporal/connection.js';
import { workflowBundle } from '../../../src/cli/processes/worker.process.js';
import {
  type AttemptOutcome, type InvokeFunctionInput, type InvokeFunctionResult, type WarmAttemptResult,
} from '../../../src/shared/invocation.js';
import type { InvocationOutcomeRecord, DeadLetterRecord } from '../../../src/control/invocation.activities.js';
import { attemptActivities } from '../../../src/activities/attempt.activities.js';
import { invokeFunction } from '../../../src/api/workflow-refs.js';
import { outcomeUpdate } from '../../../src/shared/workflow-messages.js';
import { RetryPolicySchema, WarmSettingsSchema, type FunctionVersionSpec, type WarmSettings } from '../../../src/shared/types.js';

let client: Client;
let connection: NativeConnection;

beforeAll(async () => {
  // No payload codec here (nor in the workers below): recorded histories stay readable fixtures.
  client = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }), namespace: 'default' });
  connection = await connectWorker({ address: inject('temporalAddress'), namespace: 'default' });
});
afterAll(async () => {
  await connection?.close();
  await client?.connection.close();
});

const empty = { stdout: { inline: '' }, stderr: { inline: '' } };
const ok = (result: unknown): AttemptOutcome => ({ ok: true, result: { inline: result }, logs: empty, durationMs: 1 });
const fail = (kind: 'FunctionError' | 'InvalidOutput'): AttemptOutcome =>
  ({ ok: false, failure: { kind, message: `${kind} happened` }, logs: empty, durationMs: 1 });

/** Runs one invocation with scripted executeWithTimeout (and executeWarm) outcomes (a function of the call number). */
async function run(opts: {
  script: (call: number) => AttemptOutcome | 'infra'; maxAttempts: number; retryOn?: string[];
  warm?: (call: number) => WarmAttemptResult | 'infra'; warmSettings?: Partial<WarmSettings>;
  /** Start as a synchronous caller does: with the outcome update (update-with-start). */
  sync?: boolean; removeDelayMs?: number;
  /** What the worker says when asked whether it runs warm containers (default: it does). */
  warmEnabled?: boolean;
  /** awaitWarm's answers, for attempts executeWarm handed over (ran: 'running'). */
  awaitWarm?: (call: number) => WarmAttemptResult | 'lost';
  /** An /async-function callback: deliverCallback answers so (fail: a non-retryable refusal). */
  callback?: 'ok' | 'fail';
}) {
  const q = `wf-test-${randomUUID()}`;
  const calls = {
    create: 0, execute: 0, remove: 0, warm: 0, awaitWarm: 0, outcomes: [] as InvocationOutcomeRecord[], deadLetters: [] as DeadLetterRecord[],
    /** When the update answered: how many removals and dead letters had completed by then. */
    answered: undefined as undefined | { removed: number; deadLetters: number; outcome: InvocationOutcomeRecord },
    /** Each deliverCallback call: its url, and how many outcomes were recorded by then. */
    callbacks: [] as Array<{ url: string; outcomesRecorded: number }>,
  };
  const worker = await Worker.create({
    connection, taskQueue: `${q}-data`, workflowBundle: await workflowBundle(),
    activities: {
      ...attemptActivities,
      pullImage: async () => ({ hostTaskQueue: `${q}-host`, pulled: false }),
      // A local activity of the cold path (histories from before run it on the host queue).
      createContainer: async () => { calls.create++; return { containerId: `c${calls.create}`, hostTaskQueue: `${q}-host` }; },
      warmEnabled: async () => opts.warmEnabled ?? true,
      executeWarm: async () => {
        // As the real one: a worker with warm containers off answers at once.
        if (opts.warmEnabled === false) return { ran: false, reason: 'warm containers are off on this worker' };
        calls.warm++;
        const r = opts.warm?.(calls.warm) ?? { ran: false, reason: 'no warm pool in this test' };
        if (r === 'infra') throw ApplicationFailure.create({ type: 'RUNTIME_UNAVAILABLE', message: 'warm start failed', nonRetryable: true });
        return r.ran === 'running' ? { ran: 'running', hostTaskQueue: `${q}-host` } : r;
      },
    },
  });
  const host = await Worker.create({
    connection, taskQueue: `${q}-host`,
    activities: {
      createContainer: async () => { calls.create++; return { containerId: `c${calls.create}`, hostTaskQueue: `${q}-host` }; },
      executeWithTimeout: async () => {
        const r = opts.script(++calls.execute);
        if (r === 'infra') throw ApplicationFailure.create({ type: 'RUNTIME_UNAVAILABLE', message: 'docker hiccup', nonRetryable: true });
        return r;
      },
      awaitWarm: async () => {
        const r = opts.awaitWarm?.(++calls.awaitWarm) ?? 'lost';
        if (r === 'lost') throw ApplicationFailure.create({ type: 'RUNTIME_UNAVAILABLE', message: 'not running on this worker', nonRetryable: true });
        return r;
      },
      removeContainer: async () => {
        if (opts.removeDelayMs) await new Promise((r) => setTimeout(r, opts.removeDelayMs));
        calls.remove++;
      },
    },
  });
  const control = await Worker.create({
    connection, taskQueue: `${q}-control`,
    activities: {
      recordInvocationOutcome: async (r: InvocationOutcomeRecord) => { calls.outcomes.push(r); },
      recordDeadLetter: async (r: DeadLetterRecord) => { calls.deadLetters.push(r); },
      deliverCallback: async (r: { url: string }) => {
        calls.callbacks.push({ url: r.url, outcomesRecorded: calls.outcomes.length });
        if (opts.callback === 'fail') throw ApplicationFailure.create({ type: 'VALIDATION', message: 'callback answered 404', nonRetryable: true });
        return { status: 200 };
      },
    },
  });
  const spec: FunctionVersionSpec = {
    functionId: 'fn_1', namespace: 'default', name: 'f', version: 1, runtime: 'python', convention: 'script', entry: 'main.py',
    artifact: { sha256: 'a'.repeat(64), format: 'file', fileName: 'main.py', sizeBytes: 1 },
    limits: { timeoutMs: 5000, memoryMb: 64, cpus: 1, network: false }, env: {},
    retryPolicy: RetryPolicySchema.parse({ maxAttempts: opts.maxAttempts, initialIntervalMs: 10, retryOn: opts.retryOn }),
    ...(opts.warmSettings ? { warm: WarmSettingsSchema.parse(opts.warmSettings) } : {}),
  };
  const input: InvokeFunctionInput = {
    invocationId: `inv_${randomUUID().replace(/-/g, '').slice(0, 20)}`, spec, payload: { inline: { x: 1 } },
    taskQueues: { control: `${q}-control`, data: `${q}-data` }, acceptedAt: new Date().toISOString(),
    ...(opts.callback ? { callback: { url: 'http://127.0.0.1:9/done' } } : {}),
  };
  const options = { taskQueue: `${q}-data`, workflowId: input.invocationId, args: [input] as [InvokeFunctionInput] };
  const started = opts.sync
    ? client.workflow.executeUpdateWithStart(outcomeUpdate, {
      startWorkflowOperation: new WithStartWorkflowOperation(invokeFunction, { ...options, workflowIdConflictPolicy: 'USE_EXISTING' }),
    }).then((outcome) => {
      calls.answered = { removed: calls.remove, deadLetters: calls.deadLetters.length, outcome };
      return client.workflow.getHandle<typeof invokeFunction>(input.invocationId).result();
    })
    : client.workflow.execute(invokeFunction, options);
  const execution = started.then((r) => ({ ok: true as const, r: r as InvokeFunctionResult }), (e: unknown) => ({ ok: false as const, e }));
  const [result] = await Promise.all([worker, host, control].map((w) => w.runUntil(execution)));
  const history = await client.workflow.getHandle(input.invocationId).fetchHistory();
  return { result: result!, calls, history, workflowId: input.invocationId };
}

/**
 * Histories recorded by earlier versions of invokeFunction (test/fixtures/histories) must
 * replay against today's code: a change that is not deterministic for them fails here and
 * needs a patch (workflow.patched). Record new ones with RECORD_HISTORIES=1.
 */
const HISTORY_DIR = join(process.cwd(), 'test', 'fixtures', 'histories');
async function recordOrReplay(name: string, history: Awaited<ReturnType<typeof run>>['history'], workflowId: string) {
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history); // today's run, today's code
  const file = join(HISTORY_DIR, `invoke-function-${name}.json`);
  if (process.env.RECORD_HISTORIES === '1') {
    // The CLI's JSON is the format historyFromJSON (and the Web UI's download) uses.
    const json = execFileSync(findTemporalCli(join(process.cwd(), '.caisson')),
      ['workflow', 'show', '--workflow-id', workflowId, '--address', inject('temporalAddress'), '--output', 'json'], { encoding: 'utf8' });
    await mkdir(HISTORY_DIR, { recursive: true });
    await writeFile(file, json);
  }
  // runReplayHistory takes the CLI's JSON as it is.
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, JSON.parse(await readFile(file, 'utf8')));
}

describe('invokeFunction', () => {
  it('succeeds on the first attempt: one container, removed, outcome recorded', async () => {
    const { result, calls, history, workflowId } = await run({ script: () => ok({ hi: 1 }), maxAttempts: 3 });
    await recordOrReplay('cold-local-create', history, workflowId);
    expect(result.ok && result.r.result).toEqual({ inline: { hi: 1 } });
    expect(calls).toMatchObject({ create: 1, execute: 1, remove: 1 });
    expect(calls.outcomes).toHaveLength(1);
    expect(calls.outcomes[0]).toMatchObject({ status: 'SUCCEEDED', attempts: [{ attempt: 1 }] });
    expect(calls.deadLetters).toHaveLength(0);
  });

  it('an async invocation with a callback delivers it after the outcome is recorded (patch http-callback)', async () => {
    const { result, calls, history, workflowId } = await run({ script: () => ok({ hi: 1 }), maxAttempts: 1, callback: 'ok' });
    await recordOrReplay('http-callback', history, workflowId);
    expect(result.ok).toBe(true);
    expect(calls.callbacks).toEqual([{ url: 'http://127.0.0.1:9/done', outcomesRecorded: 1 }]);
    const failed = await run({ script: () => fail('FunctionError'), maxAttempts: 1, callback: 'fail' });
    // A failed invocation calls back too; a callback that cannot be delivered changes nothing of the outcome.
    expect(failed.result.ok).toBe(false);
    expect(failed.calls.callbacks).toEqual([{ url: 'http://127.0.0.1:9/done', outcomesRecorded: 1 }]);
    expect(failed.calls.deadLetters).toHaveLength(1);
    // Without a callback nothing is called.
    expect((await run({ script: () => ok(1), maxAttempts: 1 })).calls.callbacks).toEqual([]);
  });

  it('fails on attempts 1 and 2, succeeds on 3: exactly three clean containers', async () => {
    const { result, calls, history, workflowId } = await run({ script: (n) => (n < 3 ? fail('FunctionError') : ok('third')), maxAttempts: 3 });
    await recordOrReplay('cold-retries', history, workflowId);
    expect(result.ok).toBe(true);
    expect(calls).toMatchObject({ create: 3, execute: 3, remove: 3 });
    expect(calls.outcomes[0]!.attempts.map((a) => a.failure?.kind ?? 'ok')).toEqual(['FunctionError', 'FunctionError', 'ok']);
  });

  it('exhausts attempts: dead letter with every error, then FAILED', async () => {
    const { result, calls } = await run({ script: () => fail('FunctionError'), maxAttempts: 2 });
    expect(result.ok).toBe(false);
    const err = !result.ok ? result.e : undefined;
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toMatchObject({ type: 'InvocationFailed' });
    expect(calls.execute).toBe(2);
    expect(calls.deadLetters).toHaveLength(1);
    expect(calls.deadLetters[0]!.attempts).toHaveLength(2);
    expect(calls.outcomes[0]).toMatchObject({ status: 'FAILED', failure: { kind: 'FunctionError' } });
  });

  it('does not retry a kind outside retryOn', async () => {
    const { calls } = await run({ script: () => fail('InvalidOutput'), maxAttempts: 3 });
    expect(calls.execute).toBe(1);
    expect(calls.deadLetters).toHaveLength(1);
  });

  it('shows each failed attempt as a failed activity, and the outcome and start as search attributes', async () => {
    const { result, history, workflowId } = await run({ script: (n) => (n < 2 ? fail('FunctionError') : ok('second')), maxAttempts: 2 });
    await recordOrReplay('failed-attempt-shown', history, workflowId);
    expect(result.ok).toBe(true);
    const events = history.events ?? [];
    const failed = events.flatMap((e) => e.activityTaskFailedEventAttributes?.failure?.applicationFailureInfo?.type ?? []);
    expect(failed).toEqual(['FunctionError']);
    const upserted = events.flatMap((e) => Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}));
    expect(upserted.filter((k) => k.startsWith('Caisson')).sort()).toEqual(['CaissonOutcome', 'CaissonStart']);
    const attrs = (await client.workflow.getHandle(workflowId).describe()).searchAttributes;
    expect(attrs).toMatchObject({ CaissonOutcome: ['Succeeded'], CaissonStart: ['cold'] });
  });

  it('reruns after an infrastructure failure without counting it as an attempt', async () => {
    const { result, calls } = await run({ script: (n) => (n === 1 ? 'infra' : ok('after infra')), maxAttempts: 1 });
    expect(result.ok).toBe(true);
    expect(calls).toMatchObject({ create: 2, execute: 2, remove: 2 });
    // maxAttempts 1 and still succeeded: the infrastructure failure is logged, not counted.
    expect(calls.outcomes[0]!.attempts.map((a) => a.infrastructure ?? false)).toEqual([true, false]);
    expect(result.ok && result.r.attempts).toBe(1);
  });
});

describe('invokeFunction, synchronous caller (outcome update)', () => {
  it('answers before the container is removed; the caller writes the record, which the result carries', async () => {
    const { result, calls, history, workflowId } = await run({ script: () => ok({ hi: 2 }), maxAttempts: 1, sync: true, removeDelayMs: 500 });
    await recordOrReplay('sync-success', history, workflowId);
    expect(calls.answered).toMatchObject({ removed: 0, outcome: { status: 'SUCCEEDED', result: { inline: { hi: 2 } } } });
    expect(calls.remove).toBe(1); // and still removed before the workflow closed
    expect(calls.outcomes).toHaveLength(0); // no record activity: the caller writes it
    expect(result.ok && result.r.record).toEqual(calls.answered!.outcome);
  });

  it('a failure answers only after its dead letter and record are written', async () => {
    const { result, calls } = await run({ script: () => fail('FunctionError'), maxAttempts: 2, sync: true });
    expect(result.ok).toBe(false);
    expect(calls.answered).toMatchObject({ deadLetters: 1, outcome: { status: 'FAILED', failure: { kind: 'FunctionError' } } });
    expect(calls.outcomes).toHaveLength(1);
    expect(calls.answered!.outcome.attempts).toHaveLength(2);
  });
});

describe('invokeFunction, warm path', () => {
  const warmOk = (result: unknown, containerId: string): WarmAttemptResult =>
    ({ ran: true, outcome: { ...ok(result), cold: false, containerId } });

  it('one executeWarm activity and no container steps; cold=false reaches the record', async () => {
    const { result, calls } = await run({ script: () => ok('cold'), warm: () => warmOk('warm', 'w1'), maxAttempts: 1 });
    expect(result.ok && result.r.result).toEqual({ inline: 'warm' });
    expect(calls).toMatchObject({ warm: 1, create: 0, execute: 0, remove: 0 });
    expect(calls.outcomes[0]).toMatchObject({ status: 'SUCCEEDED', cold: false, attempts: [{ cold: false, containerId: 'w1' }] });
  });

  it('no warm container to be had: the cold path runs', async () => {
    const { result, calls } = await run({ script: () => ok('cold'), maxAttempts: 1 });
    expect(result.ok && result.r.result).toEqual({ inline: 'cold' });
    expect(calls).toMatchObject({ warm: 1, create: 1, execute: 1, remove: 1 });
  });

  it('retries a warm failure in another attempt; an infrastructure failure reruns cold', async () => {
    const { result, calls, history, workflowId } = await run({
      script: () => ok('cold rerun'),
      warm: (n) => (n === 1 ? { ran: true, outcome: { ...fail('FunctionError'), cold: false, containerId: 'w1' } } : 'infra'),
      maxAttempts: 2,
    });
    await recordOrReplay('warm-then-cold', history, workflowId);
    expect(result.ok && result.r.result).toEqual({ inline: 'cold rerun' });
    expect(calls).toMatchObject({ warm: 2, create: 1, execute: 1 });
    expect(calls.outcomes[0]!.attempts.map((a) => [a.attempt, a.infrastructure ?? false, a.cold])).toEqual([
      [1, false, false], [2, true, undefined], [2, false, true], // the cold rerun says it ran cold
    ]);
  });

  it('a worker with warm containers off: straight to the cold path, no executeWarm', async () => {
    const { result, calls, history, workflowId } = await run({ script: () => ok('cold'), warm: () => warmOk('warm', 'w1'), maxAttempts: 1, warmEnabled: false });
    await recordOrReplay('warm-off-probe', history, workflowId);
    expect(result.ok && result.r.result).toEqual({ inline: 'cold' });
    expect(calls).toMatchObject({ warm: 0, create: 1, execute: 1, remove: 1 });
  });

  it('an attempt outlasting its local activity is handed over: awaitWarm on the host queue answers it', async () => {
    const { result, calls, history, workflowId } = await run({
      script: () => ok('cold'), warm: () => ({ ran: 'running', hostTaskQueue: '' }), awaitWarm: () => warmOk('long', 'w2'), maxAttempts: 1,
    });
    await recordOrReplay('warm-handover', history, workflowId);
    expect(result.ok && result.r.result).toEqual({ inline: 'long' });
    expect(calls).toMatchObject({ warm: 1, awaitWarm: 1, create: 0, execute: 0, remove: 0 });
    expect(calls.outcomes[0]).toMatchObject({ status: 'SUCCEEDED', cold: false, attempts: [{ cold: false, containerId: 'w2' }] });
  });

  it('a handed-over attempt its worker lost reruns cold, not counted', async () => {
    const { result, calls } = await run({
      script: () => ok('cold rerun'), warm: () => ({ ran: 'running', hostTaskQueue: '' }), awaitWarm: () => 'lost', maxAttempts: 1,
    });
    expect(result.ok && result.r.result).toEqual({ inline: 'cold rerun' });
    expect(calls).toMatchObject({ warm: 1, awaitWarm: 1, create: 1, execute: 1, remove: 1 });
    expect(calls.outcomes[0]!.attempts.map((a) => a.infrastructure ?? false)).toEqual([true, false]);
  });

  it("isolation 'fresh' never asks for a warm container", async () => {
    const { calls } = await run({ script: () => ok('cold'), warm: () => warmOk('warm', 'w1'), maxAttempts: 1, warmSettings: { isolation: 'fresh' } });
    expect(calls).toMatchObject({ warm: 0, create: 1, execute: 1, remove: 1 });
  });
});
