// Deploy-time builds in a hardened build container: Go compiled to a static binary, Python
// requirements.txt installed with pip, package.json dependencies installed with npm. Tenant code
// runs here (setup.py, npm install scripts), so: source read-only at /app/function, /out a
// bounded tmpfs streamed back as a tar and checked (build-output.ts), memory, CPU, pids and wall
// time limited, and the network is the build network (build-network.ts) or none. Caching per
// content hash is the caller's job.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { BuildKind } from '../../shared/deploy.js';
import type { RuntimeFamily } from '../../shared/runtimes.js';
import { BuildOutputError, createCappedFileSink, streamCapBytes, unpackBuildOutput } from './build-output.js';
import type { ContainerRuntime } from '../docker/container-runtime.js';

/** A TLS-intercepting egress re-signs with a CA only the host trusts: build containers get it. */
export const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export interface BuildLimits {
  memoryMb: number;
  cpus: number;
  pids: number;
  /** Wall time; then SIGTERM, a grace, SIGKILL. */
  timeoutMs: number;
  /** /out: total file size and entries (it is a tmpfs of this size and inode count). */
  outputMb: number;
  outputFiles: number;
  /** The build's log (stderr) kept. */
  logBytes: number;
}

/** Go's compiler needs ~512 MB; /tmp and /out are tmpfs and count against the memory too. */
export const DEFAULT_BUILD_LIMITS: Readonly<BuildLimits> = Object.freeze({
  memoryMb: 1024, cpus: 2, pids: 512, timeoutMs: 600_000, outputMb: 512, outputFiles: 100_000, logBytes: 256 * 1024,
});

/**
 * The image's build script with stdout moved to stderr (its log) and fd 3 closed, so nothing the
 * build runs can write into the archive stream; then /out as a tar on the real stdout. Names go
 * to tar NUL-separated and verbatim (a name may hold a newline or start with '-'), relative
 * without './'. tar archives links as links and never follows them.
 */
export const BUILD_ENTRYPOINT = ['/bin/sh', '-c', 'exec 3>&1 1>&2; /caisson/bin/build 3>&- || exit; cd /out'
  + " && find . -mindepth 1 -printf '%P\\0' | tar -cf - --numeric-owner --null --verbatim-files-from --no-recursion -T - >&3"];

export interface BuildInput {
  runtime: ContainerRuntime;
  kind: BuildKind;
  image: string;
  /** Source dir as the Docker engine sees it. */
  sourceDir: string;
  /** A new local dir (this process's view) the checked output is unpacked into. */
  outDir: string;
  /** Docker network of the build (the build network); null or absent: no network at all. */
  network?: string | null;
  env?: Record<string, string>;
  /** Extra mounts (e.g. a persistent Go build cache), as the Docker engine sees them. */
  mounts?: Array<{ hostPath: string; containerPath: string; readOnly: boolean }>;
  /** The host CA bundle to trust, mounted read-only when it exists; null: none. Default HOST_CA_BUNDLE. */
  caBundle?: string | null;
  limits?: Partial<BuildLimits>;
  labels?: Record<string, string>;
  name?: string;
  signal?: AbortSignal;
  onProgress?: () => void;
  /** The build's output (stderr) as it arrives, uncapped: the receiver bounds it. */
  onLog?: (chunk: Buffer) => void;
}

/** output: the build's log (stderr, capped); reason: why it failed, in one line. */
export type BuildResult =
  | { ok: true; output: string; durationMs: number }
  | { ok: false; reason: string; output: string; durationMs: number };

/** What a function's source needs built before it can run, or undefined: nothing. */
export async function planBuild(runtime: RuntimeFamily, sourceDir: string): Promise<BuildKind | undefined> {
  if (runtime === 'go') return 'go';
  if (runtime === 'python') {
    const req = await readFile(path.join(sourceDir, 'requirements.txt'), 'utf8').catch(() => '');
    return req.split('\n').some((l) => l.trim() && !l.trim().startsWith('#')) ? 'python-deps' : undefined;
  }
  const pkg = await readFile(path.join(sourceDir, 'package.json'), 'utf8').catch(() => '');
  if (!pkg) return undefined;
  try {
    const deps = (JSON.parse(pkg) as { dependencies?: Record<string, string> }).dependencies ?? {};
    return Object.keys(deps).length > 0 ? 'node-deps' : undefined;
  } catch {
    return 'node-deps'; // let npm say what is wrong with it
  }
}

