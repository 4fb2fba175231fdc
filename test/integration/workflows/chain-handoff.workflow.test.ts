// A chain step started ahead (invokeFunction with awaitsInput) on the real Temporal server, the
// container activities replaced by fakes: it runs with the first stepInput signal's input, it is
// cancelled while waiting with nothing run or recorded, and a finishing step hands its next
// step the input built from its result.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { findTemporalCli } from '../../../src/cli/processes/temporal-cli.js';
import { connectWorker } from '../../../src/temporal/connection.js';
import { workflowBundle } from '../../../src/cli/processes/worker.process.js';
import type { AttemptOutcome, InvokeFunctionInput, PrepareContainerRequest, StartedNext, StepHandOff } from '../../../src/shared/invocation.js';
import type { ExecuteInput } from '../../../src/activities/cold.activities.js';
import { coldContainerName } from '../../../src/shared/attempt-rules.js';
import type { InvocationOutcomeRecord } from '../../../src/control/invocation.activities.js';
import type { PayloadRef } from '../../../src/shared/payload-ref.js';
import { attemptActivities } from '../../../src/activities/attempt.activities.js';
import { invokeFunction } from '../../../src/api/workflow-refs.js';
import { stepInputSignal } from '../../../src/shared/workflow-messages.js';
import { RetryPolicySchema, WarmSettingsSchema, type FunctionVersionSpec } from '../../../src/shared/types.js';

let client: Client;
let connection: NativeConnection;
const q = `handoff-${randomUUID()}`;
/** The payload each createContainer got, by invocation id; the outcomes recorded. */
const created = new Map<string, PayloadRef>();
/** Containers "started early" on the host queue, by name, with their payload's x; attempts that attached to one. */
const early = new Map<string, { x: number }>();
const attached = new Map<string, string>();
const outcomes: InvocationOutcomeRecord[] = [];
let workers: Worker[] = [];
let running: Promise<void>[] = [];
const empty = { stdout: { inline: '' }, stderr: { inline: '' } };

beforeAll(async () => {
  // No payload codec: the recorded history stays a readable fixture.
  client = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }), namespace: 'default' });
  connection = await connectWorker({ address: inject('temporalAddress'), namespace: 'default' });
  workers = await Promise.all([
    Worker.create({
      connection, taskQueue: `${q}-data`, workflowBundle: await workflowBundle(),
      activities: {
        ...attemptActivities,
        pullImage: async () => ({ hostTaskQueue: `${q}-host`, pulled: false }),
        createContainer: async (a: { invocationId: string; payload: PayloadRef }) => {
          created.set(a.invocationId, a.payload);
          return { containerId: `c-${a.invocationId}`, hostTaskQueue: `${q}-host` };
        },
      },
    }),
    Worker.create({
      connection, taskQueue: `${q}-host`,
      activities: {
        // The result: the payload's x, plus one.
        executeWithTimeout: async (a: ExecuteInput): Promise<AttemptOutcome> => {
          if (a.startedEarly) {
            // The container the step before started: its payload is what that step gave it.
            if (!early.has(a.containerName)) throw new Error(`no container was started early for ${a.containerName} on this worker`);
            attached.set(a.invocationId, a.containerName);
            return { ok: true, result: { inline: { value: early.get(a.containerName)!.x + 1 } }, logs: empty, durationMs: 1 };
          }
          const x = (created.get(a.invocationId) as { inline: { x: number } }).inline.x;
          // A step that hands over starts the next step's container with its input (chain-prefetch.ts).
          const startedNext: StartedNext | undefined = a.handOff && a.prepareNext ? {
            workflowId: a.handOff.workflowId, payload: { inline: { x: x + 1 } },
            started: { containerName: a.prepareNext.containerName, hostTaskQueue: `${q}-host` },
          } : undefined;
          if (startedNext) early.set(a.prepareNext!.containerName, { x: x + 1 });
          return { ok: true, result: { inline: { value: x + 1 } }, logs: empty, durationMs: 1, ...(startedNext ? { startedNext } : {}) };
        },
        removeContainer: async () => {},
      },
    }),
    Worker.create({
      connection, taskQueue: `${q}-control`,
      activities: { recordInvocationOutcome: async (r: InvocationOutcomeRecord) => void outcomes.push(r) },
    }),
  ]);
  running = workers.map((w) => w.run());
});

