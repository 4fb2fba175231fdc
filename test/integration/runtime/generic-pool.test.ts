// Generic warm containers against the real Docker engine: started with no function code, a
// new version claims one and it becomes that version's (code, limits and environment given
// at claim), with every isolation flag of a warm container; a replacement starts; a claimed
// container never serves another version; versions whose settings are fixed at create time
// start their own containers instead.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCodeCache, type CodeCache } from '../../../src/runtime/io/code-cache.js';
import { createDockerRuntime } from '../../../src/runtime/docker/docker-runtime.js';
import { imageFor } from '../../../src/runtime/docker/images.js';
import { POOL_LABEL, createWarmPool, type WarmLease, type WarmPool } from '../../../src/runtime/warm/pool.js';
import { installWarmServers } from '../../../src/runtime/warm/warm-servers.js';
import { genericTemplate, warmTarget } from '../../../src/runtime/warm/warm-target.js';
import type { Convention, Runtime } from '../../../src/shared/types.js';
import { fixtureVersion } from './helpers.js';
import { execIn } from '../../support/containers.js';

const runtime = createDockerRuntime({});
const docker = new Dockerode();
const workerId = `generic-test-${randomBytes(4).toString('hex')}`;
let root: string;
let pool: WarmPool;
let code: CodeCache;
const codeRoot = () => path.join(root, 'generic-code');

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'caisson-generic-'));
  await Promise.all((['python', 'node'] as const).map((r) => runtime.ensureImage(imageFor(r))));
  await installWarmServers(path.join(root, 'servers'));
  pool = createWarmPool({
    runtime, workerId, ioRoot: path.join(root, 'io'), privateIoMb: 16, hostPath: (p) => p, maxContainers: 16,
    genericPerImage: 1, genericCodeRoot: codeRoot(),
  });
  code = createCodeCache({ dir: path.join(root, 'code') });
  for (const r of ['python', 'node'] as const) pool.wantGeneric(genericTemplate(r, path.join(root, 'servers'))!);
});

afterAll(async () => {
  await pool?.shutdown();
  expect(await runtime.listManaged({ 'caisson.worker': workerId })).toEqual([]);
  expect(await readdir(codeRoot()).catch(() => [])).toEqual([]); // every code slot went with its container
  await rm(root, { recursive: true, force: true });
});

let versions = 0;
async function target(opts: {
  dir: string; runtime: Runtime; convention: Convention; entry: string; memoryMb?: number; network?: boolean;
  env?: Record<string, string>;
}) {
  const { spec, codeDir, env } = await fixtureVersion(code, {
    ...opts, version: ++versions, warm: { minWarm: 0 },
    limits: { memoryMb: opts.memoryMb ?? 128, network: opts.network ?? false },
  });
  return warmTarget({ spec, codeDir, localCodeDir: codeDir, serverDir: path.join(root, 'servers'), env })!;
}

async function run(lease: WarmLease, payload: unknown) {
  const text = JSON.stringify(payload);
  const r = await lease.container.invoke({
    env: { CAISSON_INVOCATION_ID: 'inv_test', CAISSON_ATTEMPT: '1', FUNCTION_PAYLOAD: text },
    payload: text, timeoutMs: 10_000, stdoutCapBytes: 1 << 20, stderrCapBytes: 1 << 20, resultCapBytes: 1 << 20,
  });
  return { ...r, file: r.resultFile.kind === 'present' ? r.resultFile.text : undefined };
}

/** Containers specialised so far: they keep the label they were created with. */
const claimed = new Set<string>();

async function acquire(tg: Parameters<WarmPool['acquire']>[0]): Promise<WarmLease> {
  const lease = (await pool.acquire(tg))!;
  if (lease.container.specialised) claimed.add(lease.container.id);
  return lease;
}

/** The unclaimed generic containers of an image (running, labelled generic, never specialised). */
async function genericOf(image: string, exclude: string[] = []): Promise<string[]> {
  const list = await runtime.listManaged({ 'caisson.worker': workerId, [POOL_LABEL]: 'generic', 'caisson.generic-image': image });
  return list.filter((c) => c.state === 'running' && !claimed.has(c.id) && !exclude.includes(c.id)).map((c) => c.id);
}

