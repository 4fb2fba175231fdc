// Generic warm containers end to end (real Temporal, Docker, database): the first invocation
// of a version deployed just before is served by a generic container specialised for it (the
// record says warm and names that container, labelled generic), with the warm containers'
// isolation flags and the version's limits and environment; a replacement holding no code
// takes its place; a specialised container serves its version only, and what a hostile
// first invocation leaves in it (a file, a process) never reaches the next version.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Dockerode from 'dockerode';
import { createDockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { imageFor } from '../../src/runtime/docker/images.js';
import { POOL_LABEL } from '../../src/runtime/warm/pool.js';
import { resolveRequestedRuntime } from '../../src/shared/runtimes.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { execIn, waitFor } from '../support/containers.js';
import { processesIn } from '../security/support/hostile.js';

const docker = createDockerRuntime({});
let stack: TestStack;
const image = imageFor(resolveRequestedRuntime('python'));

// Reports what it sees; with leave, leaves a file in /tmp and a process running on its own.
const SOURCE = `
import os, subprocess, sys

def handler(event, context):
    if event.get("leave"):
        with open("/tmp/left-behind", "w") as f:
            f.write("x")
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)  # left-behind"],
                         start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return {"tmp": sorted(os.listdir("/tmp")), "greeting": os.environ.get("GREETING"), "uid": os.getuid(),
            "code": sorted(os.listdir("/app/function"))}
`;
const deploy = (greeting: string, create: boolean) => {
  const body = {
    name: 'gp', fileName: 'main.py', code: Buffer.from(`${SOURCE}# ${greeting}\n`).toString('base64'), convention: 'handler' as const,
    entry: 'main.handler', env: { GREETING: greeting }, limits: { memoryMb: 96 }, retryPolicy: { maxAttempts: 1 },
  };
  return create ? stack.client.functions.create.mutate({ ...body, runtime: 'python' }) : stack.client.functions.update.mutate(body);
};
const invoke = (payload: unknown, version?: number) =>
  stack.client.invocations.invoke.mutate({ function: 'gp', payload, ...(version ? { version } : {}) });
const containerOf = (v: Awaited<ReturnType<typeof invoke>>) => (v.attemptLog.at(-1) as { containerId?: string }).containerId;

/** The generic containers of the python image that no version has claimed yet. */
const claimed = new Set<string>();
async function readyGeneric(): Promise<string> {
  return waitFor('an idle generic container', async () => {
    if (stack.worker?.pool?.genericStats()[image]?.idle !== 1) return undefined;
    const list = await docker.listManaged({ 'caisson.worker': stack.workerId, [POOL_LABEL]: 'generic', 'caisson.generic-image': image });
    return list.find((c) => c.state === 'running' && !claimed.has(c.id))?.id;
  });
}

beforeAll(async () => {
  stack = await startTestStack({ name: 'generic', env: { CAISSON_WARM_GENERIC: '1', CAISSON_WARM_GENERIC_RUNTIMES: 'python' } });
});

afterAll(async () => {
  await stack?.stop();
  expect(await docker.listManaged({ 'caisson.worker': stack.workerId })).toEqual([]);
});

describe('a new version claims a generic container', () => {
  let first: string;

  it('its first invocation runs warm in the generic container, with the version\'s code, limits and environment', async () => {
    first = await readyGeneric();
    expect((await execIn(first, ['ls', '-A', '/app/function'])).trim()).toBe(''); // no code before the claim
    await deploy('one', true);
    const v = await invoke({});
    claimed.add(first);
    expect(v.status).toBe('SUCCEEDED');
    expect(v.cold).toBe(false);
    expect(containerOf(v)).toBe(first);
    expect(v.result).toEqual({ tmp: [], greeting: 'one', uid: 65534, code: ['main.py'] });
    const info = await new Dockerode().getContainer(first).inspect();
    expect(info.Config.Labels[POOL_LABEL]).toBe('generic');
    expect(info.Config.User).toBe('65534:65534');
    expect(info.HostConfig).toMatchObject({
      ReadonlyRootfs: true, CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'], NetworkMode: 'none', PidsLimit: 64,
      Memory: 96 * 1024 * 1024, MemorySwap: 96 * 1024 * 1024, Privileged: false,
    });
    expect(info.Mounts.find((m) => m.Destination === '/app/function')?.RW).toBe(false);
  });

  it('a replacement holding no code starts', async () => {
    const next = await readyGeneric();
    expect(next).not.toBe(first);
    expect((await execIn(next, ['ls', '-A', '/app/function'])).trim()).toBe('');
  });

  it('what a hostile first invocation leaves never reaches the next version, served by another container', async () => {
    const left = await invoke({ leave: true });
    expect(containerOf(left)).toBe(first);
    expect(await processesIn(first)).toEqual(expect.arrayContaining([expect.stringContaining('left-behind')]));
    const next = await readyGeneric();
    await deploy('two', false);
    const v2 = await invoke({});
    claimed.add(next);
    expect(containerOf(v2)).toBe(next);
    expect(v2.result).toEqual({ tmp: [], greeting: 'two', uid: 65534, code: ['main.py'] });
    expect((await processesIn(next)).filter((p) => p.includes('left-behind'))).toEqual([]);
    // The first version keeps its own container, with what it left there.
    const v1 = await invoke({}, 1);
    expect(containerOf(v1)).toBe(first);
    expect(v1.result).toMatchObject({ tmp: ['left-behind'], greeting: 'one' });
  });
});
