// Warm pools against the real Docker engine: the runtime servers in both modes, reuse,
// replacement after a timeout or an OOM kill, the queue and cold overflow, the connection
// as the container's lease, and nothing left after shutdown.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCodeCache, type CodeCache } from '../../../src/runtime/io/code-cache.js';
import { createDockerRuntime } from '../../../src/runtime/docker/docker-runtime.js';
import { createWarmPool, type WarmLease, type WarmPool } from '../../../src/runtime/warm/pool.js';
import { installWarmServers } from '../../../src/runtime/warm/warm-servers.js';
import { warmTarget } from '../../../src/runtime/warm/warm-target.js';
import { createNetnsHolders } from '../../../src/runtime/warm/warm-netns.js';
import Dockerode from 'dockerode';
import { imageFor } from '../../../src/runtime/docker/images.js';
import type { Convention, Runtime, WarmSettings } from '../../../src/shared/types.js';
import { fixtureVersion } from './helpers.js';

const runtime = createDockerRuntime({});
const workerId = `pool-test-${randomBytes(4).toString('hex')}`;
let root: string;
let pool: WarmPool;
let code: CodeCache;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'caisson-pool-'));
  await Promise.all((['python', 'node'] as const).map((r) => runtime.ensureImage(imageFor(r))));
  await installWarmServers(path.join(root, 'servers'));
  pool = createWarmPool({ runtime, workerId, ioRoot: path.join(root, 'io'), privateIoMb: 16, hostPath: (p) => p, maxContainers: 8 });
  code = createCodeCache({ dir: path.join(root, 'code') });
});

afterAll(async () => {
  await pool?.shutdown();
  expect(await runtime.listManaged({ 'caisson.worker': workerId })).toEqual([]);
  await rm(root, { recursive: true, force: true });
});

let versions = 0;
async function target(opts: {
  dir: string; runtime: Runtime; convention: Convention; entry: string; warm?: Partial<WarmSettings>; memoryMb?: number;
  netns?: ReturnType<typeof createNetnsHolders>;
}) {
  const { spec, codeDir, env } = await fixtureVersion(code, {
    ...opts, version: ++versions, ...(opts.memoryMb ? { limits: { memoryMb: opts.memoryMb } } : {}),
  });
  return warmTarget({ spec, codeDir, serverDir: path.join(root, 'servers'), env, netns: opts.netns })!;
}

async function run(lease: WarmLease, payload: unknown, timeoutMs = 10_000) {
  const text = JSON.stringify(payload);
  const r = await lease.container.invoke({
    env: { CAISSON_INVOCATION_ID: 'inv_test', CAISSON_ATTEMPT: '1', FUNCTION_PAYLOAD: text },
    payload: text, timeoutMs, stdoutCapBytes: 1 << 20, stderrCapBytes: 1 << 20, resultCapBytes: 1 << 20,
  });
  const file = r.resultFile.kind === 'present' ? r.resultFile.text : undefined;
  return { ...r, file };
}

describe('runtime servers', () => {
  it.each([
    { runtime: 'python' as const, dir: 'test/fixtures/functions/py-hello-script', convention: 'script' as const, entry: 'main.py', mode: 'process' },
    { runtime: 'node' as const, dir: 'test/fixtures/functions/node-hello-script', convention: 'script' as const, entry: 'index.js', mode: 'process' },
  ])('$runtime script: a child per invocation, stdout is the result, the container is reused', async (t) => {
    const tg = await target(t);
    const lease = await pool.acquire(tg);
    expect(lease).toBeDefined();
    expect(lease!.cold).toBe(true);
    expect(lease!.container.mode).toBe(t.mode);
    const first = await run(lease!, { name: 'Ada' });
    expect(first.outcome).toMatchObject({ exitCode: 0, timedOut: false, oomKilled: false });
    expect(JSON.parse(first.outcome.stdout)).toEqual({ message: 'Hello, Ada!' });
    expect(first.reusable).toBe(true);
    lease!.release(true);
    const again = (await pool.acquire(tg))!;
    expect(again.cold).toBe(false);
    expect(again.container.id).toBe(lease!.container.id);
    const second = await run(again, { name: 'Bo' });
    expect(JSON.parse(second.outcome.stdout)).toEqual({ message: 'Hello, Bo!' });
    again.release(true);
  });

  it.each([
    { runtime: 'python' as const, dir: 'test/fixtures/functions/py-hello-handler', entry: 'main.handler' },
    { runtime: 'node' as const, dir: 'test/fixtures/functions/node-hello-handler', entry: 'index.handler' },
  ])('$runtime handler: loaded once, run in-process, logs apart from the result', async (t) => {
    const tg = await target({ ...t, convention: 'handler' });
    const lease = (await pool.acquire(tg))!;
    expect(lease.container.mode).toBe('in-process');
    const r = await run(lease, { name: 'Grace' });
    expect(JSON.parse(r.file!)).toMatchObject({ ok: true, result: { message: 'Hello, Grace!' } });
    expect(r.outcome.exitCode).toBe(0);
    lease.release(r.reusable);
    const second = (await pool.acquire(tg))!;
    expect(second.cold).toBe(false);
    expect(second.container.id).toBe(lease.container.id);
    const failed = await run(second, { name: 'x', fail: true });
    expect(JSON.parse(failed.file!)).toMatchObject({ ok: false });
    expect(failed.reusable).toBe(false);
    second.release(false);
  });
});

