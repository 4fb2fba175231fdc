// The chain prefetch: while a chain step runs, its worker creates and starts the container of
// the next step (runtime/lifecycle/prepared-containers.ts), so that step's cold start is
// mostly done when it is asked for. Only a hint: a container nobody claims is removed.
import { join } from 'node:path';
import { createPreparedIoDir, writePayloadFiles } from '../runtime/io/io-dir.js';
import type { PrepareContainerRequest } from '../shared/invocation.js';
import type { FunctionVersionSpec } from '../shared/types.js';
import { runsWarm } from '../shared/attempt-rules.js';
import { functionEnv, identityEnv } from './container-env.js';
import type { ContainerKit } from './container-kit.js';

/** What a prepared container must have been made from to serve this attempt. */
const preparedKey = (r: { invocationId: string; attempt: number; spec: FunctionVersionSpec }) =>
  JSON.stringify([r.invocationId, r.attempt, r.spec]);

export function createChainPrefetch(kit: ContainerKit) {
  const { deps } = kit;
  return {
    /**
     * Creates and starts the next chain step's container while this step runs, unless it will
     * run warm on this worker: its run wrapper waits for the payload (CAISSON_AWAIT_PAYLOAD; see
     * runtime-images/<runtime>/run). `docker start` is most of a cold start (docs/performance.md,
     * "Figures behind the code"). It is claimed by that step's createContainer when its workflow task lands
     * on this worker, else removed after this step's deadline and a minute.
     */
    prepareNext(next: PrepareContainerRequest, currentTimeoutMs: number): void {
      const { prepared } = deps;
      if (!prepared || (deps.pool && runsWarm(next.spec))) return;
      const ttlMs = currentTimeoutMs + 60_000;
      prepared.prepare({ name: next.containerName, key: preparedKey(next), ttlMs, create: async () => {
        const [codeDir, , attached] = await Promise.all([
          kit.codeDirFor(next.spec), kit.ensureImageOnce(next.spec.runtime), kit.secrets.attach(next.spec, next.containerName),
        ]);
        const ioDir = await createPreparedIoDir(kit.ioRoot, next.containerName, kit.ioDirSize);
        const env = { ...functionEnv(next.spec), ...identityEnv(next), CAISSON_AWAIT_PAYLOAD: '1' };
        const id = await kit.createFor({ input: next, codeDir, ioDir, env, holdMs: ttlMs, secrets: attached });
        await deps.runtime.start(id);
        return id;
      } });
    },

    /**
     * The container prepared for this very attempt, given its payload, or undefined. Its io dir
     * is mounted already: written into, not made anew. It runs once released.
     */
    async claim(input: { containerName: string; invocationId: string; attempt: number; spec: FunctionVersionSpec; payload: string | (() => Promise<string>) }): Promise<string | undefined> {
      const id = await deps.prepared?.claim(input.containerName, preparedKey(input));
      if (!id) return undefined;
      const payload = typeof input.payload === 'string' ? input.payload : await input.payload();
      writePayloadFiles(join(kit.ioRoot, input.containerName), payload, { envFile: true });
      return id;
    },

    /** A failed step is not followed by the next one (a retry prepares again). */
    discard(containerName: string): void {
      void deps.prepared?.discard(containerName);
    },
  };
}

export type ChainPrefetch = ReturnType<typeof createChainPrefetch>;