async function waitForGeneric(image: string, exclude: string[] = []): Promise<string> {
  const until = Date.now() + 60_000;
  for (;;) {
    const [id] = await genericOf(image, exclude);
    const ready = pool.genericStats()[image];
    if (id && ready?.idle === 1 && ready.starting === 0) return id;
    if (Date.now() > until) throw new Error(`no generic ${image} container within 60 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}


describe('a new version claims a generic container', () => {
  it.each([
    { runtime: 'python' as const, dir: 'test/fixtures/functions/py-hello-script', convention: 'script' as const, entry: 'main.py', mode: 'process' },
    { runtime: 'python' as const, dir: 'test/fixtures/functions/py-hello-handler', convention: 'handler' as const, entry: 'main.handler', mode: 'in-process' },
    { runtime: 'node' as const, dir: 'test/fixtures/functions/node-hello-script', convention: 'script' as const, entry: 'index.js', mode: 'process' },
    { runtime: 'node' as const, dir: 'test/fixtures/functions/node-hello-handler', convention: 'handler' as const, entry: 'index.handler', mode: 'in-process' },
  ])('$runtime $convention: the generic container holds no code, becomes the version\'s, and is replaced', async (t) => {
    const image = imageFor(t.runtime);
    const generic = await waitForGeneric(image);
    expect((await execIn(generic, ['ls', '-A', '/app/function'])).trim()).toBe(''); // no function code yet
    const tg = await target({ ...t, memoryMb: 96 });
    const lease = (await acquire(tg))!;
    expect(lease.container.id).toBe(generic);
    expect(lease.container.specialised).toBe(true);
    expect(lease.cold).toBe(false); // not started for this invocation
    expect(lease.container.mode).toBe(t.mode);
    const r = await run(lease, { name: 'Ada' });
    expect(r.outcome.exitCode).toBe(0);
    const result: unknown = t.convention === 'script' ? JSON.parse(r.outcome.stdout) : JSON.parse(r.file!).result;
    expect(result).toMatchObject({ message: 'Hello, Ada!' });
    const info = await docker.getContainer(generic).inspect();
    expect(info.HostConfig.Memory).toBe(96 * 1024 * 1024); // updated at claim
    expect(info.HostConfig.MemorySwap).toBe(96 * 1024 * 1024);
    lease.release(r.reusable);
    const replacement = await waitForGeneric(image);
    expect(replacement).not.toBe(generic);
    expect((await execIn(replacement, ['ls', '-A', '/app/function'])).trim()).toBe('');
  });

  it('a specialised container has every isolation flag of a warm container', async () => {
    const generic = await waitForGeneric(imageFor('python'));
    const lease = (await acquire(await target({ runtime: 'python', dir: 'test/fixtures/functions/py-probe', convention: 'script', entry: 'main.py' })))!;
    expect(lease.container.id).toBe(generic);
    const info = await docker.getContainer(generic).inspect();
    expect(info.Config.User).toBe('65534:65534');
    expect(info.HostConfig).toMatchObject({
      ReadonlyRootfs: true, CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'], NetworkMode: 'none', PidsLimit: 64,
      Memory: 128 * 1024 * 1024, MemorySwap: 128 * 1024 * 1024, NanoCpus: 1e9, Privileged: false,
    });
    expect(info.HostConfig.Tmpfs?.['/tmp']).toMatch(/noexec,nosuid,nodev/);
    const code = info.Mounts.find((m) => m.Destination === '/app/function');
    expect(code?.RW).toBe(false);
    const who = await run(lease, { probe: 'whoami' });
    expect(JSON.parse(who.outcome.stdout)).toEqual({ uid: 65534, gid: 65534, euid: 65534 });
    const writes = await run(lease, { probe: 'writes' });
    expect(JSON.parse(writes.outcome.stdout)).toMatchObject({ '/app/function/x': 'Read-only file system', '/etc/x': 'Read-only file system', '/tmp/x': 'ok' });
    const net = await run(lease, { probe: 'network' });
    expect(JSON.parse(net.outcome.stdout)).toMatchObject({ connected: false });
    lease.release(true);
  });
});

describe('a specialised container serves its version only', () => {
  it('a hostile first invocation leaves nothing for the next version: that one gets another container', async () => {
    const image = imageFor('python');
    const first = await waitForGeneric(image);
    const v1 = await target({ runtime: 'python', dir: 'test/fixtures/functions/py-probe', convention: 'script', entry: 'main.py' });
    const a = (await acquire(v1))!;
    expect(a.container.id).toBe(first);
    // The function writes where it can (/tmp/x among them) and ends well: the container is kept.
    const w = await run(a, { probe: 'writes' });
    expect(JSON.parse(w.outcome.stdout)).toMatchObject({ '/tmp/x': 'ok' });
    a.release(w.reusable);
    const second = await waitForGeneric(image);
    const v2 = await target({ runtime: 'python', dir: 'test/fixtures/functions/py-hello-script', convention: 'script', entry: 'main.py' });
    const b = (await acquire(v2))!;
    expect(b.container.id).toBe(second);
    expect(b.container.id).not.toBe(first);
    expect((await execIn(second, ['ls', '-A', '/tmp'])).trim()).toBe('');
    b.release(true);
    // The first version keeps its own container; the generic pool never gets it back.
    const again = (await acquire(v1))!;
    expect(again.container.id).toBe(first);
    again.release(true);
    expect(await genericOf(image)).not.toContain(first);
  });

  it.each([
    { why: 'network access', network: true },
    { why: 'an interpreter start-up variable', env: { PYTHONHASHSEED: '1' } },
  ])('a version with $why starts a container of its own', async ({ network, env }) => {
    const generic = await waitForGeneric(imageFor('python'));
    const tg = await target({ runtime: 'python', dir: 'test/fixtures/functions/py-hello-script', convention: 'script', entry: 'main.py', network, env });
    expect(tg.specialise).toBeUndefined();
    const lease = (await acquire(tg))!;
    expect(lease.cold).toBe(true);
    expect(lease.container.id).not.toBe(generic);
    expect(lease.container.specialised).toBe(false);
    lease.release(true);
    expect(await genericOf(imageFor('python'))).toContain(generic); // still there, unclaimed
  });

  it('at the worker\'s cap, a new version claims the generic container rather than evicting it', async () => {
    const small = createWarmPool({
      runtime, workerId, ioRoot: path.join(root, 'io'), privateIoMb: 16, hostPath: (p) => p, maxContainers: 1,
      genericPerImage: 1, genericCodeRoot: codeRoot(),
    });
    try {
      small.wantGeneric(genericTemplate('node', path.join(root, 'servers'))!);
      const until = Date.now() + 60_000;
      while (small.genericStats()[imageFor('node')]?.idle !== 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      const lease = (await small.acquire(await target({ runtime: 'node', dir: 'test/fixtures/functions/node-hello-script', convention: 'script', entry: 'index.js' })))!;
      expect(lease.container.specialised).toBe(true);
      lease.release(true);
      expect(small.genericStats()[imageFor('node')]).toEqual({ idle: 0, starting: 0 }); // no room for a replacement
    } finally {
      await small.shutdown();
    }
  });
});