afterAll(async () => {
  for (const w of workers) w.shutdown();
  await Promise.all(running);
  await connection?.close();
  await client?.connection.close();
});

const spec: FunctionVersionSpec = {
  functionId: 'fn_1', namespace: 'default', name: 'f', version: 1, runtime: 'python', convention: 'script', entry: 'main.py',
  artifact: { sha256: 'a'.repeat(64), format: 'file', fileName: 'main.py', sizeBytes: 1 },
  limits: { timeoutMs: 5000, memoryMb: 64, cpus: 1, network: false }, env: {},
  retryPolicy: RetryPolicySchema.parse({ maxAttempts: 1 }), warm: WarmSettingsSchema.parse({ isolation: 'fresh' }), // the cold path
};
const PLACEHOLDER_TIME = '2000-01-01T00:00:00.000Z';

const newInvocationId = () => `inv_${randomUUID().replace(/-/g, '').slice(0, 20)}`;

function start(opts: { staged?: boolean; payload?: PayloadRef; handOff?: StepHandOff; prepareNext?: PrepareContainerRequest; invocationId?: string }) {
  const invocationId = opts.invocationId ?? newInvocationId();
  const input: InvokeFunctionInput = {
    invocationId, spec, payload: opts.payload ?? { inline: null }, taskQueues: { control: `${q}-control`, data: `${q}-data` },
    acceptedAt: PLACEHOLDER_TIME, ...(opts.staged ? { awaitsInput: true as const } : {}), ...(opts.handOff ? { handOff: opts.handOff } : {}),
    ...(opts.prepareNext ? { prepareNext: opts.prepareNext } : {}),
  };
  return client.workflow.start(invokeFunction, { taskQueue: `${q}-data`, workflowId: invocationId, args: [input] });
}

describe('a chain step started ahead', () => {
  it('waits for its input and runs with the first stepInput signal (later ones change nothing)', async () => {
    const h = await start({ staged: true });
    await h.signal(stepInputSignal, { payload: { inline: { x: 1 } }, steps: {} });
    await h.signal(stepInputSignal, { payload: { inline: { x: 100 } }, steps: {} });
    expect((await h.result()).result).toEqual({ inline: { value: 2 } });
    expect(created.get(h.workflowId)).toEqual({ inline: { x: 1 } });
    const record = outcomes.find((o) => o.invocationId === h.workflowId)!;
    // Its time starts when its input arrived, not when it was started ahead.
    expect(record).toMatchObject({ status: 'SUCCEEDED' });
    expect(record.acceptedAt).not.toBe(PLACEHOLDER_TIME);
    await recordOrReplay('step-awaits-input', h.workflowId);
  });

  it('cancelled while waiting: ends cancelled, nothing created, nothing recorded', async () => {
    const h = await start({ staged: true });
    await h.cancel();
    const err = await h.result().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect((await h.describe()).status.name).toBe('CANCELLED');
    expect(created.has(h.workflowId)).toBe(false);
    expect(outcomes.some((o) => o.invocationId === h.workflowId)).toBe(false);
  });

  it("a finishing step hands over: the next step's input is built from its result and signalled there", async () => {
    const next = await start({ staged: true });
    const first = await start({
      payload: { inline: { x: 10 } },
      handOff: {
        workflowId: next.workflowId, step: 'a', mapping: { x: '$.steps.a.output.value', tag: '$.input.tag' },
        context: { input: { inline: { tag: 't' } }, steps: {} }, inlineBytes: 1000, forward: false,
      },
    });
    expect((await first.result()).result).toEqual({ inline: { value: 11 } });
    expect((await next.result()).result).toEqual({ inline: { value: 12 } });
    expect(created.get(next.workflowId)).toEqual({ inline: { x: 11, tag: 't' } });
    const signals = (await next.fetchHistory()).events!.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'stepInput');
    expect(signals.map((e) => e.workflowExecutionSignaledEventAttributes!.externalWorkflowExecution?.workflowId)).toEqual([first.workflowId]);
  });

  it('an input too big to travel inline is not handed over: the step waits for the chain\'s', async () => {
    const next = await start({ staged: true });
    const first = await start({
      payload: { inline: { x: 1 } },
      handOff: { workflowId: next.workflowId, step: 'a', mapping: { big: '$.steps.a.output.value' }, context: { input: { inline: null }, steps: {} }, inlineBytes: 5, forward: false },
    });
    await first.result();
    // The chain sends it then; here the test does, after checking the next step still waits.
    expect((await next.describe()).status.name).toBe('RUNNING');
    expect(created.has(next.workflowId)).toBe(false);
    await next.signal(stepInputSignal, { payload: { inline: { x: 5 } }, steps: {} });
    expect((await next.result()).result).toEqual({ inline: { value: 6 } });
  });
});