describe('io dir between invocations', () => {
  it('a reused container finds its io dir as a cold one has it: only payload.json, nothing the last one left', async () => {
    const tg = await target({ runtime: 'python', dir: 'test/fixtures/functions/py-probe', convention: 'script', entry: 'main.py' });
    const first = (await pool.acquire(tg))!;
    const a = await run(first, { probe: 'iodir' });
    expect(JSON.parse(a.outcome.stdout)).toEqual({ seen: ['payload.json'] });
    first.release(a.reusable);
    const second = (await pool.acquire(tg))!;
    expect(second.container.id).toBe(first.container.id);
    const b = await run(second, { probe: 'iodir' });
    expect(JSON.parse(b.outcome.stdout)).toEqual({ seen: ['payload.json'] });
    second.release(b.reusable);
  });
});

describe('replacement', () => {
  it('a timed-out container is killed and never reused', async () => {
    const tg = await target({ runtime: 'python', dir: 'test/fixtures/functions/py-probe', convention: 'script', entry: 'main.py', warm: { minWarm: 0 } });
    const lease = (await pool.acquire(tg))!;
    const r = await run(lease, { probe: 'sleep', seconds: 30 }, 500);
    expect(r.outcome.timedOut).toBe(true);
    expect(r.reusable).toBe(false);
    lease.release(r.reusable);
    const next = (await pool.acquire(tg))!;
    expect(next.container.id).not.toBe(lease.container.id);
    expect(next.cold).toBe(true);
    expect((await runtime.inspectState(lease.container.id)).running).toBe(false);
    next.release(true);
  });

  it('an OOM kill is reported and the container replaced', async () => {
    const tg = await target({ runtime: 'python', dir: 'test/fixtures/functions/py-probe', convention: 'script', entry: 'main.py', memoryMb: 64 });
    const lease = (await pool.acquire(tg))!;
    const r = await run(lease, { probe: 'oom' });
    expect(r.outcome.oomKilled).toBe(true);
    expect(r.reusable).toBe(false);
    lease.release(false);
  });

  it('the server exits when its worker connection closes', async () => {
    const tg = await target({ runtime: 'python', dir: 'test/fixtures/functions/py-hello-script', convention: 'script', entry: 'main.py', warm: { minWarm: 0 } });
    const lease = (await pool.acquire(tg))!;
    (lease.container as unknown as { socket: { destroy(): void } }).socket.destroy();
    const until = Date.now() + 10_000;
    while ((await runtime.inspectState(lease.container.id)).running && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect((await runtime.inspectState(lease.container.id)).running).toBe(false);
    lease.release(true); // not alive: retired anyway
  });
});

describe('concurrency above maxWarm', () => {
  it('goes cold at once with maxQueued 0, queues for the same container otherwise', async () => {
    const cold = await target({ runtime: 'python', dir: 'test/fixtures/functions/py-hello-script', convention: 'script', entry: 'main.py', warm: { maxWarm: 1, maxQueued: 0, minWarm: 0 } });
    const held = (await pool.acquire(cold))!;
    expect(await pool.acquire(cold)).toBeUndefined();
    held.release(true);

    const queued = { ...cold, settings: { ...cold.settings, maxQueued: 5 } };
    const first = (await pool.acquire(queued))!;
    expect(first.container.id).toBe(held.container.id);
    const waiting = pool.acquire(queued);
    await new Promise((r) => setTimeout(r, 100));
    expect(pool.stats()[queued.key]).toMatchObject({ busy: 1, waiting: 1 });
    first.release(true);
    const second = (await waiting)!;
    expect(second.container.id).toBe(first.container.id);
    expect(second.cold).toBe(false);
    second.release(true);
  });
});

describe("a namespace's warm containers quota", () => {
  it("keeps at most namespaceMax containers of a namespace on this worker, evicting its own idle ones; another namespace is not held back", async () => {
    const make = async (namespace: string) => {
      const tg = await target({ runtime: 'python', dir: 'test/fixtures/functions/py-hello-script', convention: 'script', entry: 'main.py', warm: { maxWarm: 2, maxQueued: 0, minWarm: 0 } });
      return { ...tg, key: `${namespace}:${tg.key}`, namespace, namespaceMax: 1 };
    };
    const [v1, v2, other] = [await make('quota-ns'), await make('quota-ns'), await make('other-ns')];
    const held = (await pool.acquire(v1))!;
    expect(await pool.acquire(v2)).toBeUndefined(); // at the quota, nothing idle to evict: the attempt runs cold
    const elsewhere = (await pool.acquire(other))!;
    expect(elsewhere.cold).toBe(true);
    held.release(true);
    const second = (await pool.acquire(v2))!; // v1's idle container makes way
    expect(second.cold).toBe(true);
    const sizes = (key: string) => { const s = pool.stats()[key]; return s ? s.idle + s.busy + s.starting : 0; };
    expect([sizes(v1.key), sizes(v2.key), sizes(other.key)]).toEqual([0, 1, 1]);
    second.release(true);
    elsewhere.release(true);
  });

  it("does not refill one version by evicting another of its namespace (they would take turns at every sweep)", async () => {
    const make = async () => {
      const tg = await target({ runtime: 'python', dir: 'test/fixtures/functions/py-hello-script', convention: 'script', entry: 'main.py', warm: { maxWarm: 2, maxQueued: 0, minWarm: 1 } });
      return { ...tg, key: `refill-ns:${tg.key}`, namespace: 'refill-ns', namespaceMax: 1 };
    };
    const [w1, w2] = [await make(), await make()];
    (await pool.acquire(w1))!.release(true);
    const b = (await pool.acquire(w2))!; // evicts w1's idle container
    const kept = b.container.id;
    b.release(true);
    await new Promise((r) => setTimeout(r, 1500)); // the sweep runs every second: w1 wants minWarm 1
    expect(pool.stats()[w1.key]).toMatchObject({ idle: 0, busy: 0, starting: 0 });
    const again = (await pool.acquire(w2))!;
    expect(again.container.id).toBe(kept);
    again.release(true);
  });
});

describe('shutdown', () => {
  it('removes every container of the pool', async () => {
    const other = createWarmPool({ runtime, workerId: `${workerId}-b`, ioRoot: path.join(root, 'io-b'), privateIoMb: 16, hostPath: (p) => p, maxContainers: 4 });
    const tg = await target({ runtime: 'node', dir: 'test/fixtures/functions/node-hello-script', convention: 'script', entry: 'index.js' });
    const a = (await other.acquire(tg))!;
    a.release(true);
    expect(await runtime.listManaged({ 'caisson.worker': `${workerId}-b` })).toHaveLength(1);
    await other.shutdown();
    expect(await runtime.listManaged({ 'caisson.worker': `${workerId}-b` })).toEqual([]);
    expect(await readFile(path.join(root, 'servers', 'server.mjs'), 'utf8')).toContain('warm runtime server');
  });
});

describe('network namespace per function version', () => {
  it('containers without network join their version holder, reach nothing, and another version gets its own', async () => {
    const logged: string[] = [];
    const netns = createNetnsHolders({ runtime, workerId, image: imageFor('go'), emptyDir: { local: path.join(root, 'empty'), host: path.join(root, 'empty') }, log: (m) => logged.push(m) });
    const tg = await target({ runtime: 'python', dir: 'test/fixtures/functions/py-probe', convention: 'script', entry: 'main.py', netns, warm: { minWarm: 0 } });
    // A version's first container does not wait for its holder (it gets an empty namespace of
    // its own); once the holder answers, its containers join it.
    expect(await netns.holderFor(tg.key.split('#')[0]!, { wait: false })).toBeUndefined();
    const holder = await netns.holderFor(tg.key.split('#')[0]!);
    expect(holder, logged.join('\n')).toBeDefined();
    const lease = (await pool.acquire(tg))!;
    const info = await new Dockerode().getContainer(lease.container.id).inspect();
    expect(info.HostConfig.NetworkMode).toBe(`container:${holder}`);
    const r = await run(lease, { probe: 'network' });
    expect(JSON.parse(r.outcome.stdout)).toMatchObject({ connected: false });
    lease.release(false);
    const other = await target({ runtime: 'python', dir: 'test/fixtures/functions/py-probe', convention: 'script', entry: 'main.py', netns, warm: { minWarm: 0 } });
    const otherHolder = await netns.holderFor(other.key.split('#')[0]!);
    expect(otherHolder).toBeDefined();
    expect(otherHolder).not.toBe(holder);
    expect(await netns.sweep(0)).toBe(2);
    expect((await runtime.inspectState(holder!)).running).toBe(false);
    await netns.shutdown();
    expect((await runtime.inspectState(otherHolder!)).running).toBe(false);
  });
});
