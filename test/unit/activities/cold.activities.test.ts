// The cold path's activities under MockActivityEnvironment with a fake ContainerRuntime: the
// image checked once per worker, heartbeats and cancellation reaching the container, what ran
// turned into a typed attempt outcome, and thrown errors crossing into Temporal typed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { createContainerActivities, type ContainerActivityDeps } from '../../../src/activities/container.activities.js';
import type { ContainerRuntime, ExecuteOptions, ExecutionOutcome } from '../../../src/runtime/docker/container-runtime.js';
import type { PreparedContainers } from '../../../src/runtime/lifecycle/prepared-containers.js';
import type { WarmPool } from '../../../src/runtime/warm/pool.js';
import { RuntimeUnavailableError, ValidationError } from '../../../src/shared/errors.js';
import { mockEnv, ran, testLimits, testSpec } from './fakes.js';

// Only read (no result.json is ever written there): executeWithTimeout looks for one.
const dataDir = mkdtempSync(join(tmpdir(), 'caisson-cold-unit-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** A runtime whose execute is scripted; everything it is asked is kept. */
function fakeRuntime(execute: (options: ExecuteOptions) => Promise<ExecutionOutcome>) {
  const asked = { images: [] as string[], executed: [] as string[], removed: [] as string[] };
  let imageFailure: Error | undefined;
  const runtime: ContainerRuntime = {
    ping: async () => {},
    ensureImage: async (image) => {
      asked.images.push(image);
      if (imageFailure) throw imageFailure;
      return { pulled: false };
    },
    create: async (spec) => ({ id: `id-${spec.name}` }),
    execute: async (id, options) => { asked.executed.push(id); return execute(options); },
    start: async () => {},
    inspectState: async () => ({ running: false, exitCode: 0, oomKilled: false }),
    remove: async (name) => void asked.removed.push(name),
    listManaged: async () => [],
  };
  return { runtime, asked, failImagesWith: (err: Error | undefined) => { imageFailure = err; } };
}

function activities(runtime: ContainerRuntime, extra: Partial<ContainerActivityDeps> = {}) {
  const refuse = async (): Promise<never> => { throw new Error('not used by the cold path in these tests'); };
  const deps: ContainerActivityDeps = {
    runtime,
    codeCache: { materialize: refuse } as unknown as ContainerActivityDeps['codeCache'],
    blobs: { getArtifact: refuse, getBlob: refuse, putBlob: async () => 'blob_1' } as unknown as ContainerActivityDeps['blobs'],
    hostTaskQueue: 'host-q', workerId: 'w1', dataDir, hostDataDir: dataDir,
    limits: testLimits,
    ...extra,
  };
  return createContainerActivities(deps);
}

const spec = testSpec;
const execInput = { containerId: 'cid-1', containerName: 'caisson-inv_unit000001-1', invocationId: 'inv_unit000001', spec };

/** The ApplicationFailure a call rejects with. */
async function failure(call: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await call.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('cold activities with a fake runtime', () => {
  it('pullImage checks the image once per worker and names the host queue', async () => {
    const { runtime, asked } = fakeRuntime(async () => ran({}));
    const acts = activities(runtime);
    const env = mockEnv();
    const answers = await Promise.all([1, 2, 3].map(() => env.run(acts.pullImage, { runtime: 'python' as const })));
    expect(answers).toEqual(Array(3).fill({ hostTaskQueue: 'host-q' }));
    expect(asked.images).toHaveLength(1);
  });

  it.each([
    ['an engine that is away', new RuntimeUnavailableError('docker is not answering'), 'RUNTIME_UNAVAILABLE', false],
    ['an unknown error (infrastructure until proven otherwise)', new Error('socket hang up'), 'RUNTIME_UNAVAILABLE', false],
    ['bad input', new ValidationError('no such runtime', 'runtime'), 'VALIDATION', true],
  ])('a failure from %s crosses as ApplicationFailure of its code, retried or not; the image is checked again next time', async (_what, thrown, type, nonRetryable) => {
    const { runtime, asked, failImagesWith } = fakeRuntime(async () => ran({}));
    const acts = activities(runtime);
    const env = mockEnv();
    failImagesWith(thrown);
    const err = await failure(env.run(acts.pullImage, { runtime: 'python' as const }));
    expect({ type: err.type, nonRetryable: err.nonRetryable }).toEqual({ type, nonRetryable });
    failImagesWith(undefined);
    expect(await env.run(acts.pullImage, { runtime: 'python' as const })).toEqual({ hostTaskQueue: 'host-q' });
    expect(asked.images).toHaveLength(2);
  });

  it('executeWithTimeout: a script-convention success is the stdout JSON, cold, in its container; progress heartbeats', async () => {
    const { runtime, asked } = fakeRuntime(async (o) => {
      o.onProgress?.();
      o.onProgress?.();
      return ran({ stdout: '{"answer":42}\n' });
    });
    const env = mockEnv();
    let heartbeats = 0;
    env.on('heartbeat', () => heartbeats++);
    const outcome = await env.run(activities(runtime).executeWithTimeout, execInput);
    expect(outcome).toMatchObject({ ok: true, result: { inline: { answer: 42 } }, cold: true, containerId: 'cid-1', durationMs: 7 });
    expect(heartbeats).toBe(2);
    expect(asked.executed).toEqual(['cid-1']);
  });

  it('executeWithTimeout: the function timeout comes from the version, and a timed-out run is a FunctionTimeout', async () => {
    let timeoutMs = 0;
    const { runtime } = fakeRuntime(async (o) => { timeoutMs = o.timeoutMs; return ran({ exitCode: 137, timedOut: true, stderr: 'working...' }); });
    const outcome = await mockEnv().run(activities(runtime).executeWithTimeout, execInput);
    expect(timeoutMs).toBe(5000);
    expect(outcome).toMatchObject({ ok: false, failure: { kind: 'FunctionTimeout', stderrTail: 'working...' }, cold: true });
  });

  it('executeWithTimeout: an OOM-killed run is a FunctionOOM; a non-zero exit a FunctionError', async () => {
    const oom = fakeRuntime(async () => ran({ exitCode: 137, oomKilled: true }));
    expect(await mockEnv().run(activities(oom.runtime).executeWithTimeout, execInput))
      .toMatchObject({ ok: false, failure: { kind: 'FunctionOOM' } });
    const exit = fakeRuntime(async () => ran({ exitCode: 3, stderr: 'Traceback: boom' }));
    expect(await mockEnv().run(activities(exit.runtime).executeWithTimeout, execInput))
      .toMatchObject({ ok: false, failure: { kind: 'FunctionError', stderrTail: 'Traceback: boom' } });
  });

  it("executeWithTimeout: the activity's cancellation reaches the running container as its abort signal", async () => {
    let signal: AbortSignal | undefined;
    const { runtime } = fakeRuntime((o) => new Promise((resolve) => {
      signal = o.signal;
      o.signal?.addEventListener('abort', () => resolve(ran({ exitCode: 143, cancelled: true })), { once: true });
    }));
    const env = mockEnv();
    const running = env.run(activities(runtime).executeWithTimeout, execInput);
    await new Promise((r) => setImmediate(r));
    expect(signal?.aborted).toBe(false);
    env.cancel();
    await running.catch(() => undefined); // answered or rejected as cancelled: either way the container was told
    expect(signal?.aborted).toBe(true);
  });
});

/** A registry of prepared containers that keeps what it is asked (the containers are never made). */
function fakePrepared() {
  const asked = { prepared: [] as Array<{ name: string; ttlMs: number }>, discarded: [] as string[] };
  const prepared = {
    prepare: (p: { name: string; ttlMs: number }) => void asked.prepared.push({ name: p.name, ttlMs: p.ttlMs }),
    claim: async () => undefined,
    discard: async (name: string) => void asked.discarded.push(name),
    clear: () => {},
    size: 0,
  } as unknown as PreparedContainers;
  return { prepared, asked };
}

describe('chain prefetch from executeWithTimeout', () => {
  const next = { containerName: 'caisson-inv_unit000001.b-1', invocationId: 'inv_unit000001.b', attempt: 1, spec: { ...spec, runtime: 'go' as const } };

  it("prepares the next step's container while this one runs, for as long as this step may run and a minute", async () => {
    const { prepared, asked } = fakePrepared();
    const { runtime } = fakeRuntime(async () => ran({ stdout: '1' }));
    await mockEnv().run(activities(runtime, { prepared }).executeWithTimeout, { ...execInput, prepareNext: next });
    expect(asked).toEqual({ prepared: [{ name: next.containerName, ttlMs: 5000 + 60_000 }], discarded: [] });
  });

  it('a failed step discards the prepared container (the next step will not run)', async () => {
    const { prepared, asked } = fakePrepared();
    const { runtime } = fakeRuntime(async () => ran({ exitCode: 1 }));
    await mockEnv().run(activities(runtime, { prepared }).executeWithTimeout, { ...execInput, prepareNext: next });
    expect(asked.discarded).toEqual([next.containerName]);
  });

  it('a next step that will run warm on this worker is not prepared', async () => {
    const { prepared, asked } = fakePrepared();
    const { runtime } = fakeRuntime(async () => ran({ stdout: '1' }));
    const pool = {} as WarmPool;
    await mockEnv().run(activities(runtime, { prepared, pool }).executeWithTimeout, { ...execInput, prepareNext: { ...next, spec } });
    expect(asked.prepared).toEqual([]);
  });
});
