// Compiles a Go function in the build image (source ro at /app/function, binary to
// /out/handler). A thin use of dependency-builder.ts, kept for versions deployed before Go
// was built at deploy time (their source is compiled once on the worker).
import { runBuild, type BuildInput } from './dependency-builder.js';

export type GoBuildInput = Omit<BuildInput, 'kind' | 'image'> & { buildImage: string };

export type GoBuildResult =
  | { ok: true; binaryPath: string; durationMs: number }
  | { ok: false; compilerOutput: string; durationMs: number };

export async function buildGoFunction(input: GoBuildInput): Promise<GoBuildResult> {
  const { buildImage, ...rest } = input;
  const built = await runBuild({ ...rest, kind: 'go', image: buildImage, limits: { timeoutMs: 300_000, ...input.limits } });
  if (!built.ok) return { ok: false, compilerOutput: `${built.reason}\n${built.output}`, durationMs: built.durationMs };
  return { ok: true, binaryPath: `${input.outDir}/handler`, durationMs: built.durationMs };
}
