// The cold path's activities: a container started for one attempt. pullImage and
// createContainer run as local activities of the workflow task (createContainer names this
// worker's host queue); executeWithTimeout and removeContainer run on that host queue.
import { Context } from '@temporalio/activity';
import { join } from 'node:path';
import { createIoDir, readResultFile, releasePrepared, removeIoDir } from '../runtime/io/io-dir.js';
import { resultFileCapBytes } from '../runtime/io/result-protocol.js';
import type { PayloadRef } from '../shared/payload-ref.js';
import type { AttemptOutcome, PrepareContainerRequest } from '../shared/invocation.js';
import type { FunctionVersionSpec, Runtime } from '../shared/types.js';
import type { ChainPrefetch } from './chain-prefetch.js';
import { functionEnv, invocationEnv } from './container-env.js';
import type { ContainerKit } from './container-kit.js';

const GRACE_MS = 2000;

export interface CreateContainerInput {
  containerName: string; invocationId: string; attempt: number; spec: FunctionVersionSpec;
  payload: PayloadRef; workflowId: string;
  /** A chain step that hands over: the next step's container, prepared from now on. */
  prepareNext?: PrepareContainerRequest;
}

export interface ExecuteInput {
  containerId: string; containerName: string; invocationId: string; spec: FunctionVersionSpec;
  /** A chain step's: the next step's container, created while this one runs. */
  prepareNext?: PrepareContainerRequest;
}

export function createColdActivities(kit: ContainerKit, prefetch: ChainPrefetch) {
  const { deps, ioRoot } = kit;
  return {
    async pullImage(input: { runtime: Runtime }): Promise<{ hostTaskQueue: string }> {
      await kit.ensureImageOnce(input.runtime);
      return { hostTaskQueue: deps.hostTaskQueue };
    },

    async createContainer(input: CreateContainerInput): Promise<{ containerId: string; hostTaskQueue: string }> {
      const { spec } = input;
      if (input.prepareNext) prefetch.prepareNext(input.prepareNext, spec.limits.timeoutMs);
      const prepared = await prefetch.claim({ ...input, payload: () => kit.payloadText(input.payload) });
      if (prepared) return { containerId: prepared, hostTaskQueue: deps.hostTaskQueue };
      // The image: pulled by pullImage, scheduled alongside; waited for here, never pulled twice.
      const [codeDir, payload, , attached] = await Promise.all([
        kit.codeDirFor(spec), kit.payloadText(input.payload), kit.ensureImageOnce(spec.runtime), kit.secrets.attach(spec, input.containerName),
      ]);
      // payload.env too: a retried create may reuse a never-started container made without the payload.
      // The io dir's tmpfs is mounted while the engine creates the container (its path is known).
      const ioDir = join(ioRoot, input.containerName);
      const [, id] = await Promise.all([
        createIoDir(ioRoot, input.containerName, payload, { ...kit.ioDirSize, envFile: true }),
        kit.createFor({ input, codeDir, ioDir, env: { ...functionEnv(spec), ...invocationEnv(input, payload), ...deps.traceEnv?.() }, secrets: attached }),
      ]);
      // The queue of this worker: the container's other steps must run where it exists.
      return { containerId: id, hostTaskQueue: deps.hostTaskQueue };
    },

    async executeWithTimeout(input: ExecuteInput): Promise<AttemptOutcome> {
      const ctx = Context.current();
      const { spec } = input;
      if (input.prepareNext) prefetch.prepareNext(input.prepareNext, spec.limits.timeoutMs);
      const ioDir = join(ioRoot, input.containerName);
      const live = kit.liveTap(input.invocationId);
      const outcome = await deps.runtime.execute(input.containerId, {
        timeoutMs: spec.limits.timeoutMs,
        // A prepared container waits on its fifo (even one claimed before a restart of this worker).
        afterStart: async () => void (await releasePrepared(ioDir)),
        graceMs: GRACE_MS,
        ...kit.outputCaps,
        onProgress: () => ctx.heartbeat(),
        signal: ctx.cancellationSignal,
        onOutput: live?.push,
      }).finally(() => live?.end());
      const resultFile = await readResultFile(ioDir, resultFileCapBytes(deps.limits.resultBytes));
      const attempt = await kit.toAttemptOutcome({ invocationId: input.invocationId, spec, outcome, resultFile });
      if (input.prepareNext && !attempt.ok) prefetch.discard(input.prepareNext.containerName);
      const placed = { ...attempt, cold: true, containerId: input.containerId };
      deps.observe?.attempt(spec, placed, input.invocationId);
      return placed;
    },

    async removeContainer(input: { containerName: string; invocationId: string }): Promise<void> {
      await deps.runtime.remove(input.containerName);
      await removeIoDir(join(ioRoot, input.containerName));
      await kit.secrets.detach(input.containerName);
    },
  };
}
