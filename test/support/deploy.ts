// Deploys a folder of test/fixtures or examples through the real api, as the CLI does.
import { join } from 'node:path';
import type { CaissonClient } from '../../src/client/index.js';
import { packCode } from '../../src/cli/code-package.js';
import type { Runtime } from '../../src/shared/types.js';

export async function deployDir(client: CaissonClient, opts: {
  dir: string; name: string; runtime: Runtime; convention?: 'script' | 'handler'; entry?: string;
  namespace?: string; env?: Record<string, string>;
  timeoutMs?: number; memoryMb?: number; maxAttempts?: number; initialIntervalMs?: number;
  /** isolation 'fresh': always the cold path (a new container per attempt). */
  fresh?: boolean;
}) {
  const packed = await packCode(join(process.cwd(), opts.dir));
  return client.functions.create.mutate({
    name: opts.name, runtime: opts.runtime, code: packed.code, fileName: packed.fileName,
    ...(opts.namespace ? { namespace: opts.namespace } : {}), ...(opts.env ? { env: opts.env } : {}),
    convention: opts.convention, entry: opts.entry,
    limits: { ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}), ...(opts.memoryMb ? { memoryMb: opts.memoryMb } : {}) },
    retryPolicy: { maxAttempts: opts.maxAttempts ?? 1, initialIntervalMs: opts.initialIntervalMs ?? 100 },
    ...(opts.fresh ? { warm: { isolation: 'fresh' as const } } : {}),
  });
}