describe('a chain step whose container the step before started', () => {
  it('the finishing step signals where the next one runs; that one waits there, creating nothing', async () => {
    const nextId = newInvocationId();
    const next = await start({ staged: true, invocationId: nextId });
    const containerName = coldContainerName(nextId, 1);
    const first = await start({
      payload: { inline: { x: 20 } },
      prepareNext: { containerName, invocationId: nextId, attempt: 1, spec },
      handOff: { workflowId: nextId, step: 'a', mapping: { x: '$.steps.a.output.value' }, context: { input: { inline: null }, steps: {} }, inlineBytes: 1000, forward: false },
    });
    expect((await first.result()).result).toEqual({ inline: { value: 21 } });
    expect((await next.result()).result).toEqual({ inline: { value: 22 } });
    expect(attached.get(nextId)).toBe(containerName);
    expect(created.has(nextId)).toBe(false);
    const history = (await next.fetchHistory()).events!;
    expect(history.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')).toEqual([]);
    expect(history.find((e) => e.activityTaskScheduledEventAttributes)?.activityTaskScheduledEventAttributes?.taskQueue?.name).toBe(`${q}-host`);
    await recordOrReplay('step-started-early', nextId);
  });

  it('when that worker has no such container (it restarted), the attempt reruns cold, created afresh', async () => {
    const h = await start({ staged: true });
    const containerName = coldContainerName(h.workflowId, 1);
    await h.signal(stepInputSignal, { payload: { inline: { x: 3 } }, steps: {}, started: { containerName, hostTaskQueue: `${q}-host` } });
    expect((await h.result()).result).toEqual({ inline: { value: 4 } });
    expect(attached.has(h.workflowId)).toBe(false);
    expect(created.get(h.workflowId)).toEqual({ inline: { x: 3 } });
    const record = outcomes.find((o) => o.invocationId === h.workflowId)!;
    expect(record.attempts.map((a) => [a.attempt, a.infrastructure ?? false])).toEqual([[1, true], [1, false]]);
  });
});

/** Replays today's run, then the recorded fixture (RECORD_HISTORIES=1 writes it anew). */
async function recordOrReplay(name: string, workflowId: string) {
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, await client.workflow.getHandle(workflowId).fetchHistory());
  const file = join(process.cwd(), 'test', 'fixtures', 'histories', `invoke-function-${name}.json`);
  if (process.env.RECORD_HISTORIES === '1') {
    await writeFile(file, execFileSync(findTemporalCli(join(process.cwd(), '.caisson')),
      ['workflow', 'show', '--workflow-id', workflowId, '--address', inject('temporalAddress'), '--output', 'json'], { encoding: 'utf8' }));
  }
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, JSON.parse(await readFile(file, 'utf8')));
}
