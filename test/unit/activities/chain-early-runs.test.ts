// Containers started early for a chain's next step (chain-early-runs.ts), on the worker's kit
// with a fake runtime:
// the payload written before the run, the run handed to the one attempt that attaches, never to
// a second, stopped when that attempt is cancelled, and stopped and removed when an ordinary
// create asks for its name.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEarlyRuns } from '../../../src/activities/chain-early-runs.js';
import { createContainerKit, type ContainerActivityDeps } from '../../../src/activities/container-kit.js';
import type { ContainerRuntime, ExecuteOptions, ExecutionOutcome } from '../../../src/runtime/docker/container-runtime.js';
import type { PrepareContainerRequest } from '../../../src/shared/invocation.js';
import { ran, testLimits, testSpec } from './fakes.js';

const dataDir = mkdtempSync(join(tmpdir(), 'caisson-early-unit-'));
const ioRoot = join(dataDir, 'io');
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const next = (name: string): PrepareContainerRequest => ({ containerName: name, invocationId: `inv-${name}`, attempt: 1, spec: testSpec });

/** Early runs on a real kit over a fake runtime whose execute waits until `finish` (or the abort signal). */
function setUp(prepared: (name: string) => string | undefined = (name) => `id-${name}`) {
  const removed: string[] = [];
  const runs: Array<{ options: ExecuteOptions; payload: string; finish: (o: ExecutionOutcome) => void }> = [];
  const runtime = {
    execute: (id: string, options: ExecuteOptions) => new Promise<ExecutionOutcome>((resolve) => {
      const payload = readFileSync(join(ioRoot, id.slice(3), 'payload.json'), 'utf8');
      runs.push({ options, payload, finish: resolve });
      options.signal?.addEventListener('abort', () => resolve(ran({ cancelled: true, exitCode: null })));
    }),
    remove: async (name: string) => void removed.push(name),
  } as unknown as ContainerRuntime;
  const unused = async (): Promise<never> => { throw new Error('not used by early runs'); };
  const kit = createContainerKit({
    runtime, codeCache: { materialize: unused } as unknown as ContainerActivityDeps['codeCache'],
    blobs: { getArtifact: unused, getBlob: unused } as unknown as ContainerActivityDeps['blobs'],
    hostTaskQueue: 'host-q', workerId: 'w1', dataDir, hostDataDir: dataDir, limits: testLimits,
  });
  const early = createEarlyRuns(kit, async (name) => {
    const id = prepared(name);
    if (id) mkdirSync(join(ioRoot, name), { recursive: true });
    return id;
  });
  return { early, runs, removed };
}

const settle = () => new Promise((r) => setTimeout(r, 10));

describe('containers started early for the next chain step', () => {
  it('runs with its payload written first; the attempt that attaches gets its run, a second one is refused', async () => {
    const { early, runs } = setUp();
    early.start(next('c1'), 'k1', { inline: { name: 'Ada' } });
    await settle();
    expect(runs).toHaveLength(1);
    expect(runs[0]!.payload).toBe('{"name":"Ada"}');
    expect(runs[0]!.options.timeoutMs).toBe(testSpec.limits.timeoutMs);
    const attached = early.attach('c1', 'k1', new AbortController().signal);
    runs[0]!.finish(ran({ stdout: 'hi' }));
    expect(await attached).toEqual({ containerId: 'id-c1', outcome: expect.objectContaining({ stdout: 'hi', exitCode: 0 }) });
    await expect(early.attach('c1', 'k1', new AbortController().signal)).rejects.toThrow(/no container was started early for c1/);
    expect(early.size).toBe(0);
  });

  it('refuses an attempt made for something else (another key), and keeps the run for its own', async () => {
    const { early, runs } = setUp();
    early.start(next('c2'), 'k2', { inline: 1 });
    await expect(early.attach('c2', 'other', new AbortController().signal)).rejects.toThrow(/no container was started early/);
    await settle();
    runs[0]!.finish(ran({}));
    await expect(early.attach('c2', 'k2', new AbortController().signal)).resolves.toMatchObject({ containerId: 'id-c2' });
  });

  it('a cancelled attempt stops the function', async () => {
    const { early, runs } = setUp();
    early.start(next('c3'), 'k3', { inline: 1 });
    await settle();
    const cancel = new AbortController();
    const attached = early.attach('c3', 'k3', cancel.signal);
    cancel.abort();
    expect((await attached).outcome.cancelled).toBe(true);
    expect(runs[0]!.options.signal?.aborted).toBe(true);
  });

  it('an ordinary create of its name stops and removes it: the function never runs twice at once', async () => {
    const { early, runs, removed } = setUp();
    early.start(next('c4'), 'k4', { inline: 1 });
    await settle();
    expect(early.has('c4')).toBe(true);
    await early.stop('c4');
    expect(runs[0]!.options.signal?.aborted).toBe(true);
    expect(removed).toEqual(['c4']);
    expect(early.has('c4')).toBe(false);
  });

  it('a prepared container whose creation failed makes the attach fail (the attempt reruns cold)', async () => {
    const { early } = setUp(() => undefined);
    early.start(next('c5'), 'k5', { inline: 1 });
    await expect(early.attach('c5', 'k5', new AbortController().signal)).rejects.toThrow(/could not be created/);
  });
});
