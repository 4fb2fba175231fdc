// The Docker runtime against the real engine and the real runtime images: results,
// failures and the sandbox (limits, no network, read-only, non-root). No mocks.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCodeCache, type CodeCache } from '../../../src/runtime/io/code-cache.js';
import type { ContainerSpec, ExecuteOptions, ExecutionOutcome } from '../../../src/runtime/docker/container-runtime.js';
import { createDockerRuntime } from '../../../src/runtime/docker/docker-runtime.js';
import { buildGoFunction } from '../../../src/runtime/builds/go-builder.js';
import { goBuildImage, imageFor } from '../../../src/runtime/docker/images.js';
import { createIoDir, createPreparedIoDir, readResultFile, releasePrepared, removeIoDir, writePayloadFiles } from '../../../src/runtime/io/io-dir.js';
import { interpretOutcome, type InterpretedOutcome } from '../../../src/runtime/io/result-protocol.js';
import { RuntimeUnavailableError } from '../../../src/shared/errors.js';
import type { Convention, Runtime } from '../../../src/shared/types.js';
import { tgzOfDir } from './helpers.js';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '../../..');
const fixtures = path.join(repo, 'test/fixtures/functions');
const runId = `rt-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const runtime = createDockerRuntime();
const MAX_RESULT = 1024 * 1024;

let root: string;
let cache: CodeCache;
let seq = 0;

beforeAll(async () => {
  await run('bash', ['runtime-images/build.sh'], { cwd: repo, maxBuffer: 16 * 1024 * 1024 });
  root = await mkdtemp(path.join(os.tmpdir(), `caisson-${runId}-`));
  cache = createCodeCache({ dir: path.join(root, 'code') });
}, 900_000);

afterAll(async () => {
  const leftovers = await runtime.listManaged({ 'caisson.test': runId });
  await Promise.all(leftovers.map((c) => runtime.remove(c.id)));
  // The lifecycle tests' io dirs (tmpfs mounts) are unmounted here, with the rest.
  const ioDirs = root ? await readdir(path.join(root, 'io')).catch(() => [] as string[]) : [];
  await Promise.all(ioDirs.map((d) => removeIoDir(path.join(root, 'io', d))));
  if (root) await rm(root, { recursive: true, force: true });
  expect(leftovers.map((c) => c.name)).toEqual([]);
});

async function codeDirOf(fixture: string): Promise<string> {
  const bytes = await tgzOfDir(path.join(fixtures, fixture));
  const { createHash } = await import('node:crypto');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return cache.materialize({ sha256, format: 'tgz', sizeBytes: bytes.length }, async () => bytes);
}

interface RunInput {
  runtime: Runtime;
  codeDir: string;
  convention?: Convention;
  entry?: string;
  payload?: unknown;
  spec?: Partial<ContainerSpec>;
  exec?: Partial<ExecuteOptions>;
}

interface RunOutput {
  outcome: ExecutionOutcome;
  interpreted: InterpretedOutcome;
  elapsedMs: number;
}

/** create → execute → read result → remove, as the activities do. */
async function invoke(input: RunInput): Promise<RunOutput> {
  const name = `caisson-test-${runId}-${++seq}`;
  const payload = JSON.stringify(input.payload ?? {});
  const convention = input.convention ?? 'script';
  const ioDir = await createIoDir(path.join(root, 'io'), name, payload, { sizeBytes: 16 << 20 });
  const { id } = await runtime.create({
    name,
    image: imageFor(input.runtime),
    labels: { 'caisson.managed': 'true', 'caisson.test': runId, 'caisson.invocation': name, 'caisson.function': 'test' },
    env: { FUNCTION_PAYLOAD: payload, CAISSON_CONVENTION: convention, ...(input.entry ? { CAISSON_ENTRY: input.entry } : {}) },
    codeDir: input.codeDir,
    ioDir,
    memoryMb: 128,
    cpus: 1,
    network: false,
    ...input.spec,
  });
  try {
    const t0 = performance.now();
    const outcome = await runtime.execute(id, { timeoutMs: 20_000, ...input.exec });
    const elapsedMs = performance.now() - t0;
    const resultFile = await readResultFile(ioDir, MAX_RESULT);
    const interpreted = interpretOutcome({ convention, outcome, resultFile, maxResultBytes: MAX_RESULT });
    return { outcome, interpreted, elapsedMs };
  } finally {
    await runtime.remove(id);
    await removeIoDir(ioDir);
  }
}

const probe = async (payload: Record<string, unknown>, more: Partial<RunInput> = {}) =>
  invoke({ runtime: 'python', codeDir: await codeDirOf('py-probe'), payload, ...more });

describe('hello in every runtime and convention', () => {
  it.each([
    ['python', 'script', 'py-hello-script', undefined, 'hello from stderr', 'stderr'],
    ['python', 'handler', 'py-hello-handler', 'main.handler', 'log line from the handler', 'stdout'],
    ['node', 'script', 'node-hello-script', undefined, 'hello from stderr', 'stderr'],
    ['node', 'handler', 'node-hello-handler', 'index.handler', 'log line from the handler', 'stdout'],
  ] as const)('%s %s: payload in, result out, logs apart', async (rt, convention, fixture, entry, log, logStream) => {
    const { outcome, interpreted } = await invoke({ runtime: rt, convention, entry, codeDir: await codeDirOf(fixture), payload: { name: 'Ada' } });
    expect(interpreted).toMatchObject({ ok: true, result: { message: 'Hello, Ada!' } });
    expect(outcome[logStream]).toContain(log);
    expect(outcome.exitCode).toBe(0);
    if (convention === 'handler') expect(outcome.stdout).not.toContain('Hello, Ada!');
  });

  it.each([
    ['python', 'py-hello-handler', 'main.handler', 'ValueError'],
    ['node', 'node-hello-handler', 'index.handler', 'TypeError'],
  ] as const)('%s handler: a thrown error is a FunctionError with its type', async (rt, fixture, entry, errorType) => {
    const { interpreted } = await invoke({ runtime: rt, convention: 'handler', entry, codeDir: await codeDirOf(fixture), payload: { fail: true } });
    expect(interpreted).toMatchObject({ ok: false, kind: 'FunctionError', errorType, message: expect.stringContaining('asked to fail') });
  });

  it('go: compiled once in the build image, then run', async () => {
    const outDir = path.join(root, 'go-bin', 'hello');
    const built = await buildGoFunction({
      runtime,
      sourceDir: await codeDirOf('go-hello'),
      outDir,
      buildImage: goBuildImage(),
      labels: { 'caisson.test': runId },
    });
    expect(built).toMatchObject({ ok: true, binaryPath: path.join(outDir, 'handler') });
    const { outcome, interpreted } = await invoke({ runtime: 'go', codeDir: outDir, payload: { name: 'Ada' } });
    expect(interpreted).toEqual({ ok: true, result: { message: 'Hello, Ada!' } });
    expect(outcome.stderr).toContain('hello from stderr');
  });

  it('go: a compile error comes back as compiler output', async () => {
    const src = await mkdtemp(path.join(root, 'bad-go-'));
    const { writeFile, chmod } = await import('node:fs/promises');
    await chmod(src, 0o755);
    await writeFile(path.join(src, 'main.go'), 'package main\nfunc main() { undefinedThing() }\n', { mode: 0o644 });
    const built = await buildGoFunction({ runtime, sourceDir: src, outDir: path.join(root, 'go-bin', 'bad'), buildImage: goBuildImage(), labels: { 'caisson.test': runId } });
    expect(built.ok).toBe(false);
    if (!built.ok) expect(built.compilerOutput).toContain('undefined: undefinedThing');
  });
});

describe('failures', () => {
  it('a non-zero exit is reported with its stderr', async () => {
    const { outcome, interpreted } = await probe({ probe: 'fail' });
    expect(outcome.exitCode).toBe(3);
    expect(interpreted).toMatchObject({ ok: false, kind: 'FunctionError', message: expect.stringContaining('something broke on purpose') });
  });

  it('a sleep past the deadline is killed (SIGTERM) and reported timed out', async () => {
    const timeoutMs = 1500;
    const { outcome, interpreted } = await probe({ probe: 'sleep' }, { exec: { timeoutMs } });
    expect(outcome.timedOut).toBe(true);
    expect(interpreted).toMatchObject({ ok: false, kind: 'FunctionTimeout' });
    expect(outcome.durationMs).toBeLessThan(timeoutMs + 2000);
  });

  it('a function ignoring SIGTERM is SIGKILLed after the grace period; progress is reported', async () => {
    const timeoutMs = 2000;
    let beats = 0;
    const { outcome } = await probe({ probe: 'sleep', ignoreTerm: true }, { exec: { timeoutMs, graceMs: 2000, onProgress: () => beats++ } });
    expect(outcome).toMatchObject({ timedOut: true, exitCode: 137, oomKilled: false });
    expect(outcome.durationMs).toBeGreaterThanOrEqual(timeoutMs + 2000);
    expect(outcome.durationMs).toBeLessThan(timeoutMs + 2000 + 2000);
    expect(beats).toBeGreaterThanOrEqual(1);
  });

  it('an abort signal stops the container and reports cancelled', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 1500);
    const { outcome, interpreted } = await probe({ probe: 'sleep' }, { exec: { signal: controller.signal } });
    expect(outcome.cancelled).toBe(true);
    expect(interpreted).toMatchObject({ ok: false, kind: 'Cancelled' });
  });

  it('allocating 500 MB under a 64 MB limit is OOM-killed', async () => {
    const { outcome, interpreted } = await probe({ probe: 'oom' }, { spec: { memoryMb: 64 } });
    expect(outcome.oomKilled).toBe(true);
    expect(interpreted).toMatchObject({ ok: false, kind: 'FunctionOOM' });
  });

  it('50 MB on stdout is capped at 1 MiB, marked, and does not stall', async () => {
    const { outcome, interpreted, elapsedMs } = await probe({ probe: 'flood', mb: 50 });
    expect(outcome.exitCode).toBe(0);
    expect(outcome.stdoutTruncated).toBe(true);
    expect(outcome.stdout).toMatch(/\n…\[truncated \d+ bytes\]$/);
    const dropped = Number(/truncated (\d+) bytes/.exec(outcome.stdout)?.[1]);
    expect(dropped).toBe(50 * 1024 * 1024 - 1024 * 1024);
    expect(Buffer.byteLength(outcome.stdout)).toBeLessThan(1024 * 1024 + 100);
    expect(interpreted).toMatchObject({ ok: false, kind: 'InvalidOutput' });
    // Not a speed claim: a stalled pipe would sit here until the 20 s deadline.
    expect(elapsedMs).toBeLessThan(15_000);
  });
});

describe('sandbox', () => {
  it('a fork loop hits the pids limit; the deadline then kills it and the host is fine', async () => {
    const { outcome } = await probe({ probe: 'forkbomb' }, { exec: { timeoutMs: 4000, graceMs: 500 } });
    expect(outcome.stderr).toMatch(/fork failed after \d+ children/);
    expect(outcome.timedOut).toBe(true);
    const { stdout } = await run('sh', ['-c', 'echo alive']);
    expect(stdout.trim()).toBe('alive');
    const again = await probe({ probe: 'whoami' });
    expect(again.interpreted.ok).toBe(true);
  });

  it('has no network', async () => {
    const { interpreted } = await probe({ probe: 'network' });
    expect(interpreted).toMatchObject({ ok: true, result: { connected: false } });
  });

  it('can write only to /tmp and /caisson/io', async () => {
    const { interpreted } = await probe({ probe: 'writes' });
    expect(interpreted.ok).toBe(true);
    if (!interpreted.ok) return;
    const result = interpreted.result as Record<string, string>;
    expect(result['/tmp/x']).toBe('ok');
    expect(result['/caisson/io/x']).toBe('ok');
    for (const p of ['/app/function/x', '/etc/x', '/x']) expect(result[p]).toMatch(/Read-only file system|Permission denied/);
  });

  it('runs as uid/gid 65534', async () => {
    const { interpreted } = await probe({ probe: 'whoami' });
    expect(interpreted).toEqual({ ok: true, result: { uid: 65534, gid: 65534, euid: 65534 } });
  });
});

describe('lifecycle', () => {
  const spec = async (name: string): Promise<ContainerSpec> => ({
    name,
    image: imageFor('python'),
    labels: { 'caisson.test': runId },
    env: {},
    codeDir: await codeDirOf('py-hello-script'),
    ioDir: await createIoDir(path.join(root, 'io'), name, '{}', { sizeBytes: 16 << 20 }),
    memoryMb: 64,
    cpus: 0.5,
    network: false,
  });

  it('create reuses a never-started container of the same name, recreates a used one', async () => {
    const s = await spec(`caisson-test-${runId}-reuse`);
    const first = await runtime.create(s);
    expect((await runtime.create(s)).id).toBe(first.id);
    await runtime.execute(first.id, { timeoutMs: 10_000 });
    const third = await runtime.create(s);
    expect(third.id).not.toBe(first.id);
    const listed = await runtime.listManaged({ 'caisson.test': runId });
    expect(listed.map((c) => c.name)).toContain(s.name);
    expect(listed.find((c) => c.name === s.name)?.labels['caisson.managed']).toBe('true');
    await runtime.remove(third.id);
  });

  it('removing twice succeeds', async () => {
    const { id } = await runtime.create(await spec(`caisson-test-${runId}-rm`));
    await runtime.remove(id);
    await runtime.remove(id);
  });

  it('a missing image that cannot be pulled is RuntimeUnavailableError naming it', async () => {
    const err = await runtime.ensureImage('caisson-no-such-image:0').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeUnavailableError);
    expect((err as Error).message).toMatch(/caisson-no-such-image:0 is not present and could not be pulled: .*npm run images/);
    expect(await runtime.ensureImage(imageFor('python'))).toEqual({ pulled: false });
  });

  it('an unreachable engine is RuntimeUnavailableError', async () => {
    const dead = createDockerRuntime({ socketPath: path.join(root, 'no-engine.sock') });
    await expect(dead.ping()).rejects.toBeInstanceOf(RuntimeUnavailableError);
    await expect(dead.listManaged()).rejects.toBeInstanceOf(RuntimeUnavailableError);
  });

  it('leaves no io dirs behind', async () => {
    const left = await readdir(path.join(root, 'io'));
    expect(left.filter((n) => !n.endsWith('-reuse') && !n.endsWith('-rm'))).toEqual([]);
  });
});

describe('prepared: started ahead of the payload (a chain step\'s next container)', () => {
  const probes: Record<'python' | 'node' | 'go', { file: string; source: string }> = {
    python: { file: 'main.py', source: 'import json, os, sys\nprint(json.dumps({"env": os.environ.get("FUNCTION_PAYLOAD"), "stdin": sys.stdin.read(), "waiting": os.environ.get("CAISSON_AWAIT_PAYLOAD")}))\n' },
    node: { file: 'index.js', source: "const fs = require('fs');\nconsole.log(JSON.stringify({ env: process.env.FUNCTION_PAYLOAD ?? null, stdin: fs.readFileSync(0, 'utf8'), waiting: process.env.CAISSON_AWAIT_PAYLOAD ?? null }));\n" },
    go: { file: 'main.go', source: 'package main\n\nimport (\n\t"encoding/json"\n\t"fmt"\n\t"io"\n\t"os"\n)\n\nfunc main() {\n\tin, _ := io.ReadAll(os.Stdin)\n\tvar env, waiting any\n\tif v, ok := os.LookupEnv("FUNCTION_PAYLOAD"); ok {\n\t\tenv = v\n\t}\n\tif v, ok := os.LookupEnv("CAISSON_AWAIT_PAYLOAD"); ok {\n\t\twaiting = v\n\t}\n\tout, _ := json.Marshal(map[string]any{"env": env, "stdin": string(in), "waiting": waiting})\n\tfmt.Println(string(out))\n}\n' },
  };

  async function codeDirFor(rt: 'python' | 'node' | 'go'): Promise<string> {
    const { writeFile, chmod, mkdir } = await import('node:fs/promises');
    const src = path.join(root, `prepared-src-${rt}`);
    await mkdir(src, { recursive: true });
    await chmod(src, 0o755);
    await writeFile(path.join(src, probes[rt].file), probes[rt].source, { mode: 0o644 });
    if (rt !== 'go') return src;
    const built = await buildGoFunction({ runtime, sourceDir: src, outDir: path.join(root, 'go-bin', 'prepared'), buildImage: goBuildImage(), labels: { 'caisson.test': runId } });
    if (!built.ok) throw new Error(built.compilerOutput);
    return path.join(root, 'go-bin', 'prepared');
  }

  it.each(['python', 'node', 'go'] as const)('%s: waits without running, then runs with FUNCTION_PAYLOAD and stdin set from the io dir', async (rt) => {
    const name = `caisson-test-${runId}-prepared-${rt}`;
    const ioDir = await createPreparedIoDir(path.join(root, 'io'), name, { sizeBytes: 16 << 20 });
    const { id } = await runtime.create({
      name, image: imageFor(rt), labels: { 'caisson.managed': 'true', 'caisson.test': runId },
      env: { CAISSON_CONVENTION: 'script', CAISSON_AWAIT_PAYLOAD: '1', ...(rt === 'go' ? { CAISSON_ENTRY: 'handler' } : {}) },
      codeDir: await codeDirFor(rt), ioDir, memoryMb: 128, cpus: 1, network: false,
    });
    try {
      await runtime.start(id);
      await new Promise((r) => setTimeout(r, 500));
      // Running, waiting on its fifo: the function has not run (it would have exited by now).
      expect((await runtime.inspectState(id)).running).toBe(true);
      const payload = JSON.stringify({ name: 'Ada', line: 'a "quoted" \\n value' });
      writePayloadFiles(ioDir, payload, { envFile: true });
      const outcome = await runtime.execute(id, {
        timeoutMs: 20_000,
        afterStart: async () => expect(await releasePrepared(ioDir)).toBe(true),
      });
      expect(outcome.exitCode).toBe(0);
      expect(JSON.parse(outcome.stdout)).toEqual({ env: payload, stdin: payload, waiting: null });
    } finally {
      await runtime.remove(id);
      await removeIoDir(ioDir);
    }
  });

  it('an ordinary io dir has nothing to release; a fifo nobody opens within its wait is an error, not a hang', async () => {
    const plain = await createIoDir(path.join(root, 'io'), `caisson-test-${runId}-plain`, '{}', { sizeBytes: 16 << 20 });
    expect(await releasePrepared(plain)).toBe(false);
    const orphan = await createPreparedIoDir(path.join(root, 'io'), `caisson-test-${runId}-orphan`, { sizeBytes: 16 << 20 });
    await expect(releasePrepared(orphan)).rejects.toThrow(/ENXIO/);
    await removeIoDir(plain);
    await removeIoDir(orphan);
  });
});
