// Compiles a Go function ahead of time in the build image (source ro at /app/function,
// binary to /out/handler) through the same ContainerRuntime. Caching per content hash is
// the caller's job: give each sha its own outDir.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ContainerRuntime } from './container-runtime.js';

export interface GoBuildInput {
  runtime: ContainerRuntime;
  /** Source dir as the Docker engine sees it. */
  sourceDir: string;
  /** Output dir as the Docker engine sees it. */
  outDir: string;
  /** The same output dir as this process sees it (differs when the worker runs in a container). */
  localOutDir?: string;
  buildImage: string;
  memoryMb?: number;
  cpus?: number;
  timeoutMs?: number;
  labels?: Record<string, string>;
  /** Container name; default caisson-build-<random>. */
  name?: string;
  signal?: AbortSignal;
  onProgress?: () => void;
}

export type GoBuildResult =
  | { ok: true; binaryPath: string; durationMs: number }
  | { ok: false; compilerOutput: string; durationMs: number };

export async function buildGoFunction(input: GoBuildInput): Promise<GoBuildResult> {
  const localOut = input.localOutDir ?? input.outDir;
  await mkdir(localOut, { recursive: true });
  // The compiler runs as uid 65534 (mkdir's mode would be cut by the umask).
  await chmod(localOut, 0o777);
  const name = input.name ?? `caisson-build-${randomBytes(6).toString('hex')}`;
  const { runtime } = input;
  const { id } = await runtime.create({
    name,
    image: input.buildImage,
    labels: { ...input.labels, 'caisson.managed': 'true', 'caisson.role': 'go-build' },
    env: {},
    codeDir: input.sourceDir,
    memoryMb: input.memoryMb ?? 1024,
    cpus: input.cpus ?? 2,
    pidsLimit: 256,
    network: true, // the Go module proxy
    build: { outDir: input.outDir },
  });
  try {
    const outcome = await runtime.execute(id, {
      timeoutMs: input.timeoutMs ?? 300_000,
      stdoutCapBytes: 256 * 1024,
      stderrCapBytes: 256 * 1024,
      ...(input.signal ? { signal: input.signal } : {}),
      ...(input.onProgress ? { onProgress: input.onProgress } : {}),
    });
    const output = [outcome.stderr, outcome.stdout].filter(Boolean).join('\n').trimEnd();
    const why = outcome.cancelled
      ? 'the build was cancelled'
      : outcome.timedOut
        ? 'the build timed out'
        : outcome.oomKilled
          ? `the compiler ran out of memory (${input.memoryMb ?? 1024} MB)`
          : outcome.exitCode !== 0
            ? `the build exited with code ${outcome.exitCode}`
            : undefined;
    const binary = path.join(localOut, 'handler');
    if (why || !(await isFile(binary))) {
      return { ok: false, compilerOutput: `${why ?? 'the build wrote no /out/handler'}\n${output}`.trimEnd(), durationMs: outcome.durationMs };
    }
    return { ok: true, binaryPath: binary, durationMs: outcome.durationMs };
  } finally {
    await runtime.remove(id);
  }
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}
