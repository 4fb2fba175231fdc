// Deploy-time builds in a hardened build container: Go compiled to a static binary, Python
// requirements.txt installed with pip, package.json dependencies installed with npm. Source
// read-only at /app/function, output written to /out. Network only here (module proxy, package
// indexes), never in invocation containers. Caching per content hash is the caller's job.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { BuildKind } from '../shared/deploy.js';
import type { Runtime } from '../shared/types.js';
import type { ContainerRuntime } from './container-runtime.js';

/** A TLS-intercepting egress re-signs with a CA only the host trusts: build containers get it. */
export const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export interface BuildInput {
  runtime: ContainerRuntime;
  kind: BuildKind;
  image: string;
  /** Source dir as the Docker engine sees it. */
  sourceDir: string;
  /** Output dir as the Docker engine sees it. */
  outDir: string;
  /** The same output dir as this process sees it (differs when the worker runs in a container). */
  localOutDir?: string;
  env?: Record<string, string>;
  /** Extra mounts (e.g. a persistent Go build cache), as the Docker engine sees them. */
  mounts?: Array<{ hostPath: string; containerPath: string; readOnly: boolean }>;
  /** The host CA bundle to trust, mounted read-only when it exists; null: none. Default HOST_CA_BUNDLE. */
  caBundle?: string | null;
  memoryMb?: number;
  cpus?: number;
  timeoutMs?: number;
  labels?: Record<string, string>;
  name?: string;
  signal?: AbortSignal;
  onProgress?: () => void;
}

export type BuildResult =
  | { ok: true; output: string; durationMs: number }
  | { ok: false; output: string; durationMs: number };

/** What a function's source needs built before it can run, or undefined: nothing. */
export async function planBuild(runtime: Runtime, sourceDir: string): Promise<BuildKind | undefined> {
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
  const localOut = input.localOutDir ?? input.outDir;
  await mkdir(localOut, { recursive: true });
  // The build runs as uid 65534 (mkdir's mode would be cut by the umask).
  await chmod(localOut, 0o777);
  const ca = input.caBundle === undefined ? HOST_CA_BUNDLE : input.caBundle;
  const trustCa = ca !== null && existsSync(ca);
  const memoryMb = input.memoryMb ?? 1024;
  const { runtime } = input;
  const { id } = await runtime.create({
    name: input.name ?? `caisson-build-${randomBytes(6).toString('hex')}`,
    image: input.image,
    labels: { ...input.labels, 'caisson.managed': 'true', 'caisson.role': 'build', 'caisson.build-kind': input.kind },
    env: { ...input.env, ...(trustCa ? caEnv(ca) : {}) },
    codeDir: input.sourceDir,
    memoryMb,
    cpus: input.cpus ?? 2,
    pidsLimit: 512,
    network: true, // module proxy / package index: build containers only
    build: { outDir: input.outDir },
    mounts: [...(input.mounts ?? []), ...(trustCa ? [{ hostPath: ca, containerPath: ca, readOnly: true }] : [])],
  });
  try {
    const outcome = await runtime.execute(id, {
      timeoutMs: input.timeoutMs ?? 600_000,
      stdoutCapBytes: 256 * 1024,
      stderrCapBytes: 256 * 1024,
      ...(input.signal ? { signal: input.signal } : {}),
      ...(input.onProgress ? { onProgress: input.onProgress } : {}),
    });
    const output = [outcome.stderr, outcome.stdout].filter(Boolean).join('\n').trimEnd();
    const why = outcome.cancelled ? 'the build was cancelled'
      : outcome.timedOut ? 'the build timed out'
      : outcome.oomKilled ? `the build ran out of memory (${memoryMb} MB)`
      : outcome.exitCode !== 0 ? `the build exited with code ${outcome.exitCode}`
      : undefined;
    if (why) return { ok: false, output: `${why}\n${output}`.trimEnd(), durationMs: outcome.durationMs };
    if (input.kind === 'go' && !existsSync(path.join(localOut, 'handler'))) {
      return { ok: false, output: `the build wrote no /out/handler\n${output}`.trimEnd(), durationMs: outcome.durationMs };
    }
    return { ok: true, output, durationMs: outcome.durationMs };
  } finally {
    await runtime.remove(id);
  }
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
