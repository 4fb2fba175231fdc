// Deploy-time builds run tenant code (an npm preinstall script here). Against the real engine,
// Temporal and database: a build reaches package registries but not the host (the api, Temporal,
// a service bound to all interfaces), its /out is bounded and checked (no huge file, link to a
// host path or named pipe comes through), it is killed at its deadline and memory limit, and
// two namespaces' Go builds never share a writable cache directory.
import { createServer, type Server } from 'node:net';
import { cp, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { packCode } from '../../src/cli/code-package.js';
import { createDockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { buildImageFor } from '../../src/runtime/docker/images.js';
import { namespaceCacheName } from '../../src/activities/build.activities.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { hostMarker } from './support/hostile.js';

const PROBE = join(process.cwd(), 'test/fixtures/security/node-build-probe');
const OUTPUT_MB = 16;
const MiB = 1024 * 1024;

let stack: TestStack;
let work: string;
let cacheDir: string;
let sentinel: Server;
const sentinelHits: string[] = [];
const marker = hostMarker();

beforeAll(async () => {
  work = await mkdtemp(join(process.cwd(), '.caisson', 'build-sbx-'));
  cacheDir = join(work, 'build-cache');
  // A service bound to all interfaces, as a published api, Temporal or database port would be.
  sentinel = createServer((socket) => {
    sentinelHits.push(socket.remoteAddress ?? '?');
    socket.destroy();
  });
  await new Promise<void>((resolve) => sentinel.listen(0, '0.0.0.0', resolve));
  stack = await startTestStack({
    name: 'build-sbx',
    env: {
      CAISSON_BUILD_CACHE_DIR: cacheDir,
      CAISSON_BUILD_OUTPUT_MB: String(OUTPUT_MB),
      CAISSON_BUILD_OUTPUT_FILES: '5000',
      CAISSON_BUILD_TIMEOUT_S: '20',
      // Go's compiler needs ~512 MB.
      CAISSON_BUILD_MEMORY_MB: '640',
      // A build that cannot be firewalled must not run: the deploy fails instead of this test passing by luck.
      CAISSON_BUILD_FIREWALL: 'required',
    },
  });
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  await new Promise<void>((resolve) => (sentinel ? sentinel.close(() => resolve()) : resolve()));
  const left = await createDockerRuntime({}).listManaged({ 'caisson.worker': stack.workerId });
  expect(left.map((c) => c.name)).toEqual([]);
  await rm(work, { recursive: true, force: true });
});

async function deployProbe(name: string, config: Record<string, unknown>, namespace = 'default') {
  const dir = await mkdtemp(join(work, `${name}-`));
  await cp(PROBE, dir, { recursive: true });
  await writeFile(join(dir, 'probe-config.json'), JSON.stringify(config));
  const packed = await packCode(dir);
  return stack.client.functions.create.mutate({
    name, namespace, runtime: 'node', code: packed.code, fileName: packed.fileName,
    convention: 'lambda', entry: 'index.handler', limits: { timeoutMs: 10_000 }, retryPolicy: { maxAttempts: 1 },
  });
}

/** The deploy's rejection: a typed BAD_REQUEST saying the build failed, and why. */
async function buildFailure(deploy: Promise<unknown>): Promise<string> {
  const err = await deploy.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(TRPCClientError);
  const e = err as TRPCClientError<never>;
  expect(e.data).toMatchObject({ code: 'BAD_REQUEST' });
  expect(e.message).toMatch(/^the build failed:/);
  return e.message;
}

async function gatewayOf(network: string): Promise<string> {
  const info = await new Dockerode().getNetwork(network).inspect() as { IPAM: { Config: Array<{ Gateway?: string; Subnet: string }> } };
  const config = info.IPAM.Config[0]!;
  // The default bridge may list only its subnet: its gateway is the subnet's first address.
  return config.Gateway ?? config.Subnet.replace(/\.0\/\d+$/, '.1');
}

/** Every IPv4 address of this host and of the two bridges a build could aim at. */
async function hostAddresses(): Promise<string[]> {
  const own = Object.values(networkInterfaces()).flat().filter((a) => a && a.family === 'IPv4').map((a) => a!.address);
  return [...new Set([...own, '127.0.0.1', await gatewayOf('bridge'), await gatewayOf(stack.config.worker.build.network)])];
}

describe('a build reaches package registries, not the platform', () => {
  it('control: a container on the default bridge reaches a host port bound to all interfaces', async () => {
    const runtime = createDockerRuntime({});
    const port = (sentinel.address() as { port: number }).port;
    const before = sentinelHits.length;
    const { id } = await runtime.create({
      name: `build-sbx-control-${Date.now()}`, image: buildImageFor('node-deps'), labels: { 'caisson.worker': stack.workerId },
      env: {}, codeDir: PROBE, memoryMb: 128, cpus: 1, network: true,
      entrypoint: ['node', '-e', `require('net').connect(${port}, '${await gatewayOf('bridge')}').on('connect', function () { this.destroy(); })`],
    });
    try {
      const outcome = await runtime.execute(id, { timeoutMs: 10_000 });
      expect({ exitCode: outcome.exitCode, stderr: outcome.stderr }).toEqual({ exitCode: 0, stderr: '' });
    } finally {
      await runtime.remove(id);
    }
    expect(sentinelHits.length).toBe(before + 1);
  });

  it('a preinstall script reaches neither the api, nor Temporal, nor any host port', async () => {
    const apiPort = Number(new URL(stack.api.url).port);
    const temporalPort = Number(inject('temporalAddress').split(':').pop());
    const sentinelPort = (sentinel.address() as { port: number }).port;
    const targets = (await hostAddresses()).flatMap((host) => [
      { name: 'api', host, port: apiPort }, { name: 'temporal', host, port: temporalPort }, { name: 'sentinel', host, port: sentinelPort },
    ]);
    const hitsBefore = sentinelHits.length;
    await deployProbe('net-probe', { mode: 'network', targets });
    const { result } = await stack.client.invocations.invoke.mutate({ function: 'net-probe', payload: {}, waitMs: 60_000 });
    const seen = (result as { connections: Record<string, string> }).connections;
    expect(Object.keys(seen)).toHaveLength(targets.length);
    expect(Object.entries(seen).filter(([, r]) => r === 'connected')).toEqual([]);
    expect(sentinelHits.length).toBe(hitsBefore);
    // The api answers as before.
    expect((await fetch(`${stack.api.url}/healthz`)).ok).toBe(true);
  });

  it('dependencies still install from the package index over the build network', async () => {
    const packed = await packCode(join(process.cwd(), 'test/fixtures/conventions/py-deps'));
    await stack.client.functions.create.mutate({
      name: 'py-deps', runtime: 'python', convention: 'lambda', code: packed.code, retryPolicy: { maxAttempts: 1 },
    });
    const { result } = await stack.client.invocations.invoke.mutate({ function: 'py-deps', payload: {}, waitMs: 60_000 });
    expect(result).toEqual({ six: '1.16.0', text: 'ok' });
  });
});

describe("a build's /out is bounded and checked", () => {
  it('a huge file stops at the /out limit and never reaches the host disk', async () => {
    const outcome = await deployProbe('fill', { mode: 'fill' }).then(() => 'deployed', (e: unknown) => e);
    if (outcome !== 'deployed') {
      // npm itself may then fail on the full /out: a clean, typed failure.
      expect(await buildFailure(Promise.reject(outcome as Error))).toMatch(/filledBytes|ENOSPC|exited with code/);
    } else {
      const { result } = await stack.client.invocations.invoke.mutate({ function: 'fill', payload: {}, waitMs: 60_000 });
      expect(result).toMatchObject({ errors: ['fill: ENOSPC'] });
      expect((result as { filledBytes: number }).filledBytes).toBeLessThanOrEqual(OUTPUT_MB * MiB);
    }
    expect(await duBytes(join(stack.config.worker.dataDir, 'builds'))).toBeLessThan(OUTPUT_MB * MiB);
    expect((await readdir(join(stack.config.worker.dataDir, 'builds'))).filter((f) => f.startsWith('.out-'))).toEqual([]);
  });

  it('links to host paths are dropped, never unpacked or followed, and the host file is untouched', async () => {
    const before = await stat(marker.path);
    await deployProbe('links', { mode: 'symlink', marker: marker.path });
    const { result } = await stack.client.invocations.invoke.mutate({ function: 'links', payload: {}, waitMs: 60_000 });
    const files = (result as { files: string[] }).files;
    expect(files).toContain('probe.json');
    expect(files.filter((f) => f === 'leak' || f === 'host-root')).toEqual([]);
    expect(marker.untouched()).toBe(true);
    expect((await stat(marker.path)).mtimeMs).toBe(before.mtimeMs);
  });

  it('a named pipe is refused', async () => {
    const message = await buildFailure(deployProbe('fifo', { mode: 'fifo' }));
    expect(message).toMatch(/the build output is refused: "pipe" is a FIFO entry/);
  });
});

describe('a build is limited in time and memory', () => {
  it('is killed at its deadline', async () => {
    expect(await buildFailure(deployProbe('sleeper', { mode: 'sleep' }))).toMatch(/^the build failed:\nthe build timed out \(20 s\)/);
  });

  it('is killed at its memory limit', async () => {
    expect(await buildFailure(deployProbe('hoarder', { mode: 'memory' }))).toMatch(/ran out of memory \(640 MB|exited with code/);
  });
});

describe('build caches are per namespace', () => {
  // Its own stack: a cold Go build outlasts the short deadline of the stack above.
  let nsStack: TestStack;
  beforeAll(async () => {
    nsStack = await startTestStack({ name: 'build-sbx-ns', env: { CAISSON_BUILD_CACHE_DIR: cacheDir, CAISSON_BUILD_FIREWALL: 'required' } });
  }, 300_000);
  afterAll(async () => {
    await nsStack?.stop();
    expect((await createDockerRuntime({}).listManaged({ 'caisson.worker': nsStack.workerId })).map((c) => c.name)).toEqual([]);
  });

  it("two namespaces' Go builds use separate caches writable only by the build user", async () => {
    const packed = await packCode(join(process.cwd(), 'test/fixtures/functions/go-hello'));
    const details: string[] = [];
    for (const namespace of ['sbx-a', 'sbx-b']) {
      const { deploymentId } = await nsStack.client.functions.deploy.mutate({ name: 'go-hello', namespace, runtime: 'go', code: packed.code, fileName: packed.fileName, retryPolicy: { maxAttempts: 1 } });
      let d = await nsStack.client.functions.deployment.query({ id: deploymentId, waitMs: 60_000 });
      while (d.status === 'RUNNING') d = await nsStack.client.functions.deployment.query({ id: deploymentId, waitMs: 60_000 });
      expect({ status: d.status, error: d.error }).toEqual({ status: 'SUCCEEDED', error: undefined });
      details.push(d.steps.find((s) => s.name === 'build')?.detail ?? '');
    }
    // The same source in two namespaces is two builds: neither reuses the other's output.
    expect(details.filter((d) => /reused/.test(d))).toEqual([]);
    const dirs = (await readdir(cacheDir)).sort();
    expect(dirs).toEqual([namespaceCacheName('sbx-a'), namespaceCacheName('sbx-b')].sort());
    for (const ns of dirs) {
      for (const sub of ['gocache', 'gomod']) {
        const s = await stat(join(cacheDir, ns, sub));
        expect({ uid: s.uid, mode: s.mode & 0o777 }).toEqual({ uid: 65534, mode: 0o700 });
      }
      expect((await readdir(join(cacheDir, ns, 'gocache'))).length).toBeGreaterThan(0);
    }
    const { result } = await nsStack.client.invocations.invoke.mutate({ namespace: 'sbx-b', function: 'go-hello', payload: { name: 'B' }, waitMs: 60_000 });
    expect(result).toEqual({ message: 'Hello, B!' });
  }, 600_000);
});

async function duBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += (await stat(join(e.parentPath, e.name))).size;
  }
  return total;
}