function caEnv(file: string): Record<string, string> {
  return { SSL_CERT_FILE: file, PIP_CERT: file, NODE_EXTRA_CA_CERTS: file, GIT_SSL_CAINFO: file };
}

export async function runBuild(input: BuildInput): Promise<BuildResult> {
  const limits = { ...DEFAULT_BUILD_LIMITS, ...input.limits };
  const ca = input.caBundle === undefined ? HOST_CA_BUNDLE : input.caBundle;
  const trustCa = ca !== null && existsSync(ca);
  const { runtime } = input;
  await mkdir(input.outDir, { recursive: true, mode: 0o755 });
  const tarFile = `${input.outDir}.tar`;
  await rm(tarFile, { force: true });
  const outputLimits = { maxBytes: limits.outputMb * 1024 * 1024, maxFiles: limits.outputFiles };
  const sink = createCappedFileSink(tarFile, streamCapBytes(outputLimits));
  try {
    const { id } = await runtime.create({
      name: input.name ?? `caisson-build-${randomBytes(6).toString('hex')}`,
      image: input.image,
      labels: { ...input.labels, 'caisson.managed': 'true', 'caisson.role': 'build', 'caisson.build-kind': input.kind },
      env: { ...input.env, ...(trustCa ? caEnv(ca) : {}) },
      codeDir: input.sourceDir,
      memoryMb: limits.memoryMb,
      cpus: limits.cpus,
      pidsLimit: limits.pids,
      network: Boolean(input.network),
      ...(input.network ? { networkName: input.network } : {}),
      build: { outMb: limits.outputMb, outFiles: limits.outputFiles },
      entrypoint: BUILD_ENTRYPOINT,
      mounts: [...(input.mounts ?? []), ...(trustCa ? [{ hostPath: ca, containerPath: ca, readOnly: true }] : [])],
    });
    try {
      const outcome = await runtime.execute(id, {
        timeoutMs: limits.timeoutMs,
        stderrCapBytes: limits.logBytes,
        onStdout: (chunk) => sink.write(chunk),
        ...(input.signal ? { signal: input.signal } : {}),
        ...(input.onProgress ? { onProgress: input.onProgress } : {}),
        ...(input.onLog ? { onStderr: input.onLog } : {}),
      });
      sink.close();
      const output = outcome.stderr.trimEnd();
      const why = outcome.cancelled ? 'the build was cancelled'
        : outcome.timedOut ? `the build timed out (${Math.round(limits.timeoutMs / 1000)} s)`
        : outcome.oomKilled ? `the build ran out of memory (${limits.memoryMb} MB, /tmp and /out included)`
        : outcome.exitCode !== 0 ? `the build exited with code ${outcome.exitCode}`
        : sink.overflowed ? `the build output is refused: its archive exceeds ${streamCapBytes(outputLimits)} bytes`
        : !sink.complete ? 'the build output is refused: its archive ended early'
        : await unpackOrWhy(tarFile, input.outDir, outputLimits);
      if (why) return { ok: false, reason: why, output, durationMs: outcome.durationMs };
      // A Lambda program is built to `bootstrap` (run behind the Runtime API), the rest to `handler`.
      if (input.kind === 'go' && !(await isRegularFile(path.join(input.outDir, 'handler'))) && !(await isRegularFile(path.join(input.outDir, 'bootstrap')))) {
        return { ok: false, reason: 'the build wrote neither /out/handler nor /out/bootstrap', output, durationMs: outcome.durationMs };
      }
      return { ok: true, output, durationMs: outcome.durationMs };
    } finally {
      await runtime.remove(id);
    }
  } finally {
    sink.close();
    await rm(tarFile, { force: true });
  }
}

/** Why the output is refused, or undefined once it is unpacked. */
async function unpackOrWhy(tarFile: string, outDir: string, limits: { maxBytes: number; maxFiles: number }): Promise<string | undefined> {
  try {
    await unpackBuildOutput(tarFile, outDir, limits);
    return undefined;
  } catch (err) {
    if (err instanceof BuildOutputError) return `the build output is refused: ${err.message}`;
    throw err;
  }
}

async function isRegularFile(file: string): Promise<boolean> {
  return (await lstat(file).catch(() => undefined))?.isFile() ?? false;
}

/**
 * Every regular file under dir, relative, sorted (a deterministic archive order). Links are
 * left out: the build ran hostile code, and code archives hold regular files only.
 */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath ?? e.path, e.name)))
    .sort();
}
