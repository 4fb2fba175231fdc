// The warm path's activities under MockActivityEnvironment with a fake pool and runtime: a
// container released for reuse only after a success, no container means the cold path, an
// attempt outlasting its local activity handed over to awaitWarm, and a lost one typed as an
// infrastructure failure.
import { describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { createContainerActivities, type ContainerActivityDeps } from '../../../src/activities/container.activities.js';
import type { ContainerRuntime } from '../../../src/runtime/docker/container-runtime.js';
import type { WarmPool } from '../../../src/runtime/warm/pool.js';
import type { WarmInvokeResult } from '../../../src/runtime/warm/warm-container.js';
import { mockEnv, ran, testLimits, testSpec } from './fakes.js';

const runtime: ContainerRuntime = {
  ping: async () => {}, ensureImage: async () => ({ pulled: false }), create: async () => ({ id: 'unused' }),
  execute: async () => ran({}), start: async () => {}, remove: async () => {}, listManaged: async () => [],
  inspectState: async () => ({ running: true, exitCode: null, oomKilled: false }),
};

/** A pool of one warm container whose invoke is scripted; each lease's release is kept. */
function fakePool(invoke: (() => Promise<WarmInvokeResult>) | 'none') {
  const released: boolean[] = [];
  let acquired = 0;
  const pool = {
    async acquire() {
      acquired++;
      if (invoke === 'none') return undefined;
      return { container: { id: 'warm-1', invoke }, cold: false, release: (reusable: boolean) => void released.push(reusable) };
    },
  } as unknown as WarmPool;
  return { pool, released, acquired: () => acquired };
}

function activities(pool: WarmPool | undefined) {
  const deps: ContainerActivityDeps = {
    runtime,
    codeCache: { materialize: async () => '/code/fn_1' } as unknown as ContainerActivityDeps['codeCache'],
    blobs: { putBlob: async () => 'blob_1' } as unknown as ContainerActivityDeps['blobs'],
    hostTaskQueue: 'host-q', workerId: 'w1', dataDir: '/data', hostDataDir: '/data',
    limits: testLimits,
    ...(pool ? { pool, warmServerDir: '/data/warm-servers' } : {}),
  };
  return createContainerActivities(deps);
}

const spec = testSpec;
const attempt = { invocationId: 'inv_warmunit001', attempt: 1, spec, payload: { inline: { x: 1 } } };
const answered = (stdout: string, reusable = true): WarmInvokeResult => ({ outcome: ran({ stdout }), resultFile: { kind: 'missing' }, reusable });

describe('warm activities with a fake pool', () => {
  it('a worker without a pool says so: warmEnabled false, executeWarm answers ran=false', async () => {
    const acts = activities(undefined);
    expect(await mockEnv().run(acts.warmEnabled)).toBe(false);
    expect(await mockEnv().run(acts.executeWarm, attempt)).toEqual({ ran: false, reason: 'warm containers are off on this worker' });
  });

  it('a success is the outcome of the warm container, released for reuse', async () => {
    const { pool, released } = fakePool(async () => answered('{"warm":true}'));
    const result = await mockEnv().run(activities(pool).executeWarm, attempt);
    expect(result).toMatchObject({ ran: true, outcome: { ok: true, result: { inline: { warm: true } }, cold: false, containerId: 'warm-1' } });
    expect(released).toEqual([true]);
  });

  it('a failed attempt retires its container (never reused after a failure)', async () => {
    const { pool, released } = fakePool(async () => ({ ...answered(''), outcome: ran({ exitCode: 1, stderr: 'boom' }) }));
    const result = await mockEnv().run(activities(pool).executeWarm, attempt);
    expect(result).toMatchObject({ ran: true, outcome: { ok: false, failure: { kind: 'FunctionError' } } });
    expect(released).toEqual([false]);
  });

  it('no container to be had: ran=false (the workflow goes cold), nothing released', async () => {
    const { pool, released, acquired } = fakePool('none');
    expect(await mockEnv().run(activities(pool).executeWarm, attempt)).toMatchObject({ ran: false });
    expect([acquired(), released]).toEqual([1, []]);
  });

  it("an invoke that throws (the container died) crosses as a retryable RUNTIME_UNAVAILABLE and retires it", async () => {
    const { pool, released } = fakePool(async () => { throw new Error('warm container warm-1 is gone'); });
    const err = await mockEnv().run(activities(pool).executeWarm, attempt).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'RUNTIME_UNAVAILABLE', nonRetryable: false });
    expect(released).toEqual([false]);
  });

  it('a local attempt outlasting its bound is handed over: ran=running on the host queue, awaitWarm answers it once', async () => {
    let finish!: (r: WarmInvokeResult) => void;
    const { pool, released } = fakePool(() => new Promise((r) => { finish = r; }));
    const acts = activities(pool);
    const local = mockEnv({ isLocal: true });
    expect(await local.run(acts.executeWarm, { ...attempt, handOverAfterMs: 5 })).toEqual({ ran: 'running', hostTaskQueue: 'host-q' });
    const awaiting = mockEnv().run(acts.awaitWarm, { invocationId: attempt.invocationId, attempt: 1 });
    finish(answered('"late"'));
    expect(await awaiting).toMatchObject({ ran: true, outcome: { ok: true, result: { inline: 'late' } } });
    expect(released).toEqual([true]);
    const again = await mockEnv().run(acts.awaitWarm, { invocationId: attempt.invocationId, attempt: 1 }).catch((e: unknown) => e);
    expect(again).toMatchObject({ type: 'RUNTIME_UNAVAILABLE', nonRetryable: false });
  });
});
