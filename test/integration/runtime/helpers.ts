// Test helpers: a fixture folder as the tgz artifact the api would store, and as a version.
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { create as tarCreate } from 'tar';
import type { CodeCache } from '../../../src/runtime/io/code-cache.js';
import { RetryPolicySchema, type Convention, type FunctionVersionSpec, type Limits, type Runtime, type WarmSettings } from '../../../src/shared/types.js';

export async function tgzOfDir(dir: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const stream = tarCreate({ gzip: true, cwd: dir, portable: true }, await readdir(dir));
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A fixture folder as a version of its own: its code materialized in `code`, its spec and warm env. */
export async function fixtureVersion(code: CodeCache, opts: {
  dir: string; runtime: Runtime; convention: Convention; entry: string; version: number;
  limits?: Partial<Limits>; env?: Record<string, string>; warm?: Partial<WarmSettings>;
}): Promise<{ spec: FunctionVersionSpec; codeDir: string; env: Record<string, string> }> {
  const bytes = await tgzOfDir(path.join(process.cwd(), opts.dir));
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const codeDir = await code.materialize({ sha256, format: 'tgz', sizeBytes: bytes.length }, async () => bytes);
  const spec: FunctionVersionSpec = {
    functionId: 'fn_test', namespace: 'default', name: path.basename(opts.dir), version: opts.version,
    runtime: opts.runtime, convention: opts.convention, entry: opts.entry,
    artifact: { sha256, format: 'tgz', sizeBytes: bytes.length },
    limits: { timeoutMs: 10_000, memoryMb: 128, cpus: 1, network: false, ...opts.limits }, env: opts.env ?? {},
    retryPolicy: RetryPolicySchema.parse({}), warm: { ...({} as WarmSettings), ...opts.warm } as WarmSettings,
  };
  const env = { ...spec.env, CAISSON_CONVENTION: spec.convention, CAISSON_ENTRY: spec.entry, CAISSON_FUNCTION: spec.name,
    CAISSON_VERSION: String(spec.version), CAISSON_TIMEOUT_MS: String(spec.limits.timeoutMs), CAISSON_MEMORY_MB: String(spec.limits.memoryMb) };
  return { spec, codeDir, env };
}
